import type { ConnectionOptions } from 'bullmq';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Where Redis is, from REDIS_URL:
 *
 * - `redis://[user:pass@]host:port[/db]` or `rediss://…`: one server;
 * - `redis-cluster://[user:pass@]h1:p1,h2:p2,…`: a Redis Cluster (any of its
 *   nodes; the rest are discovered);
 * - `redis-sentinel://[user:pass@]h1:p1,h2:p2,…/<master name>`: Sentinel,
 *   which names the current master.
 *
 * A `?tls=true` query asks for TLS on cluster and sentinel URLs.
 */
/** A client of one server, a Sentinel-managed master or a cluster: the commands we use are the same. */
export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'single'; options: RedisOptions }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: RedisOptions }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string; options: RedisOptions };

export const REDIS_URL_PATTERN = /^(rediss?|redis-cluster|redis-sentinel):\/\//;

function hostList(list: string, what: string): { host: string; port: number }[] {
  const out = list.split(',').map((hp) => {
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp.trim());
    if (!m?.[1]) throw new Error(`${what}: "${hp}" is not host:port`);
    return { host: m[1], port: Number(m[2] ?? 6379) };
  });
  if (!out.length) throw new Error(`${what}: no hosts`);
  return out;
}

export function parseRedisUrl(url: string): RedisTarget {
  const m = /^(rediss?|redis-cluster|redis-sentinel):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(url);
  if (!m) throw new Error('REDIS_URL must be redis://, rediss://, redis-cluster:// or redis-sentinel://');
  const [, scheme, user, pass, hosts, path, query] = m;
  const tls = scheme === 'rediss' || new URLSearchParams(query ?? '').get('tls') === 'true';
  const options: RedisOptions = {
    username: user ? decodeURIComponent(user) : undefined,
    password: pass ? decodeURIComponent(pass) : undefined,
    tls: tls ? {} : undefined,
  };
  if (scheme === 'redis-cluster') return { kind: 'cluster', nodes: hostList(hosts, 'redis-cluster'), options };
  if (scheme === 'redis-sentinel') {
    const name = decodeURIComponent((path ?? '').slice(1));
    if (!name) throw new Error('redis-sentinel:// needs the master name as its path, e.g. redis-sentinel://s1:26379,s2:26379/mymaster');
    return { kind: 'sentinel', sentinels: hostList(hosts, 'redis-sentinel'), name, options: { ...options, sentinelPassword: options.password } };
  }
  const [single] = hostList(hosts, scheme);
  return { kind: 'single', options: { ...options, host: single.host, port: single.port, db: path && path.length > 1 ? Number(path.slice(1)) : 0 } };
}

/** One client for the URL (a Cluster for a cluster); `extra` applies to every node. */
export function createRedis(url: string, extra: RedisOptions = {}, cluster: Partial<ClusterOptions> = {}): Redis | Cluster {
  const t = parseRedisUrl(url);
  if (t.kind === 'cluster') {
    const client = new Cluster(t.nodes, {
      ...cluster,
      redisOptions: { ...t.options, ...extra },
      // These live on the cluster client itself, not on its per-node connections.
      lazyConnect: extra.lazyConnect ?? false,
      // Without a ready check a command can race the slot map; with one, ioredis waits for it.
      enableReadyCheck: true,
      enableOfflineQueue: extra.enableOfflineQueue ?? true,
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: extra.retryStrategy === undefined ? undefined : (times: number) => extra.retryStrategy?.(times) ?? null,
    });
    // Whoever else listens (BullMQ does while a queue is open), an outage is said once, not thrown as an unhandled event.
    let down = false;
    client.on('error', (err: Error) => {
      if (!down) console.warn(`Redis Cluster unavailable (${err.message}); reconnecting`);
      down = true;
    });
    client.on('ready', () => (down = false));
    return client;
  }
  if (t.kind === 'sentinel') return new Redis({ ...t.options, sentinels: t.sentinels, name: t.name, ...extra });
  return new Redis({ ...t.options, ...extra });
}

/**
 * BullMQ's connection: options for one server or Sentinel (BullMQ makes its
 * own clients from them), a Cluster instance for a cluster. Blocking
 * commands need `maxRetriesPerRequest: null`.
 */
export function bullConnection(url: string): ConnectionOptions {
  const t = parseRedisUrl(url);
  // (BullMQ declares its own option types; ioredis' are the same options.)
  if (t.kind === 'cluster') return createRedis(url, { maxRetriesPerRequest: null });
  if (t.kind === 'sentinel') return { ...t.options, sentinels: t.sentinels, name: t.name, maxRetriesPerRequest: null } as ConnectionOptions;
  return { ...t.options, maxRetriesPerRequest: null } as ConnectionOptions;
}

/** Close a connection bullConnection made (a cluster client; options need nothing). */
export function closeBullConnection(connection: ConnectionOptions): void {
  if (connection instanceof Cluster) connection.disconnect();
}

/**
 * A queue's key prefix. BullMQ keeps a queue's keys under
 * `<prefix>:<queue>:…` and runs Lua scripts over several of them, so on a
 * cluster they must share a hash slot: the braces make `<base>:<queue>` the
 * hash tag. Each queue has its own tag, so queues spread over the masters.
 */
export function queuePrefix(base: string, queue: string): string {
  return `{${base}:${queue}}`;
}

/** The masters of a client: every master of a cluster, or the one server. */
export function masters(client: Redis | Cluster): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/**
 * Redis must never evict keys: a queue's job or a read window that vanished
 * would be work lost. Checked on every master at start. A server that hides
 * CONFIG (some managed services) is reported, not refused.
 */
export async function evictionProblems(client: Redis | Cluster): Promise<{ refused: string[]; unknown: string[] }> {
  const refused: string[] = [];
  const unknown: string[] = [];
  for (const node of masters(client)) {
    const where = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
    try {
      const reply = (await node.config('GET', 'maxmemory-policy'));
      const policy = reply[1];
      if (policy !== 'noeviction') refused.push(`${where} has maxmemory-policy ${policy}`);
    } catch (err) {
      unknown.push(`${where}: ${(err as Error).message}`);
    }
  }
  return { refused, unknown };
}

/**
 * The start-up check both processes run: Redis answers (every master of a
 * cluster), and no master may evict keys. A sentence for the operator when not.
 */
export async function redisStartupProblem(url: string, timeoutMs = 3000): Promise<string | null> {
  const client = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on('error', () => undefined);
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 500).unref());
  try {
    await Promise.race([client.connect(), timer]);
    await Promise.race([client.ping(), timer]);
    const { refused, unknown } = await Promise.race([evictionProblems(client), timer]);
    for (const u of unknown) console.warn(`Could not read maxmemory-policy (${u}); make sure it is noeviction.`);
    if (refused.length) return `Redis may evict keys, which would lose queued work: ${refused.join('; ')}. Set maxmemory-policy noeviction on every master.`;
    return null;
  } catch (err) {
    return `Redis does not answer at ${url} (${(err as Error).message}).`;
  } finally {
    client.disconnect();
  }
}
