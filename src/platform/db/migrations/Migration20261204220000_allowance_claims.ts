import { Migration } from '@mikro-orm/migrations';

/**
 * Allowance claims: what instances have claimed of a key's minute and daily limits
 * (minute_claimed in claim_minute, daily_claimed on claim_day), apart from the leases they have
 * granted (minute_count, daily_count, which stay the key's usage). A key's limits are judged on
 * its claims. Each key starts with its current counts claimed, so no limit is passed while the
 * instances move over.
 */
export class Migration20261204220000_allowance_claims extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "minute_claimed" integer not null default 0, add column "claim_minute" timestamptz null,
      add column "daily_claimed" integer not null default 0, add column "claim_day" date null;`);
    this.addSql(`update "integration" set "minute_claimed" = "minute_count", "claim_minute" = "minute_window",
      "daily_claimed" = "daily_count", "claim_day" = "day_window";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop column "minute_claimed", drop column "claim_minute", drop column "daily_claimed", drop column "claim_day";`);
  }
}
