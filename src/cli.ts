/**
 * The `keypool` command line: `npm run keypool -- <command>`. It works on the
 * same database as the server (DATABASE_URL, or the embedded cluster in the
 * data dir, joined if the server is running).
 */
import { Command, InvalidArgumentError } from 'commander';
import type { MikroORM } from '@mikro-orm/postgresql';
import { CredentialVault, rotateEncryption } from './modules/integrations/index.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { buildServices, openConfiguredDatabase } from './app.js';
import { openDatabase } from './platform/db/orm.js';
import { createSqlPool } from './platform/db/sql-pool.js';
import { isAppError } from './platform/errors/app-error.js';
import { systemClock } from './platform/time/clock.js';
import type { Services } from './services.js';

async function withServices<T>(run: (services: Services, context: { config: Config; orm: MikroORM }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { url, cluster } = await openConfiguredDatabase(config, () => {});
  const orm = await openDatabase(url, 4);
  const sqlPool = createSqlPool(url, 2);
  try {
    return await run(buildServices(orm, sqlPool, config, systemClock), { config, orm });
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

const program = new Command('keypool').description('keypool administration').showHelpAfterError();

const brand = program.command('brand').description('manage brands (tenants)');
brand
  .command('create <name>')
  .description('create a brand and print its id')
  .action((name: string) =>
    withServices(async ({ brands }) => {
      const created = await brands.createBrand(name);
      console.log(`brand created\n  id:   ${created.id}\n  name: ${created.name}\nnext: npm run keypool -- token ${created.id}`);
    }),
  );
brand
  .command('list')
  .description('list every brand')
  .action(() =>
    withServices(async ({ brands }) => {
      for (const b of await brands.listBrands()) console.log(`${b.id}  ${b.name}`);
    }),
  );

program
  .command('token <brandId>')
  .description("issue a brand client token (the REST docs' {client_token})")
  .option('--expires-in <seconds>', 'lifetime in seconds', positiveInt, 30 * 24 * 3600)
  .action((brandId: string, options: { expiresIn: number }) =>
    withServices(async ({ brands }) => {
      const { token, expiresAt } = await brands.issueClientToken(brandId, options.expiresIn);
      console.error(`client token for brand ${brandId}, expires ${expiresAt.toISOString()}:`);
      console.log(token);
    }),
  );

program
  .command('rotate-encryption')
  .description('re-encrypt every credential with the first key of KEYPOOL_ENCRYPTION_KEYS (safe to interrupt and re-run)')
  .option('--batch-size <rows>', 'rows per transaction', positiveInt, 100)
  .action((options: { batchSize: number }) =>
    withServices(async (_services, { config, orm }) => {
      const report = await rotateEncryption(orm.em, new CredentialVault(config.encryptionKeys), {
        batchSize: options.batchSize,
        onBatch: (r) => console.error(`  scanned ${r.scanned}, re-encrypted ${r.changed}`),
      });
      console.log(`rotate-encryption: scanned ${report.scanned} rows, re-encrypted ${report.changed} with the current key`);
    }),
  );

program.parseAsync().catch((e: unknown) => {
  if (e instanceof ConfigError || isAppError(e)) console.error(`keypool: ${e.message}`);
  else console.error('keypool:', e instanceof Error ? e.message : e);
  process.exit(1);
});
