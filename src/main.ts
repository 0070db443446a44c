/** Process entry: load config, create the app, listen, shut down on signals. No logic. */
import { ConfigError, loadConfig } from './config/config.js';
import { createApp } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`keypool: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  // Whoever reads keypool's output may go away (a closed pipe): keypool keeps serving and its
  // lines are dropped, rather than die of EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const app = await createApp({ config });
  const url = await app.listen();
  const lines = [
    `keypool is listening on ${url}`,
    `  GraphQL (HTTP and WebSocket): ${url}/graphql   (open it in a browser for the IDE)`,
    `  REST: ${url}/api/v1/integrations   health: ${url}/healthz   ready: ${url}/readyz   metrics: ${url}/metrics`,
    `  dashboard: ${url}/dashboard   OpenAI-compatible gateway (baseURL for OpenAI SDKs): ${url}/v1`,
    config.databaseUrl ? '  database: DATABASE_URL' : `  database: embedded PostgreSQL in ${config.dataDir}/pg`,
    config.secretsFile
      ? `  admin token, encryption key and JWT secret are kept in ${config.secretsFile} (mode 0600)`
      : '  secrets: from KEYPOOL_ADMIN_TOKEN, KEYPOOL_ENCRYPTION_KEYS, KEYPOOL_JWT_SECRET',
    '  first steps: npm run keypool -- brand create <name>, then npm run keypool -- token <brand id>',
    '  stop with Ctrl-C (SIGINT) or SIGTERM',
  ];
  console.log(lines.join('\n'));

  // `npm start` forwards the terminal's Ctrl-C to the process that already got
  // it from its process group, so a repeat within a second is the same signal.
  const DUPLICATE_WINDOW_MS = 1000;
  let stoppingSince: number | null = null;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (Date.now() - stoppingSince < DUPLICATE_WINDOW_MS) return;
      console.error(`keypool: ${signal} again, exiting at once`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`keypool: ${signal} received, shutting down`);
    app.close().then(
      () => process.exit(0),
      (e) => {
        console.error('keypool: shutdown failed', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Last resort: a promise rejection nobody handled is a bug to fix, not a reason to drop every
  // request in flight and every open socket.
  process.on('unhandledRejection', (e) => console.error('keypool: unhandled promise rejection (a bug; still running):', e));

  // `npm start` passes a signal it gets on to its child, which the start script makes keypool
  // itself (`exec`). Should npm die without passing one on (SIGKILL), keypool notices it was
  // re-parented and stops as on SIGTERM, rather than run on orphaned with its PostgreSQL.
  const parent = process.ppid;
  if (parent > 1) {
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      console.log('keypool: the process that started it has gone');
      shutdown('SIGTERM');
    }, ORPHAN_CHECK_MS).unref();
  }
}

const ORPHAN_CHECK_MS = 250;

main().catch((e: unknown) => {
  const error = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (error?.code === 'EADDRINUSE') {
    console.error(`keypool: failed to start: ${error.address}:${error.port} is in use; stop what holds it or set PORT (and HOST)`);
  } else {
    console.error('keypool: failed to start:', e instanceof Error ? e.message : e);
  }
  process.exit(1);
});
