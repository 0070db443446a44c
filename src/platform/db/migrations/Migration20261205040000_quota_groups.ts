import { Migration } from '@mikro-orm/migrations';

/**
 * Quota groups: keys that share one provider quota (a Gemini project, an OpenRouter account) are
 * put in a named group of their brand, which carries the request and token limits every member
 * draws from, counted as a key's are (claimed requests per minute and per day in the group's
 * reset zone, tokens reserved per minute and per day). A key names its group; deleting the group
 * leaves its keys ungrouped.
 */
export class Migration20261205040000_quota_groups extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "quota_group" (
      "brand_id" uuid not null references "brand" ("id") on delete cascade,
      "name" varchar(64) not null,
      "minute_limit" integer null, "daily_limit" integer null, "token_minute_limit" integer null, "token_daily_limit" integer null,
      "daily_reset_zone" varchar(64) not null default 'UTC',
      "minute_claimed" integer not null default 0, "claim_minute" timestamptz null,
      "daily_claimed" integer not null default 0, "claim_day" date null,
      "token_minute_count" bigint not null default 0, "token_minute_window" timestamptz null,
      "token_daily_count" bigint not null default 0, "token_day_window" date null,
      "created_at" timestamptz not null, "updated_at" timestamptz not null,
      primary key ("brand_id", "name"));`);
    this.addSql(`alter table "integration" add column "quota_group" varchar(64) null,
      add constraint "integration_quota_group_foreign" foreign key ("brand_id", "quota_group")
        references "quota_group" ("brand_id", "name") on update cascade on delete set null ("quota_group");`);
    this.addSql(`create index "integration_quota_group_index" on "integration" ("brand_id", "quota_group") where "quota_group" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop column "quota_group";`);
    this.addSql(`drop table "quota_group";`);
  }
}
