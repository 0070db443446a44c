/**
 * A plain node-postgres pool for the key pool's tables (keys, providers'
 * settings, leases and reports): one statement, one round trip, no query
 * builder in between. Brands, tokens and nodes go through the ORM.
 *
 * A DATE column comes back as its text (YYYY-MM-DD), as the ORM gives it: pg's
 * default makes it a Date at local midnight, a different day east of UTC.
 *
 * A backend can be terminated at any moment (restart, failover,
 * pg_terminate_backend). pg-pool listens for errors only on idle clients; a
 * client checked out for a transaction that loses its connection between two
 * statements emits 'error' with no listener, which kills the process. So
 * every client gets its own listener for its whole life: the statement in
 * flight fails (and becomes a 503), the process stays up.
 */
import pg from 'pg';
import { isDatabaseUnavailable } from '../errors/database-errors.js';
import { actorStatement } from '../auth/request-actor.js';

export type SqlPool = pg.Pool;

/** What runs a statement: the pool, or one client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

const DATE_OID = 1082;
const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };

export function createSqlPool(databaseUrl: string, max = 16): SqlPool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000, types });
  pool.on('connect', (client) => client.on('error', ignoreConnectionError));
  pool.on('error', ignoreConnectionError);
  return pool;
}

/** A lost connection fails the statement in flight; the pool replaces the client. */
function ignoreConnectionError(): void {}

/**
 * Runs `work` in one transaction on one client; rolls back on any error. A transaction a request
 * opens carries its actor (set in the same round trip as `begin`), for the audit trail.
 */
export async function inTransaction<T>(pool: SqlPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const actor = actorStatement((value) => client.escapeLiteral(value));
    await client.query(actor ? `begin; ${actor}` : 'begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (e) {
    if (isDatabaseUnavailable(e)) broken = e as Error;
    else await client.query('rollback').catch((rollbackError: unknown) => (broken = rollbackError as Error));
    throw e;
  } finally {
    // A client whose connection broke is destroyed, never handed to the next caller.
    client.release(broken);
  }
}
