/**
 * The `keypool` command line: `npm run keypool -- <command>`. It works on the
 * same database as the server (DATABASE_URL, or the embedded cluster in the
 * data dir, joined if the server is running). Every command takes --json, and
 * `brand create --quiet` prints only the id, so scripts can chain commands.
 *
 * Only the argument parser is loaded up front, so `--help` and argument errors
 * answer at once; the server's modules load when a command runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ClientTokenInfo, Revocation } from './modules/brands/index.js';
import type { Config } from './config/config.js';
import type { SqlPool } from './platform/db/sql-pool.js';
import type { Services } from './services.js';

async function withServices<T>(run: (services: Services, context: { config: Config; orm: MikroORM; sqlPool: SqlPool }) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { buildServices, openConfiguredDatabase }, { openDatabase }, { createSqlPool }, { InProcessEventBus }, { jsonCodec, PgNotifyEventBus }, { systemClock }, { REVOCATIONS_CHANNEL }, { ENTITIES }] =
    await Promise.all([
      import('./config/config.js'), import('./app.js'), import('./platform/db/orm.js'), import('./platform/db/sql-pool.js'), import('./platform/events/event-bus.js'),
      import('./platform/events/pg-notify-bus.js'), import('./platform/time/clock.js'), import('./modules/brands/index.js'), import('./entities.js'),
    ]);
  const config = loadConfig();
  const { url, cluster } = await openConfiguredDatabase(config, () => {});
  const orm = await openDatabase(url, { entities: ENTITIES, poolMax: 4 });
  const sqlPool = createSqlPool(url, 2);
  // Revocations are published over NOTIFY, so running servers act on them at once.
  const revocations = new PgNotifyEventBus<Revocation>({
    connectionString: url, channel: REVOCATIONS_CHANNEL, publishPool: sqlPool, codec: jsonCodec<Revocation>(), log: () => {},
  });
  try {
    return await run(buildServices(orm, sqlPool, config, systemClock, { events: new InProcessEventBus(), revocations, usage: new InProcessEventBus() }), { config, orm, sqlPool });
  } finally {
    await orm.close();
    await sqlPool.end();
    await cluster?.stop();
  }
}

const positiveInt = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
};

const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const iso = (d: Date | null) => (d ? d.toISOString() : '-');
const tokenLine = (t: ClientTokenInfo) =>
  `${t.id}  brand ${t.brandId}  ${t.revokedAt ? `revoked ${iso(t.revokedAt)}` : `expires ${iso(t.expiresAt)}`}  last used ${iso(t.lastUsedAt)}  ${t.label ?? ''}`.trimEnd();

const program = new Command('keypool').description('keypool administration').showHelpAfterError();

const brand = program.command('brand').description('manage brands (tenants)');
brand
  .command('create <name>')
  .description('create a brand and print its id')
  .option('-q, --quiet', 'print only the id')
  .option('--json', 'print the brand as JSON')
  .action((name: string, options: { quiet?: boolean; json?: boolean }) =>
    withServices(async ({ brands }) => {
      const created = await brands.createBrand(name);
      if (options.json) printJson(created);
      else if (options.quiet) console.log(created.id);
      else console.log(`brand created\n  id:   ${created.id}\n  name: ${created.name}\nnext: npm run keypool -- token ${created.id}`);
    }),
  );
brand
  .command('list')
  .description('list every brand')
  .option('--json', 'print the brands as JSON')
  .action((options: { json?: boolean }) =>
    withServices(async ({ brands }) => {
      const all = await brands.listBrands();
      if (options.json) printJson(all);
      else for (const b of all) console.log(`${b.id}  ${b.name}`);
    }),
  );

program
  .command('token <brandId>')
  .description("issue a brand client token (the REST docs' {client_token}); prints only the token")
  .option('--expires-in <seconds>', 'lifetime in seconds', positiveInt, 30 * 24 * 3600)
  .option('--label <text>', 'what the token is for, shown by `tokens list`')
  .option('--json', 'print the token with its id and expiry as JSON')
  .action((brandId: string, options: { expiresIn: number; label?: string; json?: boolean }) =>
    withServices(async ({ brands }) => {
      const issued = await brands.issueClientToken(brandId, options.expiresIn, options.label);
      if (options.json) return printJson(issued);
      console.error(`client token ${issued.id} for brand ${brandId}, expires ${issued.expiresAt.toISOString()}:`);
      console.log(issued.token);
    }),
  );

const tokens = program.command('tokens').description('list and revoke issued client tokens');
tokens
  .command('list')
  .description('issued client tokens, newest first (never the tokens themselves)')
  .option('--brand <brandId>', 'only this brand\'s')
  .option('--json', 'print as JSON')
  .action((options: { brand?: string; json?: boolean }) =>
    withServices(async ({ brands }) => {
      const all = await brands.listClientTokens(options.brand);
      if (options.json) printJson(all);
      else for (const t of all) console.log(tokenLine(t));
    }),
  );
tokens
  .command('revoke <tokenId>')
  .description('revoke a client token on every running instance (within a second), open WebSockets included')
  .option('--json', 'print the revoked token as JSON')
  .action((tokenId: string, options: { json?: boolean }) =>
    withServices(async ({ brands }) => {
      const revoked = await brands.revokeClientToken(tokenId);
      if (options.json) printJson(revoked);
      else console.log(`revoked ${tokenLine(revoked)}`);
    }),
  );

program
  .command('rotate-encryption')
  .description('re-encrypt every credential with the first key of KEYPOOL_ENCRYPTION_KEYS (safe to interrupt and re-run)')
  .option('--batch-size <rows>', 'rows per transaction', positiveInt, 100)
  .option('--json', 'print the report as JSON')
  .action((options: { batchSize: number; json?: boolean }) =>
    withServices(async (_services, { config, sqlPool }) => {
      const { CredentialVault, rotateEncryption } = await import('./modules/keys/index.js');
      const report = await rotateEncryption(sqlPool, new CredentialVault(config.encryptionKeys), {
        batchSize: options.batchSize,
        onBatch: (r) => console.error(`  scanned ${r.scanned}, re-encrypted ${r.changed}`),
      });
      if (options.json) printJson(report);
      else console.log(`rotate-encryption: scanned ${report.scanned} rows, re-encrypted ${report.changed} with the current key`);
    }),
  );

program.parseAsync().catch((e: unknown) => {
  // keypool's own errors (configuration, AppError) carry a message meant for the user.
  const named = e instanceof Error && (e.name === 'ConfigError' || e.name === 'AppError');
  if (named) console.error(`keypool: ${e.message}`);
  else console.error('keypool:', e instanceof Error ? e.message : e);
  process.exit(1);
});
