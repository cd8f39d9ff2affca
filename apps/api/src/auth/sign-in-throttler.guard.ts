import type { RedisClient } from '@audit-trail/queues';
import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { AppConfig } from '@audit-trail/config';
import type { FastifyRequest } from 'fastify';
import { requestMeta } from '../common/principal';
import { CONFIG, REDIS } from '../core/tokens';
import { AuthService } from './auth.service';

/**
 * The per-address limit on sign-in, sign-up and invitation acceptance. The
 * first refusal of a window on sign-in is recorded in the account's log
 * (`auth.locked_out`); later refusals in the same window are not, so an
 * attacker cannot flood the log through the limiter.
 */
@Injectable()
export class SignInThrottlerGuard extends ThrottlerGuard {
  @Inject(AuthService) private readonly auth!: AuthService;
  @Inject(REDIS) private readonly redis!: RedisClient;
  @Inject(CONFIG) private readonly config!: AppConfig;

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const email = (req.body as { email?: unknown } | undefined)?.email;
    if (req.routeOptions?.url === '/v1/auth/login' && typeof email === 'string') {
      // Once per address, email and window, in every API process alike.
      const key = `${this.config.QUEUE_PREFIX}:lockout:${detail.tracker}:${email.toLowerCase().slice(0, 320)}`;
      const first = await this.redis.set(key, '1', 'PX', detail.ttl, 'NX').catch(() => 'OK');
      if (first === 'OK') await this.auth.recordLockout(email, requestMeta(req), detail).catch(() => undefined);
    }
    return super.throwThrottlingException(context, detail);
  }
}
