import { Migration } from '@mikro-orm/migrations';

/**
 * Gateway calls keypool could not serve (no key available, or every attempt failed), each with
 * its routing story: the keys tried and why each other key was skipped. Kept as long as events.
 */
export class Migration20261205080000_gateway_failures extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway_failure" (
      "id" bigserial primary key,
      "brand_id" uuid not null references "brand" ("id") on delete cascade,
      "at" timestamptz not null,
      "endpoint" varchar(64) not null,
      "provider_name" varchar(100) not null,
      "model" varchar(255) not null,
      "outcome" varchar(32) not null,
      "status" integer null,
      "attempts" integer not null,
      "route" text not null);`);
    this.addSql(`create index "gateway_failure_brand_index" on "gateway_failure" ("brand_id", "id");`);
    this.addSql(`create index "gateway_failure_at_index" on "gateway_failure" ("at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "gateway_failure";`);
  }
}
