import ipaddr from 'ipaddr.js';
import { z } from 'zod';

function isIpOrCidr(v: string): boolean {
  try {
    if (v.includes('/')) ipaddr.parseCIDR(v);
    else ipaddr.parse(v);
    return true;
  } catch {
    return false;
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // Loopback unless told otherwise: the demo's password is public.
    HOST: z.string().default('127.0.0.1'),
    /**
     * Which proxies' X-Forwarded-For to believe: off (the socket address is
     * the client), a hop count, or a comma-separated list of proxy addresses
     * and CIDRs.
     */
    TRUST_PROXY: z
      .string()
      .default('off')
      .transform((v, ctx): false | number | string[] => {
        const s = v.trim().toLowerCase();
        if (s === 'off' || s === 'false' || s === '0' || s === 'no') return false;
        if (/^\d+$/.test(s)) return Number(s);
        const list = s.split(',').map((x) => x.trim()).filter(Boolean);
        const bad = list.find((x) => !isIpOrCidr(x));
        if (s === 'true' || bad !== undefined || list.length === 0) {
          ctx.addIssue({ code: 'custom', message: `must be off, a hop count, or proxy addresses/CIDRs separated by commas${bad ? ` (${bad} is not one)` : ''}` });
          return z.NEVER;
        }
        return list;
      }),
    DATABASE_URL: postgresUrl,
    APP_DATABASE_URL: postgresUrl.optional(),
    APP_DB_PASSWORD: z.string().min(8).default('audit_app_local_only'),
    RETENTION_DATABASE_URL: postgresUrl.optional(),
    /** Streaming replicas for reads, comma-separated, each as the application role (audit_app). Unset: every read goes to the primary. */
    DATABASE_REPLICA_URLS: z
      .string()
      .optional()
      .transform((s, ctx) => {
        const list = (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
        const bad = list.find((x) => !/^postgres(ql)?:\/\/.+/.test(x));
        if (bad !== undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be postgres:// URLs separated by commas' });
          return z.NEVER;
        }
        return list;
      }),
    /** A replica further behind the primary than this is skipped until it catches up. */
    REPLICA_MAX_LAG_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
    REPLICA_POLL_MS: z.coerce.number().int().min(20).max(10_000).default(250),
    RETENTION_DB_PASSWORD: z.string().min(8).default('audit_retention_local_only'),
    RETENTION_CRON: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/, "must be a five-field cron pattern, or 'off'")
      .default('30 2 * * *'),
    RETENTION_BATCH_SIZE: z.coerce.number().int().min(100).max(100_000).default(2000),
    RETENTION_THROTTLE: z.coerce.number().min(0).max(20).default(1),
    DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
    /** API requests (under /v1) one process works on at once; past it, 503 with Retry-After at once. */
    MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(256),
    REDIS_URL: z
      .string()
      .refine((v) => /^(rediss?|redis-cluster|redis-sentinel):\/\//.test(v), 'must be a redis://, rediss://, redis-cluster:// or redis-sentinel:// URL')
      .default('redis://127.0.0.1:6379'),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    BILLING_MODE: z.enum(['static', 'stripe']).default('static'),
    STRIPE_SECRET_KEY: z.string().optional(),
    STRIPE_WEBHOOK_SECRET: z.string().optional(),
    STRIPE_API_HOST: z.string().optional(),
    STRIPE_API_PORT: z.coerce.number().int().optional(),
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
    PUBLIC_URL: z.string().url().optional(),
    FORWARDING_ALLOW_PRIVATE: bool.default(false),
    /** `host:port` pairs (comma-separated) a destination may use even though they are private or loopback: an operator's own collector. */
    FORWARDING_ALLOW_HOSTS: z
      .string()
      .regex(/^\s*([^\s,:]+|\[[0-9a-f:.]+\]):\d{1,5}(\s*,\s*([^\s,:]+|\[[0-9a-f:.]+\]):\d{1,5})*\s*$/i, 'must be a comma-separated list of host:port')
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()) : [])),
    /** Let single sign-on reach identity providers on private or loopback addresses, over plain http too (development and tests). */
    SSO_ALLOW_PRIVATE: bool.default(false),
    /** DNS servers for domain verification (`ip` or `ip:port`, comma-separated); the system's resolver when unset. */
    DNS_SERVERS: z
      .string()
      .regex(/^\s*[0-9a-f.:[\]]+(\s*,\s*[0-9a-f.:[\]]+)*\s*$/i, 'must be a comma-separated list of ip or ip:port')
      .optional(),
    EXPORT_DIR: z.string().default('.data/exports'),
    EXPORT_LINK_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
    EXPORT_KEEP_DAYS: z.coerce.number().int().min(1).max(90).default(7),
    EXPORT_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    EXPORT_FETCH_ROWS: z.coerce.number().int().min(10).max(100_000).default(5000),
    EXPORT_PROGRESS_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    FORWARDING_ENABLED: bool.default(true),
    FORWARDING_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(500),
    FORWARDING_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    FORWARDING_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
    FORWARDING_GIVE_UP_HOURS: z.coerce.number().min(0.001).max(720).default(24),
    WORKER_HEARTBEAT_MS: z.coerce.number().int().min(200).max(60_000).default(15_000),
    // How long a stopping worker may take (running jobs, closing connections) before it exits anyway.
    WORKER_SHUTDOWN_MS: z.coerce.number().int().min(500).max(3_600_000).default(25_000),
    SIGNING_KEY: z.string().optional(),
    SIGNING_KEY_FILE: z.string().default('.data/signing-key.pem'),
    INTEGRITY_ENABLED: bool.default(true),
    INTEGRITY_SEAL_MS: z.coerce.number().int().min(200).max(600_000).default(10_000),
    INTEGRITY_CHECKPOINT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    DOWNGRADE_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(30),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** JSON lines, or readable lines when stdout is a terminal (auto). */
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
    WEB_DIST: z.string().optional(),
    /** Where password-reset and invitation emails go out (smtp:// or smtps://, credentials in the URL). Without it, no email is sent. */
    SMTP_URL: z.string().refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL').optional(),
    SMTP_FROM: z.string().min(3).default('Audit Trail <no-reply@audit-trail.local>'),
    /** The built @audit-trail/viewer (served as /viewer.js when its element.js is there). */
    VIEWER_DIST: z.string().default('libs/viewer/dist'),
    QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/i).default('audit-trail'),
    WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  })
  .superRefine((env, ctx) => {
    if (env.BILLING_MODE === 'stripe') {
      for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when BILLING_MODE=stripe' });
      }
    }
    if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required in production' });
    }
  });

export type AppConfig = z.infer<typeof envSchema> & { SESSION_SECRET: string; APP_DATABASE_URL: string; RETENTION_DATABASE_URL: string };

export class ConfigError extends Error {}

/** The application's connection: APP_DATABASE_URL, or DATABASE_URL with the application role swapped in. */
export function deriveAppDatabaseUrl(databaseUrl: string, password: string, role = 'audit_app'): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/**
 * Validate the environment once at boot. A bad variable stops the process
 * with a message that names it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable means unset (OPERATOR_TOKEN= turns the operator routes off).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  let secret = cfg.SESSION_SECRET;
  if (!secret) {
    // Development only (production is refused above): a per-process secret.
    secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  }
  return {
    ...cfg,
    SESSION_SECRET: secret,
    APP_DATABASE_URL: cfg.APP_DATABASE_URL ?? deriveAppDatabaseUrl(cfg.DATABASE_URL, cfg.APP_DB_PASSWORD),
    // The retention job's own role, the only one allowed to delete events.
    RETENTION_DATABASE_URL: cfg.RETENTION_DATABASE_URL ?? deriveAppDatabaseUrl(cfg.DATABASE_URL, cfg.RETENTION_DB_PASSWORD, 'audit_retention'),
  };
}

/** Which private or loopback addresses forwarding may reach: all (FORWARDING_ALLOW_PRIVATE), or only FORWARDING_ALLOW_HOSTS. */
export function forwardingPrivateAccess(c: Pick<AppConfig, 'FORWARDING_ALLOW_PRIVATE' | 'FORWARDING_ALLOW_HOSTS'>): boolean | readonly string[] {
  return c.FORWARDING_ALLOW_PRIVATE ? true : c.FORWARDING_ALLOW_HOSTS;
}
