import type { RedisClient } from '@audit-trail/queues';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import { accountRequiresMfa, claimTotpStep, Database, disableTotp, enableTotp, type LoginRow, type SqlExecutor, replaceRecoveryCodes, setPendingTotp, totpState, useRecoveryCode } from '@audit-trail/data';
import { SecretBox } from '@audit-trail/engines';
import { newId } from '@audit-trail/audit-core';
import { toDataURL } from 'qrcode';
import { AppError, ErrorCode } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { CONFIG, REDIS } from '../core/tokens';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { checkTotp, newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpUri } from './mfa';

/** Wrong second factors allowed per person in the window, before 429. */
export const MFA_ATTEMPTS = 5;
export const MFA_WINDOW_MS = 15 * 60_000;

export type SecondFactor = { method: 'totp' } | { method: 'recovery_code'; remaining: number };

/**
 * TOTP two-factor for password users: set up (a secret shown once, as a QR
 * code too), confirmed by a first code (which also gives ten one-use
 * recovery codes), checked at sign-in, turned off with a code. Secrets are
 * encrypted at rest; a code's time step is claimed atomically so no code
 * works twice; wrong codes are counted per person in Redis.
 */
@Injectable()
export class MfaService {
  private readonly box: SecretBox;
  private readonly prefix: string;

  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
    @Inject(CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.box = new SecretBox(config.SESSION_SECRET, 'totp-secrets/v1');
    this.prefix = `${config.QUEUE_PREFIX}:mfa-fail`;
  }

  private person(p: Principal): { userId: string; email: string } {
    if (p.kind !== 'session' || !p.userId || !p.email) throw new AppError(ErrorCode.Forbidden, 'Two-factor belongs to a person: sign in to the console.');
    return { userId: p.userId, email: p.email };
  }

  async setup(p: Principal): Promise<{ secret: string; otpauth_url: string; qr_code: string }> {
    const { userId, email } = this.person(p);
    const secret = newTotpSecret();
    await this.db.tenant(
      p.accountId,
      async (c) => {
        if ((await totpState(c, userId))?.enabled_at) throw new AppError(ErrorCode.Conflict, 'Two-factor is already on; turn it off first to use another app.');
        await setPendingTotp(c, userId, this.box.seal(secret));
      },
      { userId },
    );
    const url = totpUri(secret, email);
    return { secret, otpauth_url: url, qr_code: await toDataURL(url) };
  }

  async enable(p: Principal, code: string, meta: RequestMeta): Promise<{ recovery_codes: string[] }> {
    const { userId } = this.person(p);
    const codes = newRecoveryCodes();
    await this.db.tenant(
      p.accountId,
      async (c) => {
        const state = await totpState(c, userId);
        if (state?.enabled_at) throw new AppError(ErrorCode.Conflict, 'Two-factor is already on.');
        if (!state?.pending) throw new AppError(ErrorCode.Conflict, 'Start with POST /v1/auth/mfa/totp/setup.');
        const step = await checkTotp(this.box.open(state.pending), code, null);
        if (step === null) throw new AppError(ErrorCode.Validation, 'That is not the code your authenticator app shows now.', [{ path: 'code', message: 'is not the current code' }]);
        await enableTotp(c, userId, step);
        await replaceRecoveryCodes(c, userId, codes.map((x) => ({ id: newId(), hash: recoveryCodeHash(x) })));
        await this.audit.record(c, { accountId: p.accountId, plan: p.plan, action: 'mfa.enabled', actor: { kind: 'principal', principal: p }, meta, target: { type: 'user', id: userId }, metadata: { method: 'totp', recovery_codes: codes.length } });
      },
      { userId },
    );
    return { recovery_codes: codes };
  }

  async disable(p: Principal, input: { code?: string; recovery_code?: string }, meta: RequestMeta): Promise<void> {
    const { userId } = this.person(p);
    await this.assertNotLocked(userId);
    const ok = await this.db.tenant(
      p.accountId,
      async (c) => {
        const state = await totpState(c, userId);
        if (!state?.enabled_at || !state.secret) throw new AppError(ErrorCode.Conflict, 'Two-factor is not on.');
        if (await accountRequiresMfa(c, p.accountId)) throw new AppError(ErrorCode.Conflict, 'This account requires two-factor; an admin can lift that on the Security page.');
        const factor = await this.check(c, userId, { secret: state.secret, lastStep: state.last_step }, input);
        if (!factor) return false;
        await disableTotp(c, userId);
        await this.audit.record(c, { accountId: p.accountId, plan: p.plan, action: 'mfa.disabled', actor: { kind: 'principal', principal: p }, meta, target: { type: 'user', id: userId }, metadata: { confirmed_with: factor.method } });
        return true;
      },
      { userId },
    );
    if (!ok) {
      await this.countFailure(userId);
      throw new AppError(ErrorCode.Validation, 'The code is wrong, or was already used.', [{ path: input.code ? 'code' : 'recovery_code', message: 'is not valid' }]);
    }
  }

  /**
   * The second factor at sign-in, in a transaction naming the person: a TOTP
   * code (its step claimed so it cannot be replayed) or a recovery code
   * (spent). Null when neither is right; the failure is counted.
   */
  async verifyAtSignIn(accountId: string, user: LoginRow, input: { totp?: string; recovery_code?: string }): Promise<SecondFactor | null> {
    await this.assertNotLocked(user.user_id);
    const factor = await this.db.tenant(accountId, (c) => this.check(c, user.user_id, { secret: user.totp_secret as string, lastStep: user.totp_last_step }, input), { userId: user.user_id });
    if (factor) await this.redis.del(`${this.prefix}:${user.user_id}`).catch(() => undefined);
    else await this.countFailure(user.user_id);
    return factor;
  }

  private async check(c: SqlExecutor, userId: string, state: { secret: string; lastStep: string | null }, input: { totp?: string; code?: string; recovery_code?: string }): Promise<SecondFactor | null> {
    const code = input.totp ?? input.code;
    if (code) {
      const step = await checkTotp(this.box.open(state.secret), code, state.lastStep === null ? null : Number(state.lastStep));
      return step !== null && (await claimTotpStep(c, userId, step)) ? { method: 'totp' } : null;
    }
    if (input.recovery_code) {
      const used = await useRecoveryCode(c, userId, recoveryCodeHash(input.recovery_code));
      return used ? { method: 'recovery_code', remaining: used.remaining } : null;
    }
    return null;
  }

  /** 429 while a person has had too many wrong codes in the window. */
  async assertNotLocked(userId: string): Promise<void> {
    const key = `${this.prefix}:${userId}`;
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
    if (Number(count ?? 0) >= MFA_ATTEMPTS) {
      const seconds = Math.max(1, Math.ceil(ttl / 1000));
      throw new AppError(ErrorCode.RateLimited, `Too many wrong codes; try again in ${seconds} seconds.`, undefined, { 'retry-after': String(seconds) });
    }
  }

  private async countFailure(userId: string): Promise<void> {
    const key = `${this.prefix}:${userId}`;
    await this.redis.multi().incr(key).pexpire(key, MFA_WINDOW_MS, 'NX').exec();
  }

  async requiresMfa(accountId: string): Promise<boolean> {
    return this.db.tenant(accountId, (c) => accountRequiresMfa(c, accountId), { readOnly: true });
  }
}
