import { Migration } from '@mikro-orm/migrations';

/**
 * Appended outcomes: a report that changes nothing but a key's spend, the usage ledger and its
 * node's counters (a plain success on a healthy key without a `block` spend limit) is inserted here, with
 * no lock on its key, and folded into them per key by keypool_fold (pool-functions.sql.ts) a short
 * while later, or before a read. Rows leave the table when they are folded. The lease's
 * at-most-once record stays in reported_lease for every report. An outcome names its provider,
 * so it reaches the ledger even when its key is deleted before the fold (as a report applied at
 * once before the delete would have).
 */
export class Migration20261205000000_pool_outcomes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "pool_outcome" (
      "integration_id" integer not null, "brand_id" uuid not null, "provider_name" varchar(64) not null, "node_id" uuid null, "model" varchar(255) not null default '',
      "day" date not null, "month_start" date not null, "reported_at" timestamptz not null,
      "cost_usd" numeric(38,12) not null, "prompt_tokens" bigint not null, "completion_tokens" bigint not null,
      "latency_ms" integer null, "first_token_ms" integer null);`);
    this.addSql(`create index "pool_outcome_integration_index" on "pool_outcome" ("integration_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pool_outcome";`);
  }
}
