import type { RedisClient } from '@audit-trail/queues';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/** One fixed window per key: count, start the window on the first hit, block past the limit. Both keys share a hash tag. */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return {hits, ttl, blocked}
`;

/**
 * The sign-in limiter's counters in Redis, so every API process counts the
 * same attempts (in memory, each process would allow the limit again).
 * While Redis cannot answer, each process counts in its own memory, so
 * sign-in keeps working and guesses stay limited (per process) until Redis
 * is back.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private readonly local = new ThrottlerStorageService();

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const tag = `{${this.prefix}:throttle:${throttlerName}:${key}}`;
    let reply: [number, number, number];
    try {
      reply = (await this.redis.eval(INCREMENT, 2, `${tag}:hits`, `${tag}:block`, ttl, limit, blockDuration)) as [number, number, number];
    } catch {
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    const [hits, ttlMs, blockedMs] = reply;
    return {
      totalHits: hits,
      timeToExpire: Math.max(0, Math.ceil(ttlMs / 1000)),
      isBlocked: blockedMs > 0,
      timeToBlockExpire: Math.max(0, Math.ceil(blockedMs / 1000)),
    };
  }
}
