/**
 * npm run bench:scale — K keypool instances on one PostgreSQL (K = 1, 2, 4; 8
 * where the machine has 16 cores; BENCH_INSTANCES=1,2 to choose), driven by
 * load-generator processes (bench/scale-generator.ts) spread over the
 * instances, pinned away from the servers where there are spare cores
 * (BENCH_SERVER_CPUS / BENCH_GENERATOR_CPUS, e.g. "0-9" and "10-15").
 *
 * Per K, in one run: `{ __typename }`, the REST cycle and the GraphQL cycle at
 * saturation, then the REST cycle at 100/s (after three seconds at that rate, not counted); each with its rate, p50/p99 per
 * request, CPU ms per operation for the keypool processes and for PostgreSQL
 * (from /proc), commits and row writes (inserted, updated, deleted) per
 * operation, and row-lock waits per operation
 * (backends seen waiting on a lock, sampled every 10 ms from pg_stat_activity,
 * times the sampling interval); for the REST cycle, the calls and self time of each of the pool's
 * SQL functions per cycle (track_functions), at saturation and at 100/s. Then the checks: every key's spend against
 * what the generators reported (exact, in micro-dollars), and a limit check —
 * keys with minute_limit 40 hammered through every instance, leases granted
 * per key never more than 40. With two instances or more, last, the REST
 * cycle under faults: one instance killed with SIGKILL and every PostgreSQL
 * backend of the others terminated mid-load, then no acknowledged report
 * lost and the survivors serving again. With BENCH_ROUNDS=N, the three
 * saturation phases are run N times and each cycle's CPU ratio is printed per
 * round, against its own round's `{ __typename }`, with the median. Prints
 * figures; asserts nothing (a failed check is printed and sets the exit code).
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { createBrandToken, fmt, percentile, seedBrands, startChild, startServer, type BenchServer } from './support.js';

const BRANDS = 20;
const PROVIDERS = ['groq', 'mistral', 'cerebras'];
const KEYS_PER_PROVIDER = 4;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CORES = cpus().length;
const INSTANCES = (process.env.BENCH_INSTANCES ?? (CORES >= 16 ? '1,2,4,8' : '1,2,4')).split(',').map(Number);
const GENERATORS = Number(process.env.BENCH_GENERATORS ?? Math.max(2, Math.min(6, Math.floor(CORES / 3))));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 96);
const SERVER_CPUS = process.env.BENCH_SERVER_CPUS;
/** The instances' KEYPOOL_POOL_FOLD_MS (BENCH_FOLD_MS=0: every report applied at once, to compare). */
const SERVER_ENV: Record<string, string> = process.env.BENCH_FOLD_MS ? { KEYPOOL_POOL_FOLD_MS: process.env.BENCH_FOLD_MS } : {};
const GENERATOR_CPUS = process.env.BENCH_GENERATOR_CPUS;
/** BENCH_ROUNDS=N (default 1): N − 1 more rounds of `{ __typename }`, REST and GraphQL back to back after the table, each cycle's ratio taken against the `{ __typename }` of its own round (a machine whose speed drifts between phases moves one round, not the median). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

type Kind = 'typename' | 'rest' | 'graphql' | 'lease';
interface GeneratorResult { units: number; warmUnits: number; errors: number; latencies: number[]; leaseLatencies?: number[]; reported: [number, number][]; inDoubt: [number, number][] }

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const json = (await res.json()) as any;
  if (!res.ok || json.errors) throw new Error(`${res.status} ${JSON.stringify(json)}`);
  return json;
}

function generator(job: object): Promise<GeneratorResult> {
  const args = ['--import', 'tsx', 'bench/scale-generator.ts', JSON.stringify(job)];
  const [command, argv] = GENERATOR_CPUS ? ['taskset', ['-c', GENERATOR_CPUS, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`generator exited with ${code}`)))));
}

/** CPU seconds of the given pids, and of every PostgreSQL process by pid. */
function cpuNow(pids: number[]): { servers: number; postgres: Map<string, number> } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  let servers = 0;
  const postgres = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (pids.includes(Number(pid))) servers += ticks(stat);
      else if (stat.includes('(postgres)')) postgres.set(pid, ticks(stat));
    } catch {
      // ended meanwhile
    }
  }
  return { servers, postgres };
}

interface PhaseFigures { name: string; rate: number; p50: number; p99: number; leaseP50: number; leaseP99: number; errors: number; serverMs: number; pgMs: number; commits: number; rowWrites: number; lockWaitMs: number; functions: Map<string, { calls: number; selfMs: number }>; reported: [number, number][]; inDoubt: [number, number][] }

async function phase(
  name: string, kind: Kind, servers: BenchServer[], db: pg.Client, tokens: string[], providers: string[],
  options: { rate?: number; seconds?: number; during?: () => Promise<void>; bare?: boolean } = {},
): Promise<PhaseFigures> {
  const seconds = options.seconds ?? DURATION_S;
  const urls = servers.map((s) => s.url);
  const countersOf = async () => {
    const { rows } = await db.query('select xact_commit, tup_inserted + tup_updated + tup_deleted as writes from pg_stat_database where datname = current_database()');
    // The pool's functions, as every backend last reported them (pg_stat_clear_snapshot: this transaction's reads are not a snapshot of the first).
    await db.query('select pg_stat_clear_snapshot()');
    const { rows: functions } = await db.query<{ funcname: string; calls: string; self_time: number }>(
      "select funcname, calls, self_time from pg_stat_user_functions where funcname like 'keypool\\_%'");
    return { commits: Number(rows[0].xact_commit), writes: Number(rows[0].writes), functions: new Map(functions.map((f) => [f.funcname, { calls: Number(f.calls), selfMs: f.self_time }])) };
  };
  let lockSamples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await db.query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'");
      lockSamples += rows[0].n;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const countersBefore = await countersOf();
  const before = cpuNow(servers.map((s) => s.pid));
  const jobs = Array.from({ length: GENERATORS }, () => ({
    urls, tokens, providers, kind, seconds, clients: Math.ceil(CLIENTS / GENERATORS), ...(options.rate && { rate: options.rate / GENERATORS }),
  }));
  const [results] = await Promise.all([Promise.all(jobs.map(generator)), options.during?.()]);
  // Reports appended in the phase's last moments are folded within it (a read folds first), so each phase pays for its own.
  if (!options.bare) await readThrough(servers, tokens);
  const after = cpuNow(servers.map((s) => s.pid));
  sampling = false;
  await sampler;
  const countersAfter = await countersOf();
  const commits = countersAfter.commits - countersBefore.commits;
  // The bench's own backend (the lock sampler's 100 queries a second, the counters) is not the cycle's.
  const own = String((await db.query('select pg_backend_pid() as pid')).rows[0].pid);
  let pgSeconds = 0;
  for (const [pid, used] of after.postgres) if (pid !== own) pgSeconds += used - (before.postgres.get(pid) ?? 0);
  const units = results.reduce((n, r) => n + r.units, 0);
  // The generators' warm-up units are not timed and not in the rate, but the processes' CPU, commits and writes are theirs too.
  const ops = units + results.reduce((n, r) => n + r.warmUnits, 0);
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const leaseLatencies = results.flatMap((r) => r.leaseLatencies ?? []).sort((a, b) => a - b);
  return {
    name, rate: units / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    leaseP50: percentile(leaseLatencies, 50), leaseP99: percentile(leaseLatencies, 99), errors: results.reduce((n, r) => n + r.errors, 0),
    serverMs: ((after.servers - before.servers) * 1000) / ops, pgMs: (pgSeconds * 1000) / ops, commits: commits / ops, rowWrites: (countersAfter.writes - countersBefore.writes) / ops,
    lockWaitMs: (lockSamples * 10) / ops,
    functions: new Map([...countersAfter.functions].map(([name, f]) => {
      const was = countersBefore.functions.get(name) ?? { calls: 0, selfMs: 0 };
      return [name, { calls: (f.calls - was.calls) / ops, selfMs: (f.selfMs - was.selfMs) / ops }];
    })),
    reported: results.flatMap((r) => r.reported), inDoubt: results.flatMap((r) => r.inDoubt ?? []),
  };
}

/**
 * A read of every brand's keys through a live instance: each folds its brand's appended reports
 * first (any instance's), so after it every report acknowledged so far is in its key's spend.
 */
async function readThrough(servers: BenchServer[], tokens: string[]): Promise<void> {
  for (const token of tokens) {
    let read = false;
    for (const server of servers) {
      const res = await fetch(`${server.url}/api/v1/integrations?limit=1`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
      if ((read = res?.ok === true)) break;
    }
    if (!read) throw new Error('no instance answered a read');
  }
}

/** Every key's spend this month, in micro-dollars (after a read through an instance, so appended reports are folded). */
async function spendByKey(db: pg.Client): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; spend_month: string }>('select id, spend_month::text from integration');
  return new Map(rows.map((row) => {
    const [whole, fraction = ''] = row.spend_month.split('.');
    return [row.id, Number(whole) * 1e6 + Number(fraction.padEnd(6, '0').slice(0, 6))];
  }));
}

const sum = (pairs: [number, number][]) => {
  const out = new Map<number, number>();
  for (const [id, micros] of pairs) out.set(id, (out.get(id) ?? 0) + micros);
  return out;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The REST cycle while the last instance is killed with SIGKILL (after 1.5 s) and every
 * PostgreSQL backend of the others is terminated (after 3 s): no acknowledged report may be
 * lost (each key's spend grew by at least what was acknowledged, and by no more than that plus
 * the reports in doubt), and the survivors serve again without an error.
 */
async function faultRun(servers: BenchServer[], db: pg.Client, tokens: string[]): Promise<boolean> {
  const before = await spendByKey(db);
  let terminated = 0;
  const faults = await phase('REST cycle, an instance SIGKILLed and PostgreSQL backends terminated', 'rest', servers, db, tokens, PROVIDERS, {
    seconds: 6,
    during: async () => {
      await sleep(1500);
      await servers[servers.length - 1].kill();
      await sleep(1500);
      const { rowCount } = await db.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'",
      );
      terminated = rowCount ?? 0;
    },
  });
  const after = await spendByKey(db);
  const acknowledged = sum(faults.reported);
  const inDoubt = sum(faults.inDoubt);
  let lost = 0;
  let beyond = 0;
  for (const [id, spend] of after) {
    const grew = spend - (before.get(id) ?? 0);
    if (grew < (acknowledged.get(id) ?? 0)) lost++;
    if (grew > (acknowledged.get(id) ?? 0) + (inDoubt.get(id) ?? 0)) beyond++;
  }
  const survivors = servers.slice(0, -1);
  const recovered = await phase('REST cycle after the faults', 'rest', survivors, db, tokens, PROVIDERS, { seconds: 2 });
  const doubtful = [...inDoubt.values()].filter((m) => m > 0).length;
  console.log(`faults: ${servers.length} instances, the last killed with SIGKILL at 1.5 s, ${terminated} PostgreSQL backends terminated at 3 s; `
    + `${fmt(faults.rate * 6)} cycles acknowledged, ${faults.errors} failed (${doubtful} keys with reports in doubt); `
    + `keys that lost an acknowledged report: ${lost}; keys that counted more than was sent: ${beyond}; `
    + `then ${survivors.length} survivor(s): ${fmt(recovered.rate)} cycles/s, ${recovered.errors} errors`);
  return lost === 0 && beyond === 0 && recovered.errors === 0;
}

/**
 * The REST cycle's floor: bench/bare-rest.ts (Fastify, the two cycle routes, each answering a
 * body captured from a real lease and report, nothing else), pinned as the instances are. The
 * captured report's micro-dollar counts in the spend check.
 */
async function startBareRest(server: BenchServer, token: string): Promise<{ server: BenchServer; reported: [number, number]; stop(): void }> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json() as Promise<any>;
  };
  const lease = await call('/api/v1/integrations/lease', { provider_name: PROVIDERS[0] });
  const usage = await call('/api/v1/integrations/usage', { lease_id: lease.lease.lease_id, success: true, status_code: 200, cost_usd: 0.000001, prompt_tokens: 812, completion_tokens: 96, latency_ms: 420 });
  const file = join(server.dataDir, 'bare-answers.json');
  writeFileSync(file, JSON.stringify({ lease, usage }));
  const child = await startChild('bench/bare-rest.ts', 'bare', [file], SERVER_CPUS);
  // A phase reads only its servers' URLs and pids.
  const bare: BenchServer = { ...server, url: child.url, pid: child.pid };
  return { server: bare, reported: [lease.lease.integration_id, 1], stop: child.stop };
}

async function run(k: number): Promise<boolean> {
  const first = await startServer(SERVER_ENV, { cpus: SERVER_CPUS });
  const servers = [first];
  try {
    for (let i = 1; i < k; i++) servers.push(await startServer(SERVER_ENV, { dataDir: first.dataDir, cpus: SERVER_CPUS }));
    const tokens = await seedBrands(first, 'scale', {
      brands: BRANDS, providers: PROVIDERS, keysPerProvider: KEYS_PER_PROVIDER,
      settings: { minute_limit: 100_000, daily_limit: 10_000_000, spend_limit_amount: 1_000_000_000, spend_limit_period: 'monthly', spend_limit_action: 'warn' },
    });
    // The instances' embedded cluster (already running: this only finds it).
    const { pgPassword } = JSON.parse(readFileSync(`${first.dataDir}/secrets.json`, 'utf8'));
    const cluster = await startEmbeddedPostgres({ dataDir: first.dataDir, password: pgPassword, log: () => {} });
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    // PostgreSQL's time in the pool's functions, per phase (calls and self time per operation).
    await db.query("alter system set track_functions = 'pl'");
    await db.query('select pg_reload_conf()');
    try {
      // Each instance warmed up as one instance is: with K instances each sees a K-th of the load, so its code reaches V8's optimising
      // tiers K times later. Four instances warmed up for 3 s (scratch runs, perf record) still spent 16.5 % of their CPU samples in
      // the measured REST phase compiling, against 6.1 % with the load on one of them, and 0.02-0.05 ms more keypool CPU per cycle
      // than after 12 s.
      const warmUp = await phase('warm-up', 'rest', servers, db, tokens, PROVIDERS, { seconds: 2 * k });
      // GraphQL warmed up too, on every instance: a first, cold `{ __typename }` phase would cost more and flatter every ratio
      // below (with four instances and two seconds of warm-up, the first round's `{ __typename }` cost three times the later ones').
      await phase('warm-up', 'typename', servers, db, tokens, PROVIDERS, { seconds: 2 + k });
      const graphqlWarmUp = await phase('warm-up', 'graphql', servers, db, tokens, PROVIDERS, { seconds: 2 * k });
      // One instance: the REST cycle's floor beside it, the same two requests against a server that does nothing else.
      const bare = k === 1 ? await startBareRest(first, tokens[0]) : null;
      if (bare) await phase('warm-up', 'rest', [bare.server], db, tokens, PROVIDERS, { seconds: 2, bare: true });
      const typename = await phase('{ __typename }', 'typename', servers, db, tokens, PROVIDERS);
      const floor = bare && await phase('floor: the two REST requests against a bare Fastify server (CPU: that server)', 'rest', [bare.server], db, tokens, PROVIDERS, { bare: true });
      const rest = await phase('REST lease + report', 'rest', servers, db, tokens, PROVIDERS);
      const graphql = await phase('GraphQL leaseKey + reportKeyUsage', 'graphql', servers, db, tokens, PROVIDERS);
      // Three seconds at the rate first, not counted: the figures are of a steady 100/s, not of the saturation phases' tail.
      const pacedWarmUp = await phase('warm-up', 'rest', servers, db, tokens, PROVIDERS, { rate: 100, seconds: 3 });
      const paced = await phase('REST cycle at 100/s', 'rest', servers, db, tokens, PROVIDERS, { rate: 100 });
      // The lease alone: the cycle less this is what a report costs.
      const leaseOnly = await phase('REST lease alone', 'lease', servers, db, tokens, PROVIDERS);

      const rounds = [{ typename, floor, rest, graphql }];
      for (let round = 1; round < ROUNDS; round++) {
        rounds.push({
          typename: await phase('{ __typename }', 'typename', servers, db, tokens, PROVIDERS),
          floor: bare && await phase('floor', 'rest', [bare.server], db, tokens, PROVIDERS, { bare: true }),
          rest: await phase('REST lease + report', 'rest', servers, db, tokens, PROVIDERS),
          graphql: await phase('GraphQL leaseKey + reportKeyUsage', 'graphql', servers, db, tokens, PROVIDERS),
        });
      }
      bare?.stop();

      // Spend: every key's spend this month against what the generators reported for it.
      const reported = sum([...warmUp.reported, ...graphqlWarmUp.reported, ...(bare ? [bare.reported] : []), ...pacedWarmUp.reported, ...paced.reported, ...rounds.flatMap((r) => [...r.rest.reported, ...r.graphql.reported])]);
      const spend = await spendByKey(db);
      let mismatches = 0;
      for (const [id, micros] of spend) if (micros !== (reported.get(id) ?? 0)) mismatches++;

      // Limits: keys with minute_limit 40, leased through every instance at once.
      const limitToken = await createBrandToken(first, 'scale-limit');
      const limited: number[] = [];
      for (let n = 0; n < 4; n++) {
        const created = await post(`${first.url}/api/v1/integrations`, limitToken, { provider_name: 'together', credentials: { api_key: `together-limit-${n}-0123456789` }, minute_limit: 40 });
        limited.push(created.integration.id);
      }
      const minute = Math.floor(Date.now() / 60_000);
      const grants = new Map<number, number>();
      await Promise.all(Array.from({ length: 400 }, async (_, i) => {
        const res = await fetch(`${servers[i % servers.length].url}/api/v1/integrations/lease`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${limitToken}` }, body: JSON.stringify({ provider_name: 'together' }),
        });
        const body = (await res.json()) as any;
        if (res.status === 200) grants.set(body.lease.integration_id, (grants.get(body.lease.integration_id) ?? 0) + 1);
      }));
      const sameMinute = Math.floor(Date.now() / 60_000) === minute;
      const overshoot = [...grants.values()].filter((n) => n > 40).length;

      console.log(`\n${k} instance(s) on one PostgreSQL — ${BRANDS} brands × ${PROVIDERS.length} providers × ${KEYS_PER_PROVIDER} keys, ${GENERATORS} generator processes, ${CLIENTS} clients, ${DURATION_S} s per phase, ${CORES} cores, KEYPOOL_POOL_FOLD_MS=${SERVER_ENV.KEYPOOL_POOL_FOLD_MS ?? "1000 (default)"}`);
      console.log('| phase | ops/s | p50 / p99 ms per request | × { __typename } | CPU ms per op: keypool / PostgreSQL | CPU per op × { __typename } | commits per op | row writes per op | lock-wait ms per op | errors |');
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      const base = typename.serverMs + typename.pgMs;
      for (const p of [typename, ...(floor ? [floor] : []), rest, graphql, paced, leaseOnly]) {
        console.log(`| ${p.name} | ${fmt(p.rate)} | ${fmt(p.p50, 1)} / ${fmt(p.p99, 1)} | ${fmt(p.rate / typename.rate, 2)} | ${fmt(p.serverMs, 3)} / ${fmt(p.pgMs, 3)} | ${fmt((p.serverMs + p.pgMs) / base, 2)} | ${fmt(p.commits, 2)} | ${fmt(p.rowWrites, 2)} | ${fmt(p.lockWaitMs, 3)} | ${p.errors} |`);
      }
      const calls = (p: PhaseFigures) => [...p.functions].filter(([, f]) => f.calls >= 0.0005).sort((a, b) => b[1].selfMs - a[1].selfMs)
        .map(([name, f]) => `${name} ${fmt(f.calls, 3)} / ${fmt(f.selfMs, 3)}`).join(', ');
      const cpu = (p: PhaseFigures) => p.serverMs + p.pgMs;
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      if (rounds.length > 1) {
        const spread = (ratios: number[]) => `median ${fmt(median(ratios), 2)} (${[...ratios].sort((a, b) => a - b).map((r) => fmt(r, 2)).join(', ')})`;
        console.log(`CPU per cycle × { __typename } of the same round, ${rounds.length} rounds: REST ${spread(rounds.map((r) => cpu(r.rest) / cpu(r.typename)))}; GraphQL ${spread(rounds.map((r) => cpu(r.graphql) / cpu(r.typename)))}; { __typename } ${rounds.map((r) => fmt(cpu(r.typename), 3)).join(', ')} ms`);
      }
      if (floor) {
        // The REST cycle's CPU, × { __typename } of its round, in three parts: what the same two requests cost a server that
        // does nothing else (the floor), PostgreSQL's work, and keypool's own (the rest of its process's CPU).
        const part = (of: (r: (typeof rounds)[number]) => number) => fmt(median(rounds.map((r) => of(r) / cpu(r.typename))), 2);
        console.log(`REST cycle × { __typename }, in parts (median of ${rounds.length} round(s)): the bare pair of requests ${part((r) => r.floor!.serverMs)}, `
          + `PostgreSQL ${part((r) => r.rest.pgMs)}, keypool's own work ${part((r) => r.rest.serverMs - r.floor!.serverMs)}; `
          + `GraphQL cycle: two { __typename } requests 2.00, the rest ${part((r) => cpu(r.graphql) - 2 * cpu(r.typename))}`);
      }
      console.log(`pool functions per REST cycle at saturation (calls / self wall ms): ${calls(rest)}`);
      console.log(`pool functions per REST cycle at 100/s (calls / self wall ms): ${calls(paced)}`);
      console.log(`leases within the cycles, p50 / p99 ms: ${fmt(rest.leaseP50, 2)} / ${fmt(rest.leaseP99, 2)} at saturation, ${fmt(paced.leaseP50, 2)} / ${fmt(paced.leaseP99, 2)} at 100 cycles/s`);
      console.log(`spend: ${spend.size} keys, ${mismatches} not equal to what was reported; limit: ${[...grants.values()].reduce((a, b) => a + b, 0)} of 400 leases granted on 4 keys of minute_limit 40, ${overshoot} keys over${sameMinute ? '' : ' (the minute turned during the check: a key may rightly have 80)'}`);
      const checks = mismatches === 0 && (overshoot === 0 || !sameMinute);
      // Last, as it kills one of the instances.
      return (servers.length >= 2 ? await faultRun(servers, db, tokens) : true) && checks;
    } finally {
      await db.end();
    }
  } finally {
    for (const s of servers.slice(1)) await s.stop();
    await first.stop();
  }
}

let ok = true;
for (const k of INSTANCES) ok = (await run(k)) && ok;
if (!ok) process.exitCode = 1;
