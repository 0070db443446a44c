import { Migration } from '@mikro-orm/migrations';

export class Migration20261122203702_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "brand" ("id" uuid not null, "name" varchar(255) not null, "created_at" timestamptz not null, constraint "brand_pkey" primary key ("id"));`);

    this.addSql(`create table "integration" ("id" serial primary key, "key_id" varchar(255) not null, "brand_id" uuid not null, "provider_name" varchar(64) not null, "key_label" varchar(255) null, "is_active" boolean not null default true, "is_primary" boolean not null default false, "priority" int not null default 0, "weight" numeric(12,6) not null default '1', "models" text[] null, "blacklisted_models" text[] not null default '{}', "credentials_encrypted" text not null, "credential_fingerprint" varchar(64) not null, "key_preview" jsonb not null, "daily_limit" int null, "daily_count" int not null default 0, "day_window" date null, "minute_limit" int null, "minute_count" int not null default 0, "minute_window" timestamptz null, "health_status" varchar(16) not null default 'healthy', "consecutive_failures" int not null default 0, "cooldown_until" timestamptz null, "probe_due_at" timestamptz null, "probe_failures" int not null default 0, "last_used_at" timestamptz null, "spend_limit_amount" numeric(20,8) null, "spend_limit_period" varchar(16) not null default 'monthly', "spend_limit_action" varchar(16) not null default 'warn', "spend_limit_exceeded" boolean not null default false, "spend_today" numeric(20,8) not null default '0', "spend_day" date null, "spend_month" numeric(20,8) not null default '0', "spend_month_start" date null, "cached_balance" numeric(20,8) null, "cached_usage_today" numeric(20,8) null, "cached_usage_month" numeric(20,8) null, "cached_currency" varchar(8) null, "billing_synced_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "integration_brand_provider_index" on "integration" ("brand_id", "provider_name");`);
    this.addSql(`alter table "integration" add constraint "integration_brand_key_id_unique" unique ("brand_id", "key_id");`);
    this.addSql(`alter table "integration" add constraint "integration_credential_unique" unique ("brand_id", "provider_name", "credential_fingerprint");`);

    this.addSql(`create table "reported_lease" ("lease_id" varchar(64) not null, "integration_id" int not null, "reported_at" timestamptz not null, constraint "reported_lease_pkey" primary key ("lease_id"));`);

    this.addSql(`alter table "integration" add constraint "integration_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop constraint "integration_brand_id_foreign";`);

    this.addSql(`drop table if exists "brand" cascade;`);

    this.addSql(`drop table if exists "integration" cascade;`);

    this.addSql(`drop table if exists "reported_lease" cascade;`);
  }

}
