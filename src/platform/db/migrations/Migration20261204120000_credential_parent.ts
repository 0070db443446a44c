import { Migration } from '@mikro-orm/migrations';

/**
 * A credential made by another credential names it: it expires no later than its maker and is
 * revoked with it (the whole line below a revoked credential).
 */
export class Migration20261204120000_credential_parent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "node_credential" add column "parent_id" uuid null references "node_credential" ("id") on delete set null;`);
    this.addSql(`create index "node_credential_parent_id_index" on "node_credential" ("parent_id") where "parent_id" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "node_credential" drop column "parent_id";`);
  }
}
