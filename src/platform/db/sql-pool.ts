/**
 * A plain node-postgres pool for the hot path (leases and reports): one
 * statement, one round trip, no query builder in between. Everything else
 * goes through the ORM.
 */
import pg from 'pg';

export type SqlPool = pg.Pool;

export function createSqlPool(databaseUrl: string, max = 16): SqlPool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000 });
  pool.on('error', () => {
    // an idle client lost its connection (e.g. a database restart): the pool replaces it
  });
  return pool;
}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: SqlPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
