#!/usr/bin/env node
// npm start: the whole system on one machine. Database (embedded when
// DATABASE_URL is unset), Redis check, build, migrations, api + worker, demo
// tenant, console at http://localhost:PORT/. Ctrl-C or SIGTERM stops it all.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadDotEnv, localSecrets, requireFreePort, requireRedis, ROOT, startEmbeddedPostgres } from './lib/env.mjs';

loadDotEnv();
const secrets = localSecrets();
const env = { ...process.env };
env.PORT ??= '3000';
env.REDIS_URL ??= 'redis://127.0.0.1:6379';
env.SESSION_SECRET ??= secrets.SESSION_SECRET;
env.APP_DB_PASSWORD ??= secrets.APP_DB_PASSWORD;
env.RETENTION_DB_PASSWORD ??= secrets.RETENTION_DB_PASSWORD;
env.WEB_DIST ??= join(ROOT, 'apps/web/dist');
env.EXPORT_DIR ??= join(ROOT, '.data/exports');
if (!env.OPERATOR_TOKEN) {
  env.OPERATOR_TOKEN = secrets.OPERATOR_TOKEN ?? (secrets.OPERATOR_TOKEN = (await import('node:crypto')).randomBytes(24).toString('base64url'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(ROOT, '.data/secrets.json'), JSON.stringify(secrets, null, 2), { mode: 0o600 });
}

let embedded = null;
const children = [];
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\n[start] stopping api and worker…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((res) => {
          if (c.exitCode !== null) return res();
          c.once('exit', res);
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  if (embedded) {
    console.log('[start] stopping embedded PostgreSQL…');
    await embedded.stop().catch(() => undefined);
  }
  console.log(code === 0 ? '[start] stopped.' : `[start] stopped (exit ${code}).`);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

function run(label, cmd, args) {
  console.log(`[start] ${label}`);
  // No spinners or progress bars between the log lines (npm's and the bundler's draw on a terminal otherwise).
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...env, npm_config_progress: 'false', CI: env.CI ?? '1' } });
  if (r.status !== 0) {
    console.error(`[start] ${label} failed`);
    void stop(1);
    return false;
  }
  return true;
}

// What can stop the start is checked before anything is built or started: Redis, then the ports.
await requireRedis(env.REDIS_URL);
await requireFreePort(Number(env.PORT), 'PORT', env.HOST ?? '127.0.0.1');
await requireFreePort(Number(env.WORKER_HEALTH_PORT ?? 3001), 'WORKER_HEALTH_PORT', '127.0.0.1');
env.DEMO_RECEIVER_PORT ??= '3002';
await requireFreePort(Number(env.DEMO_RECEIVER_PORT), 'DEMO_RECEIVER_PORT', '127.0.0.1');

if (!env.DATABASE_URL) {
  embedded = await startEmbeddedPostgres(secrets);
  env.DATABASE_URL = embedded.url;
  console.log('[start] embedded PostgreSQL running (data in .data/pg)');
}

if (!run('building libraries, api and worker', 'npx', ['tsc', '-b', 'tsconfig.build.json'])) await new Promise(() => {});
if (!run('building the console', 'npx', ['vite', 'build', '--config', 'apps/web/vite.config.mts', '--logLevel', 'warn'])) await new Promise(() => {});
if (!run('building the embeddable viewer', 'node', ['scripts/build-viewer.mjs'])) await new Promise(() => {});
if (!run('running migrations', 'node', ['scripts/migrate.mjs'])) await new Promise(() => {});

// The demo's stand-in SIEM on loopback; forwarding may reach exactly that address and no other private one.
const { startDemoReceiver } = createRequire(import.meta.url)('./lib/demo-receiver.cjs');
const receiver = await startDemoReceiver(Number(env.DEMO_RECEIVER_PORT));
const receiverHost = new URL(receiver.url).host;
env.FORWARDING_ALLOW_HOSTS = [env.FORWARDING_ALLOW_HOSTS, receiverHost].filter(Boolean).join(',');

for (const [name, entry] of [['api', 'apps/api/dist/main.js'], ['worker', 'apps/worker/dist/main.js']]) {
  const child = spawn(process.execPath, [entry], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
}

const base = `http://127.0.0.1:${env.PORT}`;
for (let i = 0; ; i++) {
  try {
    const r = await fetch(`${base}/readyz`);
    if (r.ok) break;
  } catch {
    /* not up yet */
  }
  if (i > 120) {
    console.error('[start] the api did not become ready in 60 s');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}

process.env.OPERATOR_TOKEN = env.OPERATOR_TOKEN;
process.env.PORT = env.PORT;
process.env.DEMO_RECEIVER_URL = receiver.url;
const { seed } = await import('./seed.mjs');
console.log('[start] demo account (seeded on the first run: about 3,000 events, members, an export, a destination)');
const demo = await seed();
console.log(`
  Audit Trail is running.

  Console        http://localhost:${env.PORT}/
  API docs       http://localhost:${env.PORT}/docs
  Demo login     ${demo.email} / ${demo.password}
  Ingest key     ${demo.key}
  Operator token ${env.OPERATOR_TOKEN}   (kept in .data/secrets.json)
  Demo SIEM      http://${receiverHost}/   (receives the demo's forwarded events)

  Try:  export AUDIT_TRAIL_KEY=${demo.key}
        curl -X POST http://localhost:${env.PORT}/v1/events \\
          -H "Authorization: Bearer $AUDIT_TRAIL_KEY" -H "Content-Type: application/json" \\
          -d '{"action":"project.create","actor":{"type":"user","id":"u_1","email":"you@example.com"}}'

  Ctrl-C stops everything.
`);
