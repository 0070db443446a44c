import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail: one row per change to keys, providers, quota groups, nodes, credentials,
 * client tokens, brands and alert webhooks (written by triggers, see modules/audit), and per
 * operator action (a cooldown reset, a re-probe). Who (the actor's kind, id and label), what
 * (the resource, its id, the action, the changed fields with old and new values; a secret field
 * only as changed), when, and from where (address and user agent).
 */
export class Migration20261205050000_audit_log extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "audit_entry" (
      "id" bigserial primary key,
      "at" timestamptz not null default now(),
      "brand_id" uuid null,
      "actor_kind" varchar(32) not null,
      "actor_id" varchar(64) null,
      "actor_label" varchar(255) null,
      "source_ip" varchar(64) null,
      "user_agent" varchar(255) null,
      "resource" varchar(32) not null,
      "resource_id" varchar(255) not null,
      "action" varchar(32) not null,
      "changes" jsonb not null default '{}');`);
    this.addSql(`create index "audit_entry_brand_index" on "audit_entry" ("brand_id", "id");`);
    this.addSql(`create index "audit_entry_at_index" on "audit_entry" ("at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "audit_entry";`);
  }
}
