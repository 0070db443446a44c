/** The one repository of the `integration` table reads what the table holds, and days as days. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_COLUMNS, RECORD_COLUMNS } from '../../src/modules/keys/key-columns.js';
import { createSqlPool, type SqlPool } from '../../src/platform/db/sql-pool.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let pool: SqlPool;

beforeAll(async () => {
  t = await createTestApp();
  pool = createSqlPool(t.databaseUrl, 2);
});
afterAll(async () => {
  await pool.end();
  await t.close();
});

describe('the integration repository', () => {
  it('describes every column of the table once, and reads each but the sealed credential (a column a migration adds must be in key-columns.ts)', async () => {
    const { rows } = await pool.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'integration'",
    );
    const table = rows.map((r) => r.column_name).sort();
    expect(Object.keys(KEY_COLUMNS).sort()).toEqual(table);
    expect([...RECORD_COLUMNS, 'credentials_encrypted'].sort()).toEqual(table);
  });

  it('gives a DATE column as its day, whatever the time zone (not a Date at local midnight, a day off east of UTC)', async () => {
    const { rows } = await pool.query("select date '2026-11-23' as day, null::date as none");
    expect(rows[0]).toEqual({ day: '2026-11-23', none: null });
  });
});
