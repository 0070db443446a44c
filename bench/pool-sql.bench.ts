/**
 * npm run bench:pool-sql — where PostgreSQL's time goes in the pool's
 * statements, read from the backend's own CPU time in /proc (no HTTP, no
 * keypool process in the measurement): the fixed cost of a statement and of a
 * commit, allowance claims, usage counts and the report function (successes,
 * then failures) and appended successes per item at batch sizes 1, 10 and 30,
 * then the fold of appended reports per outcome, by how many each key has, and a second's outcomes
 * folded at once or in the service's chunks; last, appends at steady state, with ten minutes of
 * reported leases' ids held (BENCH_REPORTED, default 1,200,000: ten minutes at 2,000 reports/s),
 * the ids time-ordered as the service issues them and random as they were before. 240 keys of one
 * provider in 20 brands, as bench:scale spreads its load. Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { timeOrderedUuid } from '../src/platform/crypto/time-ordered-uuid.js';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { APPEND_SQL, SETTLE_SQL } from '../src/modules/pool/lease.repository.js';
import { FOLD_LIMIT } from '../src/modules/pool/lease.service.js';
import { createBrandToken, fmt, startServer } from './support.js';

const BRANDS = 20;
const KEYS_PER_BRAND = 12;

const server = await startServer({ KEYPOOL_POOL_FOLD_MS: '0' });
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
    // The backend's time on a CPU in nanoseconds (schedstat), not 10 ms ticks: a single statement is measured exactly.
    const cpuMs = () => Number(readFileSync(`/proc/${backend}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    const now = new Date();
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const today = now.toISOString().slice(0, 10);
    const monthStart = `${today.slice(0, 8)}01`;
    const randomKeys = (n: number) => Array.from({ length: n }, () => keys[Math.floor(Math.random() * keys.length)]);

    const at = JSON.stringify({ now: now.toISOString(), minute: minute.toISOString(), today, month_start: monthStart, day_key: today, month_key: monthStart.slice(0, 7) });
    const rules = JSON.stringify({ degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [], env_available: [], appended_spend: true });
    /** One report of a lease of each key, as the service sends it (appended: a plain success the batch appends). */
    const reportsOf = (keysOf: number[], success = true, append = false, lease: () => string = timeOrderedUuid) => JSON.stringify(keysOf.map((key) => ({
      lease: lease(), key, brand: brandOf.get(key), node: null, model: 'm', success, status_code: success ? 200 : 503, error_type: null,
      retry_after: null, probe: false, cost: '0.001234', prompt_tokens: 812, completion_tokens: 96, latency_ms: 420, first_token_ms: null, append,
    })));
    const reportCall = (n: number, success = true) => ({
      name: 'report',
      text: 'select count(*) from keypool_report($1::jsonb, $2::jsonb, $3::jsonb)',
      values: [reportsOf(randomKeys(n), success), at, rules],
    });
    const distinctKeys = (n: number) => [...new Set(randomKeys(n * 3))].slice(0, n);
    const settle = (parts: { claims?: unknown[]; counts?: unknown[] }) => ({
      name: 'settle',
      text: SETTLE_SQL,
      values: ['[]', JSON.stringify(parts.claims ?? []), '[]', JSON.stringify(parts.counts ?? []), '[]', at, rules,
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
    console.log(`\nPostgreSQL backend CPU per call (${BRANDS * KEYS_PER_BRAND} keys; /proc/<pid>/schedstat over many calls)`);
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

    // Appended reports (keypool_append, as a batch of them alone goes) and their fold (keypool_fold), on the same keys. The server's own
    // fold is off (KEYPOOL_POOL_FOLD_MS=0), so the outcomes pending are the ones each measurement leaves.
    // As the service sends a batch of appended reports alone (the statement around keypool_append alone).
    const appendCall = (keysOf: number[], lease?: () => string) => ({
      name: 'append',
      text: APPEND_SQL,
      values: [reportsOf(keysOf, true, true, lease), at],
    });
    const foldCall = { name: 'fold', text: 'select count(*) from keypool_fold($1::jsonb, $2::integer)', values: [at, 100_000] };
    await db.query(foldCall);
    // As in service: about a second of appends pending (2,000 outcomes over the 240 keys), then a fold (not counted here).
    const appendCells: string[] = [];
    for (const n of [1, 10, 30]) {
      let used = 0;
      const calls = Math.ceil(3000 / n);
      for (let i = 0; i < calls; i++) {
        if (i % Math.ceil(2000 / n) === 0) await db.query(foldCall);
        const before = cpuMs();
        await db.query(appendCall(randomKeys(n)));
        used += cpuMs() - before;
      }
      appendCells.push(fmt(used / (calls * n), 3));
    }
    console.log(`| keypool_append, a batch of appended successes alone (no key locked; up to 2,000 outcomes pending) | ${appendCells.join(' | ')} |`);
    /** Folding `perKey` outcomes of each of 30 keys: CPU ms per outcome (the appends are not counted). */
    const foldCost = async (perKey: number, rounds: number) => {
      let used = 0;
      for (let round = 0; round < rounds; round++) {
        const ids = distinctKeys(30);
        for (let k = 0; k < perKey; k++) {
          await db.query(appendCall(ids));
        }
        const before = cpuMs();
        await db.query(foldCall);
        used += cpuMs() - before;
      }
      return used / (rounds * 30 * perKey);
    };
    console.log('\nkeypool_fold, CPU ms per outcome folded (30 keys, the appends not counted)');
    console.log('| outcomes per key | CPU ms per outcome |');
    console.log('|---:|---:|');
    for (const perKey of [1, 6, 30]) console.log(`| ${perKey} | ${fmt(await foldCost(perKey, Math.ceil(150 / perKey)), 3)} |`);

    // A second's outcomes of a busy deployment (4 per key over the 240 keys), folded in one transaction or in the service's chunks
    // in key order: a chunk holds fewer keys' locks for a shorter while (the wall time of the longest is how long a batch may wait).
    const chunked = async (limit: number) => {
      let used = 0;
      let longest = 0;
      let wall = 0;
      let chunks = 0;
      const rounds = 5;
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < 4; k++) for (let i = 0; i < keys.length; i += 30) await db.query(appendCall(keys.slice(i, i + 30)));
        for (;;) {
          const before = cpuMs();
          const started = performance.now();
          const { rows } = await db.query({ name: 'fold-chunk', text: 'select a.folded from keypool_fold($1::jsonb, $2::integer) a', values: [at, limit] });
          longest = Math.max(longest, performance.now() - started);
          wall += performance.now() - started;
          used += cpuMs() - before;
          chunks++;
          if (Number(rows[0].folded) < limit) break;
        }
      }
      return `| ${limit === 100_000 ? 'all at once' : `chunks of ${limit}`} | ${fmt(chunks / rounds, 1)} | ${fmt(used / (rounds * keys.length * 4), 4)} | ${fmt(wall / chunks, 1)} / ${fmt(longest, 1)} |`;
    };
    console.log(`\nkeypool_fold of a second's outcomes (4 per key, ${keys.length} keys)`);
    console.log('| fold | transactions | CPU ms per outcome | transaction, ms (wall): mean / longest |');
    console.log('|---|---:|---:|---:|');
    for (const limit of [100_000, FOLD_LIMIT, 128, 64]) console.log(await chunked(limit));

    // Steady state: reported_lease keeps every reported lease's id until the lease is long expired (twice the lease TTL, ten minutes by
    // default). Each report inserts one id; where it lands in the index decides how many pages a report dirties, and every page
    // dirtied first after a checkpoint goes to the WAL whole.
    const wal = async () => Number((await db.query<{ b: string }>(`select pg_current_wal_lsn() - '0/0' as b`)).rows[0].b);
    const steady = async (lease: () => string) => {
      await db.query('checkpoint');
      let used = 0;
      const walBefore = await wal();
      const batches = 600;
      for (let i = 0; i < batches; i++) {
        if (i % 200 === 0) await db.query(foldCall);
        const before = cpuMs();
        await db.query(appendCall(randomKeys(10), lease));
        used += cpuMs() - before;
      }
      return `${fmt(used / (batches * 10), 3)} | ${fmt(((await wal()) - walBefore) / (batches * 10), 0)}`;
    };
    const held = Number(process.env.BENCH_REPORTED ?? 1_200_000);
    /** The table holding `held` ids of the past ten minutes, as leases of one kind leave them, then appends with ids of that kind. */
    const holding = async (ids: 'ordered' | 'random') => {
      await db.query('truncate reported_lease');
      // Time-ordered (version 7): 48 bits of milliseconds, then random bits; random (version 4): PostgreSQL's own.
      await db.query(`insert into reported_lease (lease_id, integration_id, reported_at)
        select ${ids === 'ordered' ? `(lpad(to_hex($1::bigint + g::bigint * 600000 / $2), 12, '0') || '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid` : 'gen_random_uuid()'},
          0, now() from generate_series(1, $2::integer) g where $1::bigint > 0`, [Date.now() - 600_000, held]);
      await db.query('vacuum analyze reported_lease');
      return steady(ids === 'ordered' ? timeOrderedUuid : randomUUID);
    };
    const rows = [
      `| none (a new deployment) | ${await steady(timeOrderedUuid)} | ${await steady(randomUUID)} |`,
      `| ${fmt(held, 0)} | ${await holding('ordered')} | ${await holding('random')} |`,
    ];
    console.log('\nkeypool_append at steady state, batches of 10 (a fold every 2,000 outcomes), just after a checkpoint');
    console.log('| reported leases held | time-ordered ids (the service\'s): CPU ms per report | WAL bytes per report | random ids (before): CPU ms per report | WAL bytes per report |');
    console.log('|---|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
  } finally {
    await db.end();
  }
} finally {
  await server.stop();
}
