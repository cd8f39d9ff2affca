import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { DatabaseUnavailableError, isConnectionError, setTenantSql, type SqlExecutor } from './database';

/**
 * The ORM, always through a forked EntityManager in a transaction that
 * carries the tenant's row-level-security setting. There is no global
 * EntityManager use anywhere.
 */
export class TenantOrm {
  constructor(private readonly orm: MikroORM) {}

  async run<T>(accountId: string, fn: (em: EntityManager) => Promise<T>, userId?: string): Promise<T> {
    try {
      return await this.orm.em.fork({ clear: true }).transactional(async (em) => {
        await em.execute(setTenantSql(accountId, userId));
        return fn(em);
      });
    } catch (err) {
      throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
    }
  }
}

/**
 * Hand-written SQL ($1-style) on the EntityManager's transaction, so a
 * self-audit event commits together with the change it records.
 */
export function emExecutor(em: EntityManager): SqlExecutor {
  return {
    async query(sql, params = []) {
      const bindings: unknown[] = [];
      const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
        const v = params[Number(n) - 1];
        // knex expands array bindings into lists; PostgreSQL wants one array literal.
        bindings.push(Array.isArray(v) ? pgArrayLiteral(v) : v);
        return '?';
      });
      const rows = await em.execute(text, bindings as never[]);
      return { rows: rows as never[] };
    },
  };
}

function pgArrayLiteral(values: unknown[]): string {
  const items = values.map((v) => (v === null || v === undefined ? 'NULL' : `"${(typeof v === 'string' ? v : JSON.stringify(v)).replace(/[\\"]/g, (m) => `\\${m}`)}"`));
  return `{${items.join(',')}}`;
}
