/**
 * A cheap, bounded "is the database there?" check that never waits on the ORM
 * pool. It opens a connection of its own (the pools' idle connections could
 * say "up" for a database that no longer accepts new ones), so concurrent
 * checks share one: a burst of /readyz requests, which need no token, costs
 * the database one connection rather than one each.
 */
import pg from 'pg';

export function createDatabaseProbe(databaseUrl: string, timeoutMs = 2000): () => Promise<boolean> {
  let running: Promise<boolean> | null = null;
  const check = async () => {
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
  return () => (running ??= check().finally(() => (running = null)));
}
