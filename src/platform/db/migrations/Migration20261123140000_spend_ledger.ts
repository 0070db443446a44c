import { Migration } from '@mikro-orm/migrations';

/**
 * Spend you can trust: billing sync state per key (claim, backoff, last error), keys out of
 * credits (a 402), and the daily usage ledger. The SQL functions that judge a spend limit and
 * lease keys are not here: each is defined once, in a .sql.ts file of its module, and applied after
 * the migrations at every start.
 */
export class Migration20261123140000_spend_ledger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration"
      add column "billing_error" varchar(255) null,
      add column "billing_error_at" timestamptz null,
      add column "billing_failures" integer not null default 0,
      add column "billing_next_at" timestamptz null,
      add column "billing_claimed_until" timestamptz null,
      add column "out_of_credits_at" timestamptz null,
      add column "out_of_credits_until" timestamptz null;`);
    this.addSql(`update "integration" set "billing_next_at" = now() where not "keyless";`);
    this.addSql(`create index "integration_billing_due_index" on "integration" ("billing_next_at") where "billing_next_at" is not null;`);
    this.addSql(`create index "integration_spend_exceeded_index" on "integration" ("id") where "spend_limit_exceeded";`);
    this.addSql(`create table "usage_daily" (
      "brand_id" uuid not null, "integration_id" integer not null, "provider_name" varchar(64) not null,
      "node_id" uuid null, "model" varchar(255) not null default '', "day" date not null,
      "requests" bigint not null default 0, "successes" bigint not null default 0,
      "rate_limited" bigint not null default 0, "server_errors" bigint not null default 0, "auth_errors" bigint not null default 0,
      "client_errors" bigint not null default 0, "timeouts" bigint not null default 0, "network_errors" bigint not null default 0,
      "prompt_tokens" bigint not null default 0, "completion_tokens" bigint not null default 0,
      "cost_usd" numeric(38,12) not null default 0,
      "latency_ms_sum" bigint not null default 0, "latency_ms_max" integer not null default 0, "latency_reports" bigint not null default 0)
      with (fillfactor = 70);`);
    this.addSql(`alter table "usage_daily" add constraint "usage_daily_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
    // One index: the upsert's conflict target, and a brand's days for reads. Rows are updated in place (HOT), so pages keep room.
    this.addSql(`create unique index "usage_daily_key" on "usage_daily" ("brand_id", "day", "integration_id", (coalesce("node_id", '00000000-0000-0000-0000-000000000000'::uuid)), "model");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "usage_daily";`);
    this.addSql(`alter table "integration" drop column "billing_error", drop column "billing_error_at", drop column "billing_failures", drop column "billing_next_at", drop column "billing_claimed_until", drop column "out_of_credits_at", drop column "out_of_credits_until";`);
  }
}
