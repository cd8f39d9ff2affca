import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** Tables the migrations create by hand; the entity diff leaves them alone. */
export const HAND_MANAGED_TABLES: (string | RegExp)[] = ['audit_events', /^audit_events_y\d{4}m\d{2}$/, 'event_idempotency', 'tenant_actions', /^integrity_/];

/**
 * MikroORM options. `clientUrl` decides the role: the application role for
 * the api and worker, the owner (DATABASE_URL) for migrations.
 */
export function ormOptions(clientUrl: string, extra: Partial<Options> = {}): Options {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    schemaGenerator: { skipTables: HAND_MANAGED_TABLES },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'libs/data/src/migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
    ...extra,
  });
}
