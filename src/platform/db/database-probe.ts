/** A cheap, bounded "is the database there?" check that never waits on the ORM pool. */
import pg from 'pg';

export function createDatabaseProbe(databaseUrl: string, timeoutMs = 2000): () => Promise<boolean> {
  return async () => {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };
}
