import { Migration } from '@mikro-orm/migrations';

/** Issued client tokens (by jti), so the operator can list and revoke them. */
export class Migration20261123100000_client_tokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "client_token" ("id" uuid not null, "brand_id" uuid not null, "label" varchar(255) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "client_token_pkey" primary key ("id"));`);
    this.addSql(`create index "client_token_brand_index" on "client_token" ("brand_id");`);
    this.addSql(`create index "client_token_revoked_index" on "client_token" ("expires_at") where "revoked_at" is not null;`);
    this.addSql(`alter table "client_token" add constraint "client_token_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "client_token" cascade;`);
  }
}
