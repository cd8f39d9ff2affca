import { startRedisCluster } from './redis-cluster';

/** Jest globalSetup of the `cluster` project: one Redis Cluster for the whole run, in REDIS_URL for every worker. */
export default async function setup(): Promise<void> {
  const cluster = await startRedisCluster(3);
  process.env.REDIS_URL = cluster.url;
  (globalThis as { __redisCluster?: typeof cluster }).__redisCluster = cluster;
  console.log(`\n[cluster] REDIS_URL=${cluster.url}`);
}
