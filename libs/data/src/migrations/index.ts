import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122185347_initial } from './Migration20261122185347_initial';
import { Migration20261122190000_tenancy_and_events } from './Migration20261122190000_tenancy_and_events';
import { Migration20261122193733_stripe_events } from './Migration20261122193733_stripe_events';
import { Migration20261122194407_exports } from './Migration20261122194407_exports';
import { Migration20261124010000_retention } from './Migration20261124010000_retention';
import { Migration20261124020000_forwarding } from './Migration20261124020000_forwarding';
import { Migration20261124030000_integrity } from './Migration20261124030000_integrity';
import { Migration20261201120000_tenant_catalog } from './Migration20261201120000_tenant_catalog';
import { Migration20261201130000_provenance } from './Migration20261201130000_provenance';
import { Migration20261201200000_identity } from './Migration20261201200000_identity';
import { Migration20261201210000_scim } from './Migration20261201210000_scim';
import { Migration20261201220000_sso } from './Migration20261201220000_sso';
import { Migration20261202010000_key_revoked_by } from './Migration20261202010000_key_revoked_by';
import { Migration20261202100000_saved_searches } from './Migration20261202100000_saved_searches';
import { Migration20261202150000_tenant_keys } from './Migration20261202150000_tenant_keys';
import { Migration20261202170000_credential_index } from './Migration20261202170000_credential_index';
import { Migration20261202180000_colocated_due_join } from './Migration20261202180000_colocated_due_join';

/** Every migration, in order. A newly generated migration is added here. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122185347_initial', class: Migration20261122185347_initial },
  { name: 'Migration20261122190000_tenancy_and_events', class: Migration20261122190000_tenancy_and_events },
  { name: 'Migration20261122193733_stripe_events', class: Migration20261122193733_stripe_events },
  { name: 'Migration20261122194407_exports', class: Migration20261122194407_exports },
  { name: 'Migration20261124010000_retention', class: Migration20261124010000_retention },
  { name: 'Migration20261124020000_forwarding', class: Migration20261124020000_forwarding },
  { name: 'Migration20261124030000_integrity', class: Migration20261124030000_integrity },
  { name: 'Migration20261201120000_tenant_catalog', class: Migration20261201120000_tenant_catalog },
  { name: 'Migration20261201130000_provenance', class: Migration20261201130000_provenance },
  { name: 'Migration20261201200000_identity', class: Migration20261201200000_identity },
  { name: 'Migration20261201210000_scim', class: Migration20261201210000_scim },
  { name: 'Migration20261201220000_sso', class: Migration20261201220000_sso },
  { name: 'Migration20261202010000_key_revoked_by', class: Migration20261202010000_key_revoked_by },
  { name: 'Migration20261202100000_saved_searches', class: Migration20261202100000_saved_searches },
  { name: 'Migration20261202150000_tenant_keys', class: Migration20261202150000_tenant_keys },
  { name: 'Migration20261202170000_credential_index', class: Migration20261202170000_credential_index },
  { name: 'Migration20261202180000_colocated_due_join', class: Migration20261202180000_colocated_due_join },
];
