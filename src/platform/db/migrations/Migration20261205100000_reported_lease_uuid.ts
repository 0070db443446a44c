import { Migration } from '@mikro-orm/migrations';

/**
 * A reported lease's id as a uuid (16 bytes, compared as such) rather than its text (37 bytes,
 * compared by collation). Every id written here is a lease's UUID, since the first version, so
 * every row converts. Lease ids are now time-ordered (version 7, see
 * platform/crypto/time-ordered-uuid.ts), so this index grows at its right edge: with random ids
 * each report's insert touched a random leaf of the ten minutes' reports it holds, and after every
 * checkpoint wrote that whole page to the WAL again (bench:pool-sql, 1.2 million held: 4,510 bytes
 * of WAL per appended report, against 733 with time-ordered ids).
 */
export class Migration20261205100000_reported_lease_uuid extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "reported_lease" alter column "lease_id" type uuid using "lease_id"::uuid;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "reported_lease" alter column "lease_id" type varchar(64) using "lease_id"::text;`);
  }
}
