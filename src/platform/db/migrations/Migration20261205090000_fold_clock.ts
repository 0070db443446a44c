import { Migration } from '@mikro-orm/migrations';

/**
 * When appended outcomes were last folded by a fold timer, of any instance (one row): a timer
 * folds only when no other did within most of its interval, so a deployment folds about once per
 * interval however many instances it runs, and each fold finds more outcomes per key to add up.
 * Written with the database's clock (it paces work; no rule reads it).
 */
export class Migration20261205090000_fold_clock extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "pool_fold_clock" ("id" boolean primary key default true check ("id"), "folded_at" timestamptz not null);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "pool_fold_clock";`);
  }
}
