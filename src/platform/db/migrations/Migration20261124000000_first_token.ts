import { Migration } from '@mikro-orm/migrations';

/**
 * Time to first token in the usage ledger, beside latency: its sum, its maximum and how many
 * reports gave one (a streamed answer's first byte; a plain answer gives none).
 */
export class Migration20261124000000_first_token extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_daily"
      add column "first_token_ms_sum" bigint not null default 0,
      add column "first_token_ms_max" integer not null default 0,
      add column "first_token_reports" bigint not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_daily" drop column "first_token_ms_sum", drop column "first_token_ms_max", drop column "first_token_reports";`);
  }
}
