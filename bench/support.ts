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
  stop(): Promise<void>;
}

export async function startServer(extraEnv: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keypool-bench-'));
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []), '--import', 'tsx', 'src/main.ts'], {
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
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
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

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds used so far by the keypool server, its PostgreSQL processes, and this load generator (Linux /proc; zeros elsewhere). */
export function cpuSeconds(server: BenchServer): { server: number; postgres: number; generator: number } {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  let postgres = 0;
  let serverCpu = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (Number(pid) === server.pid) serverCpu = ticks(stat);
        else if (stat.includes('(postgres)')) postgres += ticks(stat);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return { server: 0, postgres: 0, generator: 0 };
  }
  const own = process.cpuUsage();
  return { server: serverCpu, postgres, generator: (own.user + own.system) / 1e6 };
}
