import { Migration } from '@mikro-orm/migrations';

/**
 * Alerts: webhooks a brand configures (a signed JSON body, or Slack's or Discord's incoming-webhook
 * format) with the rules they want; an outbox of deliveries (one row per alert and webhook, its id
 * the receiver's idempotency key) that a dispatcher on any instance sends, retries with backoff
 * and records; and the state of the rules judged on a timer (capacity, a provider with no key
 * available, billing drift), so each of them fires once when it starts and once when it ends.
 */
export class Migration20261205060000_alerts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "alert_webhook" (
      "id" uuid primary key,
      "brand_id" uuid not null references "brand" ("id") on delete cascade,
      "name" varchar(100) not null,
      "url" text not null,
      "format" varchar(16) not null,
      "secret_encrypted" text not null,
      "rules" text[] not null,
      "provider_names" text[] null,
      "capacity_threshold_percent" integer not null default 10,
      "billing_drift_usd" numeric(20, 6) not null default 1,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "alert_webhook_brand_name_unique" unique ("brand_id", "name"));`);
    this.addSql(`create table "alert_delivery" (
      "id" uuid primary key,
      "webhook_id" uuid not null references "alert_webhook" ("id") on delete cascade,
      "brand_id" uuid not null,
      "rule" varchar(32) not null,
      "payload" jsonb not null,
      "status" varchar(16) not null default 'pending',
      "attempts" integer not null default 0,
      "next_attempt_at" timestamptz not null,
      "claimed_until" timestamptz null,
      "last_status" integer null,
      "last_error" varchar(500) null,
      "created_at" timestamptz not null,
      "delivered_at" timestamptz null);`);
    this.addSql(`create index "alert_delivery_due_index" on "alert_delivery" ("next_attempt_at") where "status" = 'pending';`);
    this.addSql(`create index "alert_delivery_webhook_index" on "alert_delivery" ("webhook_id", "created_at");`);
    this.addSql(`create index "alert_delivery_brand_index" on "alert_delivery" ("brand_id", "created_at");`);
    this.addSql(`create table "alert_state" (
      "brand_id" uuid not null references "brand" ("id") on delete cascade,
      "rule" varchar(32) not null,
      "subject" varchar(255) not null,
      "firing" boolean not null,
      "changed_at" timestamptz not null,
      primary key ("brand_id", "rule", "subject"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "alert_state";`);
    this.addSql(`drop table "alert_delivery";`);
    this.addSql(`drop table "alert_webhook";`);
  }
}
