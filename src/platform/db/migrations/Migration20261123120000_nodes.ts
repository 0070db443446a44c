import { Migration } from '@mikro-orm/migrations';

/** Nodes and their credentials (hashed secrets; one live credential per name and node). */
export class Migration20261123120000_nodes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "node" ("id" uuid not null, "brand_id" uuid not null, "name" varchar(255) not null, "description" text null, "lease_count" bigint not null default 0, "failure_count" bigint not null default 0, "spend_today" numeric(38,12) not null default 0, "spend_day" date null, "spend_month" numeric(38,12) not null default 0, "spend_month_start" date null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "node_pkey" primary key ("id"));`);
    this.addSql(`alter table "node" add constraint "node_brand_name_unique" unique ("brand_id", "name");`);
    this.addSql(`alter table "node" add constraint "node_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "node_credential" ("id" uuid not null, "brand_id" uuid not null, "node_id" uuid not null, "name" varchar(255) not null, "api_key" varchar(64) not null, "secret_hash" varchar(64) not null, "previous_secret_hash" varchar(64) null, "previous_secret_expires_at" timestamptz null, "permissions" text[] not null default '{}', "expires_at" timestamptz null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "node_credential_pkey" primary key ("id"));`);
    this.addSql(`alter table "node_credential" add constraint "node_credential_api_key_unique" unique ("api_key");`);
    this.addSql(`create unique index "node_credential_live_name_unique" on "node_credential" ("node_id", "name") where "revoked_at" is null;`);
    this.addSql(`alter table "node_credential" add constraint "node_credential_node_id_foreign" foreign key ("node_id") references "node" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "node_credential";`);
    this.addSql(`drop table if exists "node";`);
  }
}
