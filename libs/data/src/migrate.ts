import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { AppConfig } from '@audit-trail/config';
import { ormOptions } from './orm.config';

/** Create the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (!rowCount) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Run pending migrations as the owner (DATABASE_URL) and give the application
 * role its password. Returns the names of the migrations that ran.
 */
export async function runMigrations(cfg: Pick<AppConfig, 'DATABASE_URL' | 'APP_DB_PASSWORD'> & { RETENTION_DB_PASSWORD?: string }, o: { silent?: boolean } = {}): Promise<string[]> {
  await ensureDatabase(cfg.DATABASE_URL);
  const base = ormOptions(cfg.DATABASE_URL);
  const orm = await MikroORM.init(o.silent ? { ...base, migrations: { ...base.migrations, silent: true } } : base);
  try {
    const ran = await orm.getMigrator().up();
    // Role passwords are cluster settings, not schema: set them on every run.
    const quote = (s: string) => s.replace(/'/g, "''");
    await orm.em.getConnection().execute(`ALTER ROLE audit_app PASSWORD '${quote(cfg.APP_DB_PASSWORD)}'`);
    // The retention job's role (see RETENTION_DATABASE_URL); without a password given, the development default.
    await orm.em.getConnection().execute(`ALTER ROLE audit_retention PASSWORD '${quote(cfg.RETENTION_DB_PASSWORD ?? 'audit_retention_local_only')}'`);
    return ran.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

/** True when the entities describe a schema the migrations do not create. */
export async function migrationsDrift(databaseUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(ormOptions(databaseUrl));
  try {
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false });
    return diff.split('\n').filter((l) => l.trim() !== '');
  } finally {
    await orm.close(true);
  }
}
