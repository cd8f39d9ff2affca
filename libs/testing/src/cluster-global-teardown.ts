import type { RedisCluster } from './redis-cluster';

export default async function teardown(): Promise<void> {
  await (globalThis as { __redisCluster?: RedisCluster }).__redisCluster?.close();
}
