/**
 * npm run bench:pool-sql — where PostgreSQL's time goes in the pool's
 * statements, read from the backend's own CPU time in /proc (no HTTP, no
 * keypool process in the measurement): the fixed cost of a statement and of a
 * commit, the lease and report functions per item at batch sizes 1, 10 and 30,
 * and the report's parts (the same function with one part left out at a
 * time: the usage ledger, the reported-lease record, the health step, the
 * nodes' counters, the key's update). 240 keys of one provider in 20 brands,
 * as bench:scale spreads its load. Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { POOL_FUNCTIONS_SQL } from '../src/modules/pool/pool-functions.sql.js';
import { createBrandToken, fmt, startServer } from './support.js';

const BRANDS = 20;
const KEYS_PER_BRAND = 12;

const server = await startServer();
try {
  const keys: number[] = [];
  for (let b = 0; b < BRANDS; b++) {
    const token = await createBrandToken(server, `pool-sql-${b}`);
    for (let n = 0; n < KEYS_PER_BRAND; n++) {
      const res = await fetch(`${server.url}/api/v1/integrations`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          provider_name: 'groq', credentials: { api_key: `groq-pool-sql-${b}-${n}-0123456789` },
          minute_limit: 100_000, daily_limit: 10_000_000, spend_limit_amount: 1_000_000_000, spend_limit_period: 'monthly', spend_limit_action: 'warn',
        }),
      });
      keys.push(((await res.json()) as { integration: { id: number } }).integration.id);
    }
  }
  // The server's embedded cluster (already running: this only finds it).
  const { pgPassword } = JSON.parse(readFileSync(`${server.dataDir}/secrets.json`, 'utf8'));
  const cluster = await startEmbeddedPostgres({ dataDir: server.dataDir, password: pgPassword, log: () => {} });
  const db = new pg.Client({ connectionString: cluster.url });
  await db.connect();
  try {
    const brandOf = new Map((await db.query<{ id: number; brand_id: string }>('select id, brand_id from integration')).rows.map((r) => [r.id, r.brand_id]));
    const backend = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    const cpuMs = () => {
      const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * 10;
    };
    const now = new Date();
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const today = now.toISOString().slice(0, 10);
    const monthStart = `${today.slice(0, 8)}01`;
    const randomKeys = (n: number) => Array.from({ length: n }, () => keys[Math.floor(Math.random() * keys.length)]);

    const report = POOL_FUNCTIONS_SQL.find((s) => s.includes('function keypool_report('))!;
    const parts: Record<string, string> = {
      'the usage ledger': report.replace(/insert into usage_daily[\s\S]*?first_token_reports = u\.first_token_reports \+ excluded\.first_token_reports;/, ''),
      'the reported-lease record': report.replace(/insert into reported_lease[^;]*;\s*if not found then report_outcome := 'already_reported'; return next; continue; end if;/, ''),
      'the health step': report.replace(/step := keypool_health\([^;]*;/, "step := row(cur.health_status, 0, 0, null, null, null, 'successes');"),
      "the nodes' counters": report.replace(/perform 1 from node n[\s\S]*?where n\.id = a\.node;/, ''),
      "the key's update": report.replace(/update integration i set[\s\S]*?returning i\.\* into report_key;/, 'report_key := cur;'),
    };
    const variants = new Map<string, string>([['keypool_report', 'all of it']]);
    for (const [part, text] of Object.entries(parts)) {
      if (text === report) throw new Error(`bench:pool-sql could not leave out ${part}: the report function changed`);
      const name = `bench_report_without_${variants.size}`;
      await db.query(text.replace('function keypool_report(', `function ${name}(`));
      variants.set(name, `without ${part}`);
    }
    const at = JSON.stringify({ now: now.toISOString(), minute: minute.toISOString(), today, month_start: monthStart, day_key: today, month_key: monthStart.slice(0, 7) });
    const rules = JSON.stringify({ degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [], env_available: [] });
    const reportCall = (fn: string, n: number) => ({
      name: `${fn}-report`,
      text: `select count(*) from ${fn}($1::jsonb, $2::jsonb, $3::jsonb)`,
      values: [JSON.stringify(randomKeys(n).map((key) => ({
        lease: randomUUID(), key, brand: brandOf.get(key), node: null, model: 'm', success: true, status_code: 200, error_type: null, retry_after: null,
        probe: false, cost: '0.001234', prompt_tokens: 812, completion_tokens: 96, latency_ms: 420, first_token_ms: null,
      }))), at, rules],
    });
    const leaseCall = (n: number) => ({
      name: 'lease',
      text: 'select count(*) from keypool_lease($1::jsonb, $2::jsonb, $3::jsonb)',
      values: [JSON.stringify(randomKeys(n).map((key) => ({ brand: brandOf.get(key), provider: 'groq', model: null, batch: false, exclude: [] }))), at, rules],
    });
    /** CPU ms of the backend per call, over `calls` calls (made after one untimed call that prepares the statement). */
    const measure = async (calls: number, call: () => pg.QueryConfig) => {
      await db.query(call());
      const before = cpuMs();
      for (let i = 0; i < calls; i++) await db.query(call());
      return (cpuMs() - before) / calls;
    };

    await db.query('create temporary table bench_commit (id serial primary key, v integer)');
    console.log(`\nPostgreSQL backend CPU per call (${BRANDS * KEYS_PER_BRAND} keys; /proc ticks of 10 ms over many calls)`);
    console.log('| statement | CPU ms per call |');
    console.log('|---|---:|');
    console.log(`| select 1 | ${fmt(await measure(800, () => ({ name: 'select-1', text: 'select 1' })), 3)} |`);
    console.log(`| one-row insert and its commit | ${fmt(await measure(800, () => ({ name: 'insert-1', text: 'insert into bench_commit (v) values ($1)', values: [1] })), 3)} |`);
    console.log(`| keypool_report with no item | ${fmt(await measure(800, () => reportCall('keypool_report', 0)), 3)} |`);

    console.log('\nPer item, by batch size');
    console.log('| function | batch of 1 | batch of 10 | batch of 30 |');
    console.log('|---|---:|---:|---:|');
    const perItem = async (call: (n: number) => pg.QueryConfig) => {
      const cells: string[] = [];
      for (const n of [1, 10, 30]) cells.push(fmt((await measure(Math.ceil(3000 / n), () => call(n))) / n, 3));
      return cells.join(' | ');
    };
    console.log(`| keypool_lease (pick, count) | ${await perItem(leaseCall)} |`);
    console.log(`| keypool_report (health, spend, ledger) | ${await perItem((n) => reportCall('keypool_report', n))} |`);

    console.log('\nThe report per item (batches of 30), with one part left out at a time');
    console.log('| report | CPU ms per item |');
    console.log('|---|---:|');
    for (const [fn, label] of variants) console.log(`| ${label} | ${fmt((await measure(150, () => reportCall(fn, 30))) / 30, 3)} |`);
  } finally {
    await db.end();
  }
} finally {
  await server.stop();
}
