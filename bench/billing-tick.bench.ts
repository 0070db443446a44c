/**
 * npm run bench:billing-tick — what a background tick costs when nothing is
 * due: 100,000 keys (synced, next sync in the future, no spend flag set), one
 * instance's tick timed over 50 runs, with the statements' plans. Prints
 * figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { fmt } from './support.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const dataDir = mkdtempSync(join(tmpdir(), 'keypool-tick-'));
const { DATABASE_URL: _ignored, ...env } = process.env;
const config = loadConfig({ ...env, KEYPOOL_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', KEYPOOL_BILLING_TICK_MS: '3600000' });
const app = await createApp({ config, logger: false });
try {
  const pool = (app.services.usage as unknown as { pool: import('pg').Pool }).pool;
  const { rows: [brand] } = await pool.query(`insert into brand (id, name, created_at) values (gen_random_uuid(), 'tick', now()) returning id`);
  await pool.query(
    `insert into integration (key_id, brand_id, provider_name, credentials_encrypted, credential_fingerprint, key_preview, created_at, updated_at, billing_next_at, billing_synced_at)
     select 'k' || g, $1, (array['openrouter', 'groq', 'fal_ai', 'mistral'])[1 + g % 4], 'x', md5(g::text), '{}', now(), now(), now() + interval '5 minutes', now()
     from generate_series(1, $2) g`,
    [brand.id, KEYS],
  );
  await pool.query('analyze integration');
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await app.background.tick();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const plans: string[] = [];
  for (const sql of [
    `explain select id from integration where billing_next_at <= now() and not keyless order by billing_next_at limit 4`,
    `explain select id from integration where spend_limit_exceeded and spend_exceeded_period is distinct from 'x'`,
  ]) plans.push(((await pool.query(sql)).rows.map((r) => r['QUERY PLAN']) as string[]).join('\n    '));
  console.log(`\nkeypool background tick — ${fmt(KEYS)} keys, none due, embedded PostgreSQL`);
  console.log(`tick: median ${fmt(times[25], 2)} ms, p90 ${fmt(times[45], 2)} ms, max ${fmt(times[49], 2)} ms (3 statements: spend re-arm, local sync, remote claim)`);
  for (const plan of plans) console.log(`  ${plan}`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
