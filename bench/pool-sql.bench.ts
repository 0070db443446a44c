/**
 * npm run bench:pool-sql — where PostgreSQL's time goes in the pool's
 * statements, read from the backend's own CPU time in /proc (no HTTP, no
 * keypool process in the measurement): the fixed cost of a statement and of a
 * commit, allowance claims, usage counts and the report function (successes,
 * then failures) per item at batch sizes 1, 10 and 30, then statements the
 * engine's next step would run for reports (an appended report, a fold of
 * appended reports per key). 240 keys of one provider in 20 brands, as
 * bench:scale spreads its load. Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
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

    const at = JSON.stringify({ now: now.toISOString(), minute: minute.toISOString(), today, month_start: monthStart, day_key: today, month_key: monthStart.slice(0, 7) });
    const rules = JSON.stringify({ degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [], env_available: [] });
    const reportCall = (n: number, success = true) => ({
      name: 'report',
      text: 'select count(*) from keypool_report($1::jsonb, $2::jsonb, $3::jsonb)',
      values: [JSON.stringify(randomKeys(n).map((key) => ({
        lease: randomUUID(), key, brand: brandOf.get(key), node: null, model: 'm', success, status_code: success ? 200 : 503, error_type: null,
        retry_after: null, probe: false, cost: '0.001234', prompt_tokens: 812, completion_tokens: 96, latency_ms: 420, first_token_ms: null,
      }))), at, rules],
    });
    const distinctKeys = (n: number) => [...new Set(randomKeys(n * 3))].slice(0, n);
    const settle = (parts: { claims?: unknown[]; counts?: unknown[] }) => ({
      name: 'settle',
      text: 'select count(*) from keypool_settle($1::jsonb, $2::jsonb, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7::integer[])',
      values: ['[]', JSON.stringify(parts.claims ?? []), JSON.stringify(parts.counts ?? []), '[]', at, rules,
        [...(parts.claims ?? []), ...(parts.counts ?? [])].map((item) => (item as { key: number }).key)],
    });
    // A claim of a slice of 8 per key (distinct keys: the service merges claims per key).
    const claimCall = (n: number) => settle({ claims: distinctKeys(n).map((key) => ({ key, n: 8, probe: false })) });
    // The usage counts of leases granted from slices, written per key.
    const countCall = (n: number) => settle({
      counts: distinctKeys(n).map((key) => ({ key, minute: minute.toISOString(), minute_n: 5, day: today, day_n: 5, last_used: now.toISOString() })),
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
    console.log(`| keypool_report with no item | ${fmt(await measure(800, () => reportCall(0)), 3)} |`);

    console.log('\nPer item, by batch size');
    console.log('| function | batch of 1 | batch of 10 | batch of 30 |');
    console.log('|---|---:|---:|---:|');
    const perItem = async (call: (n: number) => pg.QueryConfig) => {
      const cells: string[] = [];
      for (const n of [1, 10, 30]) cells.push(fmt((await measure(Math.ceil(3000 / n), () => call(n))) / n, 3));
      return cells.join(' | ');
    };
    console.log(`| keypool_settle, a claim of 8 leases' allowance | ${await perItem(claimCall)} |`);
    console.log(`| keypool_settle, the usage counts of leases granted | ${await perItem(countCall)} |`);
    console.log(`| keypool_report, successes (spend, ledger, health step) | ${await perItem((n) => reportCall(n))} |`);
    // Failures last: they make keys degraded, then unhealthy.
    console.log(`| keypool_report, failures (a health transition now and then) | ${await perItem((n) => reportCall(n, false))} |`);

    // What the engine's next step would run for reports instead (appended outcomes folded per
    // key), measured on the same keys. Sketches, not the product's code.
    await db.query(`create table bench_outcome (lease uuid primary key, key integer not null, brand uuid not null, node uuid, model text,
      success boolean not null, status_code integer, error_type text, retry_after integer, probe boolean not null, cost numeric not null,
      prompt_tokens bigint not null, completion_tokens bigint not null, latency_ms integer, first_token_ms integer, at timestamptz not null)`);
    const append = (keysOf: number[]): pg.QueryConfig => ({
      name: 'append',
      text: `insert into bench_outcome select o.*, $2::timestamptz from jsonb_to_recordset($1::jsonb) as o(lease uuid, key integer, brand uuid, node uuid,
          model text, success boolean, status_code integer, error_type text, retry_after integer, probe boolean, cost numeric, prompt_tokens bigint,
          completion_tokens bigint, latency_ms integer, first_token_ms integer)
        on conflict (lease) do nothing`,
      values: [JSON.stringify(keysOf.map((key) => ({
        lease: randomUUID(), key, brand: brandOf.get(key), node: null, model: 'm', success: true, status_code: 200, error_type: null, retry_after: null,
        probe: false, cost: '0.001234', prompt_tokens: 812, completion_tokens: 96, latency_ms: 420, first_token_ms: null,
      }))), now],
    });
    const fold: pg.QueryConfig = {
      name: 'fold',
      text: `with folded as (delete from bench_outcome returning *),
        per_key as (select key, sum(cost) as cost from folded group by key),
        keys as (update integration i set spend_today = i.spend_today + p.cost, spend_month = i.spend_month + p.cost, updated_at = $1
          from per_key p where i.id = p.key returning i.id),
        ledger as (insert into usage_daily as u (brand_id, integration_id, provider_name, node_id, model, day, requests, successes,
            prompt_tokens, completion_tokens, cost_usd, latency_ms_sum, latency_ms_max, latency_reports)
          select f.brand, f.key, 'groq', f.node, lower(coalesce(f.model, '')), $2::date, count(*), count(*) filter (where f.success),
            sum(f.prompt_tokens), sum(f.completion_tokens), sum(f.cost), coalesce(sum(f.latency_ms), 0), coalesce(max(f.latency_ms), 0), count(f.latency_ms)
          from folded f group by f.brand, f.key, f.node, f.model
          on conflict (brand_id, day, integration_id, (coalesce(node_id, '00000000-0000-0000-0000-000000000000'::uuid)), model) do update set
            requests = u.requests + excluded.requests, successes = u.successes + excluded.successes, prompt_tokens = u.prompt_tokens + excluded.prompt_tokens,
            completion_tokens = u.completion_tokens + excluded.completion_tokens, cost_usd = u.cost_usd + excluded.cost_usd,
            latency_ms_sum = u.latency_ms_sum + excluded.latency_ms_sum, latency_ms_max = greatest(u.latency_ms_max, excluded.latency_ms_max),
            latency_reports = u.latency_reports + excluded.latency_reports
          returning 1)
        select (select count(*) from folded) as outcomes, (select count(*) from keys) as keys, (select count(*) from ledger) as ledger`,
      values: [now, today],
    };
    /** Folding `perKey` outcomes of each of 30 keys: CPU ms per outcome (the appends are not counted). */
    const foldCost = async (perKey: number, rounds: number) => {
      let used = 0;
      for (let round = 0; round < rounds; round++) {
        const ids = distinctKeys(30);
        for (let k = 0; k < perKey; k++) await db.query(append(ids));
        const before = cpuMs();
        await db.query(fold);
        used += cpuMs() - before;
      }
      return used / (rounds * 30 * perKey);
    };
    console.log('\nReports appended, then folded per key, on the same keys (batches of 30; sketches, not the product\'s code)');
    console.log('| statement | CPU ms |');
    console.log('|---|---:|');
    console.log(`| append a report (insert-only, deduplicated by lease), per report | ${fmt((await measure(150, () => append(distinctKeys(30)))) / 30, 3)} |`);
    for (const perKey of [1, 6, 30]) console.log(`| fold appended reports into keys and ledger, ${perKey} per key, per report | ${fmt(await foldCost(perKey, Math.ceil(120 / perKey)), 3)} |`);
  } finally {
    await db.end();
  }
} finally {
  await server.stop();
}
