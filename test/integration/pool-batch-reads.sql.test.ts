/**
 * A pool batch reads its own keys, not the deployment's: keypool_settle's claims, usage counts and
 * allowance given back each join a handful of keys to integration, and the planner, taking the
 * table for small and the batch for a hundred rows, used to read every key of every tenant to hash
 * them (a claim did it twice), and a report applied at once read its key through the brand's index.
 * Counted from PostgreSQL's own statistics of the session's reads in the statement's transaction.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';

const KEYS = 120;
/** Reads a batch may make per key it names (its lock, its read, its update, through the index); a scan of the deployment's keys is KEYS. */
const PER_KEY = 8;
let t: TestApp;
let db: pg.Client;
let keys: number[];

beforeAll(async () => {
  t = await createTestApp();
  const brand = await t.createBrand('Many keys');
  const pool = poolClient(t, brand.token);
  keys = [];
  for (let i = 0; i < KEYS; i++) keys.push(await pool.addKey('together', { minute_limit: 1000 }));
  db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
}, 120_000);
afterAll(async () => {
  await db.end();
  await t.close();
});

/**
 * Rows of integration the statement read, by any scan: this session's own counts (pg_stat_xact_user_tables holds what the session
 * has not reported yet), before and after it, in its transaction.
 */
async function rowsRead(statement: () => Promise<unknown>): Promise<number> {
  const count = async () => Number((await db.query(
    `select coalesce(sum(seq_tup_read + idx_tup_fetch), 0) as n from pg_stat_xact_user_tables where relname = 'integration'`)).rows[0].n);
  await db.query('begin');
  try {
    const before = await count();
    await statement();
    return (await count()) - before;
  } finally {
    await db.query('commit');
  }
}

const now = new Date();
const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
const today = now.toISOString().slice(0, 10);
const at = JSON.stringify({ now: now.toISOString(), minute: minute.toISOString(), today, month_start: `${today.slice(0, 8)}01`, day_key: today, month_key: today.slice(0, 7) });
const rules = JSON.stringify({ degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [], appended_spend: true });
const settle = (parts: { reports?: unknown[]; claims?: unknown[]; counts?: unknown[]; returns?: unknown[] }, batchKeys: number[]) => db.query(
  `select count(*) from keypool_settle($1::jsonb, $2::jsonb, '[]', $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7::integer[])`,
  [JSON.stringify(parts.reports ?? []), JSON.stringify(parts.claims ?? []), JSON.stringify(parts.counts ?? []), JSON.stringify(parts.returns ?? []), at, rules, batchKeys],
);

describe('a pool batch', () => {
  it(`reads only its own keys of the ${KEYS}, for claims, usage counts and allowance given back`, async () => {
    const mine = keys.slice(10, 12);
    for (let round = 0; round < 3; round++) {
      expect(await rowsRead(() => settle({ claims: mine.map((key) => ({ key, n: 4, probe: false })) }, mine))).toBeLessThanOrEqual(PER_KEY * mine.length);
      expect(await rowsRead(() => settle({
        counts: mine.map((key) => ({ key, minute: minute.toISOString(), minute_n: 1, day: today, day_n: 1, last_used: now.toISOString() })),
      }, mine))).toBeLessThanOrEqual(PER_KEY * mine.length);
      expect(await rowsRead(() => settle({ returns: mine.map((key) => ({ key, minute: minute.toISOString(), minute_n: 1, day: today, day_n: 1 })) }, mine)))
        .toBeLessThanOrEqual(PER_KEY * mine.length);
    }
    // And they did what they are for: 3 rounds of 4 claimed, 1 given back each.
    const { rows } = await db.query('select minute_claimed, minute_count from integration where id = any($1) order by id', [mine]);
    expect(rows).toEqual(mine.map(() => ({ minute_claimed: 9, minute_count: 3 })));
  });

  it('reads only its own keys for reports, appended or applied at once, and their fold', async () => {
    const mine = keys.slice(20, 22);
    const { rows: [{ brand_id: brand }] } = await db.query('select brand_id from integration where id = $1', [mine[0]]);
    const report = (key: number, append: boolean) => ({
      lease: randomUUID(), key, brand, node: null, model: 'm', success: append, status_code: append ? 200 : 503, error_type: null, retry_after: null, probe: false,
      cost: '0.001', prompt_tokens: 1, completion_tokens: 1, latency_ms: 5, first_token_ms: null, append,
    });
    // A session's first call of the append plans it for the values it is given (the later ones use the generic plan), and that
    // plan may read more: a pooled connection pays it once. Made here with another key, not counted.
    await settle({ reports: [{ ...report(keys[40], true), brand }] }, []);
    for (let round = 0; round < 3; round++) {
      // Appended: each key read once, by its id (no lock, so no key in p_keys).
      expect(await rowsRead(() => settle({ reports: mine.map((key) => report(key, true)) }, []))).toBeLessThanOrEqual(PER_KEY * mine.length);
      // Applied at once (a failure): each key locked, read and updated.
      expect(await rowsRead(() => settle({ reports: mine.map((key) => report(key, false)) }, mine))).toBeLessThanOrEqual(PER_KEY * mine.length);
      expect(await rowsRead(() => db.query('select count(*) from keypool_fold($1::jsonb, 1000, $2::integer[])', [at, mine]))).toBeLessThanOrEqual(PER_KEY * mine.length);
    }
    const { rows } = await db.query('select spend_today::text from integration where id = any($1) order by id', [mine]);
    expect(rows).toEqual(mine.map(() => ({ spend_today: '0.006000000000' })));
  });
});
