import { Migration } from '@mikro-orm/migrations';

/**
 * What Bifrost's clients keep on keys and providers: a key's model aliases (the name a caller
 * asks for -> the name this key's provider knows the model by), and a standard provider that a
 * brand deleted, which Bifrost's provider list no longer shows (`unlisted`) until it is written
 * again or gets a key.
 */
export class Migration20261204140000_bifrost_clients extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "aliases" jsonb null;`);
    this.addSql(`alter table "provider_config" add column "unlisted" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provider_config" drop column "unlisted";`);
    this.addSql(`alter table "integration" drop column "aliases";`);
  }
}
