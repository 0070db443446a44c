import { Migration } from '@mikro-orm/migrations';

/** Spend sums may never overflow: numeric(38,12) holds 10^20 reports of the largest accepted cost. */
export class Migration20261123090000_wide_spend extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" alter column "spend_today" type numeric(38,12);`);
    this.addSql(`alter table "integration" alter column "spend_month" type numeric(38,12);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" alter column "spend_today" type numeric(26,12);`);
    this.addSql(`alter table "integration" alter column "spend_month" type numeric(26,12);`);
  }
}
