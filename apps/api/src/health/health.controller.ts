import type { RedisClient } from '@audit-trail/queues';
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { Database } from '@audit-trail/data';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/decorators';
import { MetricsService } from '../core/metrics.service';
import { REDIS } from '../core/tokens';

async function check(fn: () => Promise<unknown>, timeoutMs = 1500): Promise<{ status: 'up' | 'down'; error?: string }> {
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs))]);
    return { status: 'up' };
  } catch (err) {
    return { status: 'down', error: (err as Error).message };
  }
}

@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly db: Database,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly metrics: MetricsService,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply) {
    const [database, redis] = await Promise.all([check(() => this.db.ping()), check(() => this.redis.ping())]);
    const ok = database.status === 'up' && redis.status === 'up';
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'unavailable', checks: { database, redis } };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metricsText() {
    return this.metrics.registry.metrics();
  }
}
