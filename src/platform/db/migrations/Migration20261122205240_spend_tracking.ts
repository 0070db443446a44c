import { Migration } from '@mikro-orm/migrations';

export class Migration20261122205240_spend_tracking extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "spend_exceeded_period" varchar(10) null;`);
    this.addSql(`alter table "integration" alter column "spend_today" type numeric(26,12) using ("spend_today"::numeric(26,12));`);
    this.addSql(`alter table "integration" alter column "spend_month" type numeric(26,12) using ("spend_month"::numeric(26,12));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop column "spend_exceeded_period";`);

    this.addSql(`alter table "integration" alter column "spend_today" type numeric(20,8) using ("spend_today"::numeric(20,8));`);
    this.addSql(`alter table "integration" alter column "spend_month" type numeric(20,8) using ("spend_month"::numeric(20,8));`);
  }

}
