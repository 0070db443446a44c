/**
 * Developer tool: diff the entities against a scratch database that has every
 * committed migration applied, and write the next migration file.
 * Usage: npm run migration:create   (uses DATABASE_URL, or a throwaway embedded cluster)
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ormOptions } from '../src/platform/db/orm.js';
import { ENTITIES } from '../src/entities.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'keypool-migration-'));
const cluster = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: dir, password: 'scratch' });
const orm = await MikroORM.init(ormOptions(process.env.DATABASE_URL ?? cluster!.url, ENTITIES));
try {
  await orm.migrator.up();
  const result = await orm.migrator.createMigration('src/platform/db/migrations', false, false, process.argv[2]);
  console.log(result.fileName ? `wrote ${result.fileName}; add it to migrations/index.ts` : 'no changes');
} finally {
  await orm.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
