/** Shared by the benchmark scripts: a real keypool process on its embedded database, and a brand to drive it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/platform/db/embedded-postgres.js';

export interface BenchServer {
  url: string;
  pid: number;
  adminToken: string;
  dataDir: string;
  stop(): Promise<void>;
  /** SIGKILL: the process dies mid-work, as in a crash (its data dir is left for the instance that owns it). */
  kill(): Promise<void>;
}

export interface ServerOptions {
  /** Another instance's data dir: this one runs on the same embedded PostgreSQL and secrets (the first instance owns the dir). */
  dataDir?: string;
  /** CPUs to pin the process to (`taskset -c`), e.g. "0-3". */
  cpus?: string;
}

export async function startServer(extraEnv: Record<string, string> = {}, options: ServerOptions = {}): Promise<BenchServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keypool-bench-'));
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...env } = process.env;
  // BENCH_SERVER_PROF=<dir>: a V8 CPU profile of each server; BENCH_DIST=1: servers run from the build (`npm run build` first), so a profile names lines.
  const nodeArgs = [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []), ...(process.env.BENCH_DIST ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'])];
  const [command, args] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    env: { ...env, KEYPOOL_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const { adminToken } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  return {
    url,
    pid: child.pid!,
    adminToken,
    dataDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export async function createBrandToken(server: BenchServer, name: string): Promise<string> {
  const { createBrand } = await graphql(server.url, server.adminToken, 'mutation($n: String!) { createBrand(input: { name: $n }) { id } }', { n: name });
  const { issueClientToken } = await graphql(server.url, server.adminToken, 'mutation($b: ID!) { issueClientToken(input: { brandId: $b }) { token } }', { b: createBrand.id });
  return issueClientToken.token;
}

/**
 * `brands` brands, each with `keysPerProvider` keys of every provider named, created through the REST
 * API with `settings` (limits, a spend limit); the brands' client tokens, in order. The workload of
 * bench:scale, bench:latency and bench:profile.
 */
export async function seedBrands(
  server: BenchServer, prefix: string, options: { brands: number; providers: readonly string[]; keysPerProvider: number; settings: Record<string, unknown> },
): Promise<string[]> {
  const tokens: string[] = [];
  for (let b = 0; b < options.brands; b++) {
    const token = await createBrandToken(server, `${prefix}-${b}`);
    tokens.push(token);
    for (const provider of options.providers) {
      for (let n = 0; n < options.keysPerProvider; n++) {
        const res = await fetch(`${server.url}/api/v1/integrations`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ provider_name: provider, credentials: { api_key: `${provider}-${prefix}-${b}-${n}-0123456789` }, ...options.settings }),
        });
        if (!res.ok) throw new Error(`adding a key: ${res.status} ${await res.text()}`);
      }
    }
  }
  return tokens;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * CPU seconds used so far by the keypool server, each of its PostgreSQL processes (by pid: a
 * backend that exits takes its count with it, so a phase compares pid by pid), and this load
 * generator (Linux /proc; zeros elsewhere).
 */
export function cpuSeconds(server: BenchServer): { server: number; postgres: Map<string, number>; generator: number } {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const postgres = new Map<string, number>();
  let serverCpu = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (Number(pid) === server.pid) serverCpu = ticks(stat);
        else if (stat.includes('(postgres)')) postgres.set(pid, ticks(stat));
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return { server: 0, postgres, generator: 0 };
  }
  const own = process.cpuUsage();
  return { server: serverCpu, postgres, generator: (own.user + own.system) / 1e6 };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** One unit of work (a cycle, a call); resolves to the latency of each request it timed. */
export type Work = () => Promise<number[]>;

export interface Phase { units: number; rate: number; p50: number; p99: number; errors: number; cpu: { server: number; postgres: number; generator: number } }

async function measure(server: BenchServer, run: (latencies: number[], failed: () => void) => Promise<number>, seconds: number): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  const before = cpuSeconds(server);
  const units = await run(latencies, () => void errors++);
  const after = cpuSeconds(server);
  latencies.sort((a, b) => a - b);
  // PostgreSQL: the processes alive at the end, each from its count at the start (0 if it started since).
  let postgres = 0;
  for (const [pid, used] of after.postgres) postgres += used - (before.postgres.get(pid) ?? 0);
  const cpu = { server: (after.server - before.server) / seconds, postgres: postgres / seconds, generator: (after.generator - before.generator) / seconds };
  return { units, rate: units / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, cpu };
}

/** `clients` loops doing `work` back to back for `seconds`. */
export function saturate(server: BenchServer, work: Work, seconds: number, clients: number): Promise<Phase> {
  return measure(server, async (latencies, failed) => {
    let units = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        try {
          latencies.push(...(await work()));
          units++;
        } catch (e) {
          if (process.env.BENCH_VERBOSE) console.error(e);
          failed();
        }
      }
    }));
    return units;
  }, seconds);
}

/** Starts `rate` units per second on schedule, whatever the previous ones are doing. */
export function paced(server: BenchServer, work: Work, rate: number, seconds: number): Promise<Phase> {
  return measure(server, async (latencies, failed) => {
    const pending: Promise<void>[] = [];
    const start = performance.now();
    const total = Math.round(rate * seconds);
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(work().then((l) => void latencies.push(...l), failed));
    }
    await Promise.all(pending);
    return total;
  }, seconds);
}

/** CPU cores used in a phase: keypool / PostgreSQL / the load generator. */
export const cpuCores = (p: Phase) => `${fmt(p.cpu.server, 2)} / ${fmt(p.cpu.postgres, 2)} / ${fmt(p.cpu.generator, 2)}`;

/** A helper process (the fake upstream, a bare server) that prints `<label> <url>` once it listens. */
export async function startChild(script: string, label: string, args: string[] = [], cpus?: string): Promise<{ url: string; pid: number; stop(): void }> {
  const nodeArgs = ['--import', 'tsx', script, ...args];
  // Pinned with taskset, which execs node: the child's pid is the script's.
  const child = cpus ? spawn('taskset', ['-c', cpus, process.execPath, ...nodeArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = new RegExp(`${label} (\\S+)`).exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}
