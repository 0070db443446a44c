/**
 * npm run bench:profile — where one instance's CPU goes, per kind of work, with the server
 * kept apart from the rest: the keypool process pinned to its own CPUs (BENCH_SERVER_CPUS, the
 * last CPU by default) and PostgreSQL's processes and the load generator to the others (each
 * backend re-pinned before each phase, as connections come and go), so the server's CPU per
 * operation and its V8 profile are not skewed by the others' preemption. 20 brands × 3 providers
 * × 4 keys, as bench:scale.
 *
 * Phases: BENCH_PHASES (default "typename,lease,rest,graphql"), each BENCH_DURATION_S seconds
 * (default 10) after a warm-up of the REST cycle and `{ __typename }`. Per phase it prints the
 * rate and the CPU ms per operation of the server and of PostgreSQL (from /proc); then
 * PostgreSQL's time in the pool's functions (`track_functions`: calls, total and self ms, over
 * every phase). With BENCH_SERVER_PROF=<dir> the server writes a V8 CPU profile there when it
 * stops (run one phase at a time to read it per phase); BENCH_DIST=1 runs the build, so the
 * profile names lines. Needs Linux (`taskset`, /proc). Prints figures; asserts nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { fmt, seedBrands, startServer } from './support.js';

const PROVIDERS = ['groq', 'mistral', 'cerebras'];
const CORES = cpus().length;
const SERVER_CPUS = process.env.BENCH_SERVER_CPUS ?? String(CORES - 1);
const OTHER_CPUS = process.env.BENCH_OTHER_CPUS ?? (CORES > 1 ? `0-${CORES - 2}` : '0');
const PHASES = (process.env.BENCH_PHASES ?? 'typename,lease,rest,graphql').split(',');
const SECONDS = Number(process.env.BENCH_DURATION_S ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 48);

/** CPU ms so far of one process, from /proc/<pid>/stat (user + system, in clock ticks of 10 ms). */
function cpuMsOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Every PostgreSQL process: pid -> CPU ms so far. */
function postgresProcesses(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.includes('(postgres)')) out.set(Number(pid), cpuMsOf(stat));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const pinPostgres = () => {
  for (const pid of postgresProcesses().keys()) {
    try {
      execFileSync('taskset', ['-p', '-c', OTHER_CPUS, String(pid)], { stdio: 'ignore' });
    } catch {
      // ended meanwhile
    }
  }
};

const server = await startServer({}, { cpus: SERVER_CPUS });
try {
  const tokens = await seedBrands(server, 'profile', { brands: 20, providers: PROVIDERS, keysPerProvider: 4, settings: { minute_limit: 100_000, daily_limit: 10_000_000 } });
  const { pgPassword } = JSON.parse(readFileSync(`${server.dataDir}/secrets.json`, 'utf8'));
  const cluster = await startEmbeddedPostgres({ dataDir: server.dataDir, password: pgPassword, log: () => {} });
  const db = new pg.Client({ connectionString: cluster.url });
  await db.connect();

  /** One generator process (bench/scale-generator.ts) on the other CPUs. */
  const generate = (kind: string, seconds: number) => new Promise<{ units: number; warmUnits: number; errors: number }>((resolve, reject) => {
    const job = { urls: [server.url], tokens, providers: PROVIDERS, kind, seconds, clients: CLIENTS };
    const child = spawn('taskset', ['-c', OTHER_CPUS, process.execPath, '--import', 'tsx', 'bench/scale-generator.ts', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`generator exited with ${code}`))));
  });

  for (const kind of ['rest', 'typename']) await generate(kind, 2);
  await db.query("alter system set track_functions = 'pl'");
  await db.query('select pg_reload_conf()');
  await db.query('select pg_stat_reset()');

  console.log(`\nOne instance on CPUs ${SERVER_CPUS}; PostgreSQL and the load generator (${CLIENTS} clients) on CPUs ${OTHER_CPUS}; ${SECONDS} s per phase`);
  console.log('| phase | ops/s | CPU ms per op: keypool / PostgreSQL | errors |');
  console.log('|---|---:|---:|---:|');
  const serverMs = () => cpuMsOf(readFileSync(`/proc/${server.pid}/stat`, 'utf8'));
  for (const kind of PHASES) {
    pinPostgres();
    const ownPid = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    const [s0, p0] = [serverMs(), postgresProcesses()];
    const result = await generate(kind, SECONDS);
    const [s1, p1] = [serverMs(), postgresProcesses()];
    let postgres = 0;
    for (const [pid, used] of p1) if (pid !== ownPid) postgres += used - (p0.get(pid) ?? 0);
    // The warm-up units are the generator's too: counted in the CPU per operation, not in the rate.
    const ops = result.units + result.warmUnits;
    console.log(`| ${kind} | ${fmt(result.units / SECONDS)} | ${fmt((s1 - s0) / ops, 3)} / ${fmt(postgres / ops, 3)} | ${result.errors} |`);
  }

  const { rows } = await db.query<{ funcname: string; calls: string; total: number; self: number }>(
    'select funcname, calls, round(total_time::numeric, 1)::float as total, round(self_time::numeric, 1)::float as self from pg_stat_user_functions order by total_time desc');
  console.log("\nPostgreSQL's time in the pool's functions over the phases (wall ms, track_functions)");
  console.log('| function | calls | total ms | self ms |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.funcname} | ${r.calls} | ${fmt(r.total, 1)} | ${fmt(r.self, 1)} |`);
  await db.end();
} finally {
  await server.stop();
}
