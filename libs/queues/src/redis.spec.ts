import { parseRedisUrl, queuePrefix } from './redis';

describe('REDIS_URL', () => {
  it('reads one server, a cluster and Sentinel', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ kind: 'single', options: { host: '127.0.0.1', port: 6380, db: 2, username: undefined, password: undefined, tls: undefined } });
    expect(parseRedisUrl('rediss://u:p%40ss@cache.example:6390')).toMatchObject({ kind: 'single', options: { username: 'u', password: 'p@ss', tls: {} } });
    expect(parseRedisUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002')).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
    expect(parseRedisUrl('redis-cluster://:secret@h1:7000?tls=true')).toMatchObject({ kind: 'cluster', options: { password: 'secret', tls: {} } });
    expect(parseRedisUrl('redis-sentinel://s1:26379,s2/mymaster')).toMatchObject({ kind: 'sentinel', name: 'mymaster', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 6379 }] });
  });

  it('refuses what it cannot use, with the reason', () => {
    expect(() => parseRedisUrl('http://h:1')).toThrow(/must be redis/);
    expect(() => parseRedisUrl('redis-sentinel://s1:26379')).toThrow(/master name/);
  });

  it('gives each queue its own hash tag', () => {
    expect(queuePrefix('audit-trail', 'exports')).toBe('{audit-trail:exports}');
  });
});
