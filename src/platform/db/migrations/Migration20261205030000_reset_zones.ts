import { Migration } from '@mikro-orm/migrations';

/**
 * Reset clocks: the IANA zone a key's daily windows turn in. A key's provider gives the default
 * (America/Los_Angeles for Google's Gemini, Google AI and Vertex keys, and custom providers built
 * on them; UTC for the rest); a key may name another.
 */
export class Migration20261205030000_reset_zones extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "daily_reset_zone" varchar(64) not null default 'UTC';`);
    this.addSql(`update "integration" i set "daily_reset_zone" = 'America/Los_Angeles'
      where i.provider_name in ('google_ai', 'gemini', 'vertex')
        or exists (select 1 from provider_config pc where pc.brand_id = i.brand_id and pc.name = i.provider_name and pc.custom
          and pc.base_provider_type in ('google_ai', 'gemini', 'vertex'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "integration" drop column "daily_reset_zone";`);
  }
}
