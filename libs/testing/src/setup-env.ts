import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Integration tests talk to the real database named by TEST_DATABASE_URL
// (scripts/test.mjs creates and migrates it) and the real Redis.
process.env.TZ = 'UTC';
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_test';
process.env.OPERATOR_TOKEN ??= 'test-operator-token-0123456789';
process.env.SESSION_SECRET ??= 'test-session-secret-0123456789-abcdefghij';
process.env.LOG_LEVEL ??= 'silent';
process.env.FORWARDING_ALLOW_PRIVATE ??= 'true';
// No daily retention run in the middle of a test run; the retention tests run it on demand.
process.env.RETENTION_CRON ??= 'off';
// Only the forwarding tests deliver: other suites' workers must not send their destinations' events.
process.env.FORWARDING_ENABLED ??= 'false';
// The integrity tests seal on demand. Every process of one Jest run (its
// workers share a parent) signs with one key: a second key would rotate the
// first out while another suite checks it is current.
process.env.INTEGRITY_ENABLED ??= 'false';
// A worker that cannot stop gracefully leaves after this, well inside the hooks' 30 s.
process.env.WORKER_SHUTDOWN_MS ??= '10000';
process.env.SIGNING_KEY_FILE ??= join(tmpdir(), `audit-test-signing-${process.env.JEST_WORKER_ID ? process.ppid : process.pid}.pem`);
// Fixtures sign up many tenants from 127.0.0.1; the limiter has its own test with a low limit.
process.env.AUTH_RATE_LIMIT_PER_MINUTE ??= '100000';
