import { Migration } from '@mikro-orm/migrations';

/** The event history read brand-wide in id order (GraphQL `events`, subscriptions resumed from an id). */
export class Migration20261205070000_event_history extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "integration_event_brand_index" on "integration_event" ("brand_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "integration_event_brand_index";`);
  }
}
