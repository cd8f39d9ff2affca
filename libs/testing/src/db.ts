import { Client } from 'pg';
import type { ApiUnderTest } from './tenants';

/** A connection as the database owner, for assertions the API cannot make. */
export async function ownerClient(): Promise<Client> {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  return c;
}

/** A connection as the application role, to show what row-level security lets it do. */
export async function appRoleClient(t: ApiUnderTest): Promise<Client> {
  const c = new Client({ connectionString: t.config.APP_DATABASE_URL });
  await c.connect();
  return c;
}
