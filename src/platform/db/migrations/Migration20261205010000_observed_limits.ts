import { Migration } from '@mikro-orm/migrations';

/**
 * A key's request limits as its provider's own headers last stated them (per minute, per day):
 * the pool enforces the tighter of these and the configured limits, so a configured limit is a
 * ceiling that what the provider says can only tighten.
 */
export class Migration20261205010000_observed_limits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "observed_minute_limit" integer null, add column "observed_daily_limit" integer null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop column "observed_minute_limit", drop column "observed_daily_limit";`);
  }
}
