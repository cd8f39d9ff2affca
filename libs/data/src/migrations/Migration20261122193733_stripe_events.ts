import { Migration } from '@mikro-orm/migrations';

export class Migration20261122193733_stripe_events extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "stripe_events" ("id" text not null, "type" text not null, "account_id" uuid null, "created_at" timestamptz not null, "received_at" timestamptz not null default now(), "outcome" text not null default 'applied', constraint "stripe_events_pkey" primary key ("id"));`);

    // Reviewed addition: the webhook finds the account before it knows the tenant.
    this.addSql(`
CREATE OR REPLACE FUNCTION app_account_for_stripe(p_account uuid, p_customer text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT id FROM accounts WHERE (p_account IS NOT NULL AND id = p_account) OR (p_customer IS NOT NULL AND stripe_customer_id = p_customer)
  ORDER BY (id = p_account) DESC NULLS LAST LIMIT 1
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_account_for_stripe(uuid, text) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_account_for_stripe(uuid, text) TO audit_app;`);
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON stripe_events TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "stripe_events" cascade;`);
  }

}
