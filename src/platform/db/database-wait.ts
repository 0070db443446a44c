/**
 * Containers start in any order: at start-up an unreachable database is waited
 * for, with backoff, for a configurable time, saying so, instead of exiting at once.
 */
import pg from 'pg';
import { isDatabaseUnavailable } from '../errors/database-errors.js';

export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

const where = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
};

const reasonOf = (e: unknown) => String((e as { code?: string }).code ?? (e instanceof Error ? e.message : e));

/** Resolves once the database answers; a refusal that is not about reachability (e.g. a bad password) is thrown at once. */
export async function waitForDatabase(url: string, waitSeconds: number, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      if (attempt > 0) log(`database at ${where(url)} is reachable`);
      return;
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      if (Date.now() >= deadline) {
        throw new DatabaseUnreachableError(
          `the database at ${where(url)} is unreachable (${reasonOf(e)})${waitSeconds > 0 ? ` after waiting ${waitSeconds} s (KEYPOOL_DATABASE_WAIT_SECONDS)` : ''}`,
        );
      }
      if (attempt === 0) log(`database at ${where(url)} is not reachable yet (${reasonOf(e)}); retrying for up to ${waitSeconds} s (KEYPOOL_DATABASE_WAIT_SECONDS)`);
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5000, Math.max(0, deadline - Date.now()))));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
