import { Migration } from '@mikro-orm/migrations';

/**
 * Token and concurrency limits per key. The pool reserves a lease's estimated tokens against the
 * key's token budgets of the current minute and day (token_minute_count, token_daily_count, in
 * the windows token_minute_window and token_day_window) and reconciles them from the report's
 * actual tokens. A key with a concurrency limit has each lease not yet reported in
 * pool_open_lease until it is reported or expires; open_leases is that count as the pool last
 * took it.
 */
export class Migration20261205020000_token_limits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration"
      add column "token_minute_limit" integer null, add column "token_daily_limit" integer null, add column "concurrency_limit" integer null,
      add column "token_minute_count" bigint not null default 0, add column "token_minute_window" timestamptz null,
      add column "token_daily_count" bigint not null default 0, add column "token_day_window" date null,
      add column "open_leases" integer not null default 0;`);
    this.addSql(`create table "pool_open_lease" (
      "lease_id" uuid primary key,
      "integration_id" integer not null references "integration" ("id") on delete cascade,
      "expires_at" timestamptz not null);`);
    this.addSql(`create index "pool_open_lease_key_idx" on "pool_open_lease" ("integration_id", "expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "pool_open_lease";`);
    this.addSql(`alter table "integration" drop column "token_minute_limit", drop column "token_daily_limit", drop column "concurrency_limit",
      drop column "token_minute_count", drop column "token_minute_window", drop column "token_daily_count", drop column "token_day_window",
      drop column "open_leases";`);
  }
}
