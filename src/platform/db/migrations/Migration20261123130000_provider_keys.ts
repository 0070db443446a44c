import { Migration } from '@mikro-orm/migrations';

/**
 * Bifrost-compatible provider keys on the one integration table: batch keys, environment
 * references (the names, so selection can skip a key whose variable is unavailable), keyless
 * endpoints of custom providers, and the redacted Bifrost rendering of each secret. A brand's
 * own providers (custom ones, network settings) live in provider_config.
 *
 * Selection changes: `models` null or holding "*" allows every model, [] allows none, and names
 * compare case-insensitively; a blacklist "*" blocks every model; a batch lease takes only
 * use_for_batch_api keys.
 */
export class Migration20261123130000_provider_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "use_for_batch_api" boolean not null default false, add column "env_refs" text[] not null default '{}', add column "keyless" boolean not null default false, add column "key_view" jsonb null;`);
    this.addSql(`create table "provider_config" ("brand_id" uuid not null, "name" varchar(64) not null, "custom" boolean not null, "base_provider_type" varchar(64) not null, "is_key_less" boolean not null default false, "allowed_requests" jsonb null, "request_path_overrides" jsonb null, "network_config" jsonb null, "concurrency_and_buffer_size" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "provider_config_pkey" primary key ("brand_id", "name"));`);
    this.addSql(`alter table "provider_config" add constraint "provider_config_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
    // The lease rules (batch, environment) are defined in src/modules/pool/pool-functions.sql.ts.
    this.addSql(`drop function if exists keypool_lease_many(uuid, text, text, integer, timestamptz, date, timestamptz, text, text, double precision, double precision);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provider_config";`);
    this.addSql(`alter table "integration" drop column "use_for_batch_api", drop column "env_refs", drop column "keyless", drop column "key_view";`);
  }
}
