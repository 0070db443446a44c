/**
 * A plain node-postgres pool for the hot path (leases and reports): one
 * statement, one round trip, no query builder in between. Everything else
 * goes through the ORM.
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

export type SqlPool = pg.Pool;

export function createSqlPool(databaseUrl: string, max = 16): SqlPool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  pool.on('connect', (client) => client.on('error', ignoreConnectionError));
  pool.on('error', ignoreConnectionError);
  return pool;
}

/** A lost connection fails the statement in flight; the pool replaces the client. */
function ignoreConnectionError(): void {}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: SqlPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
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
