/**
 * The ORM: one MikroORM instance per process over one PostgreSQL database.
 * Migrations are committed (src/platform/db/migrations) and applied at start.
 */
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { migrationsList } from './migrations/index.js';
import { ActorSubscriber } from './actor-subscriber.js';

/** The entities the ORM describes: the modules own them, the composition root hands them over (src/entities.ts). */
export type Entities = NonNullable<Options['entities']>;

/** Where the pool's own warnings go (a connection the database dropped): the app's logger, not stdout. */
export type DatabaseWarn = (message: string) => void;
const toStderr: DatabaseWarn = (message) => void process.stderr.write(`keypool: database: ${message}\n`);

export function ormOptions(databaseUrl: string, entities: Entities, poolMax = 20, warn: DatabaseWarn = toStderr): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    // A request's actor reaches every transaction the ORM begins for it (the audit trail reads it there).
    subscribers: [new ActorSubscriber()],
    discovery: { warnWhenNoEntities: true },
    dynamicImportProvider: (id: string) => import(id),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 1, max: poolMax },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'src/platform/db/migrations',
      pathTs: 'src/platform/db/migrations',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      emit: 'ts',
    },
    debug: false,
    // knex writes its warnings with console.log otherwise: an unstructured line among JSON logs.
    driverOptions: { log: { warn, error: warn, deprecate: () => {}, debug: () => {} } },
  };
}

/** Any number of instances may start at once: one migrates while the others wait on this lock. */
const MIGRATION_LOCK_KEY = 4_711_042;

/**
 * Migrates, then applies the SQL definitions (functions written as `create or replace`, each
 * kept in one file beside the code that calls it) under the same lock.
 */
export async function openDatabase(
  databaseUrl: string,
  { entities, definitions = [], poolMax, warn }: { entities: Entities; definitions?: readonly string[]; poolMax?: number; warn?: DatabaseWarn },
): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, entities, poolMax, warn));
  const lock = new pg.Client({ connectionString: databaseUrl });
  lock.on('error', () => {}); // a lost connection fails the query in flight; it is reported from there
  try {
    await lock.connect();
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await orm.migrator.up();
    for (const sql of definitions) await lock.query(sql);
  } catch (e) {
    await orm.close();
    throw e;
  } finally {
    await lock.end().catch(() => {});
  }
  return orm;
}
