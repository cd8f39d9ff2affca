import { Migration } from '@mikro-orm/migrations';

export class Migration20261122185347_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "accounts" ("id" uuid not null, "name" text not null, "plan" text not null default 'free', "plan_changed_at" timestamptz null, "previous_retention_days" int null, "retention_grace_until" timestamptz null, "ever_licensed" boolean not null default false, "stripe_customer_id" text null, "stripe_subscription_id" text null, "stripe_state_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "accounts_pkey" primary key ("id"));`);
    this.addSql(`alter table "accounts" add constraint "accounts_stripe_customer_id_unique" unique ("stripe_customer_id");`);

    this.addSql(`create table "api_keys" ("id" uuid not null, "account_id" uuid not null, "name" text not null, "prefix" text not null, "key_hash" bytea not null, "scopes" text[] not null, "workspace_id" uuid null, "created_by" uuid null, "created_at" timestamptz not null default now(), "last_used_at" timestamptz null, "rotated_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_key_hash_unique" unique ("key_hash");`);
    this.addSql(`create index "api_keys_account_id_created_at_index" on "api_keys" ("account_id", "created_at");`);

    this.addSql(`create table "invitations" ("id" uuid not null, "account_id" uuid not null, "email" text not null, "role" text not null, "workspace_ids" text[] not null default '{}', "token_hash" bytea not null, "invited_by" uuid null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, "accepted_at" timestamptz null, constraint "invitations_pkey" primary key ("id"));`);
    this.addSql(`alter table "invitations" add constraint "invitations_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "invitations_account_id_created_at_index" on "invitations" ("account_id", "created_at");`);

    this.addSql(`create table "users" ("id" uuid not null, "email" text not null, "name" text null, "password_hash" text not null, "created_at" timestamptz not null default now(), constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "sessions" ("id" uuid not null, "token_hash" bytea not null, "user_id" uuid not null, "account_id" uuid not null, "csrf_token" text not null, "ip" text null, "user_agent" text null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);
    this.addSql(`create index "sessions_account_id_index" on "sessions" ("account_id");`);

    this.addSql(`create table "memberships" ("id" uuid not null, "account_id" uuid not null, "user_id" uuid not null, "role" text not null, "workspace_ids" text[] not null default '{}', "created_at" timestamptz not null default now(), constraint "memberships_pkey" primary key ("id"));`);
    this.addSql(`create index "memberships_user_id_index" on "memberships" ("user_id");`);
    this.addSql(`alter table "memberships" add constraint "memberships_account_id_user_id_unique" unique ("account_id", "user_id");`);

    this.addSql(`create table "workspaces" ("id" uuid not null, "account_id" uuid not null, "name" text not null, "created_at" timestamptz not null default now(), constraint "workspaces_pkey" primary key ("id"));`);
    this.addSql(`create index "workspaces_account_id_created_at_index" on "workspaces" ("account_id", "created_at");`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "invitations" add constraint "invitations_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "sessions" add constraint "sessions_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "memberships" add constraint "memberships_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "memberships" add constraint "memberships_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "workspaces" add constraint "workspaces_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);
  }

}
