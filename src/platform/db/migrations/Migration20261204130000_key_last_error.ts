import { Migration } from '@mikro-orm/migrations';

/**
 * A key's last failure, as its reports said it (`HTTP 503`, `timeout`), and when: what an operator
 * looks at first on a key that is degraded or cooling down. And the recent history of every key's
 * events (health, spend-limit and key changes), kept for a while, so a page opened now shows what
 * happened before it.
 */
export class Migration20261204130000_key_last_error extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "last_error" varchar(255) null, add column "last_error_at" timestamptz null;`);
    this.addSql(`create table "integration_event" (
      "id" bigserial primary key,
      "brand_id" uuid not null references "brand" ("id") on delete cascade,
      "integration_id" integer not null,
      "type" varchar(64) not null,
      "at" timestamptz not null,
      "payload" jsonb not null
    );`);
    this.addSql(`create index "integration_event_key_index" on "integration_event" ("brand_id", "integration_id", "id" desc);`);
    this.addSql(`create index "integration_event_at_index" on "integration_event" ("at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "integration_event";`);
    this.addSql(`alter table "integration" drop column "last_error", drop column "last_error_at";`);
  }
}
