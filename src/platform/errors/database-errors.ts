/** Failures that mean "the database cannot be reached right now", from pg, knex or MikroORM. */
import { AppError } from './app-error.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/**
 * Messages of a connection lost mid-work: pg's, knex's, and knex's "Transaction query already
 * complete" when a transaction's connection died under it.
 */
const CONNECTION_LOST =
  /Connection terminated|connection error and is not queryable|Knex: Timeout acquiring a connection|Transaction query already complete|terminating connection/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (e.name === 'ConnectionException' || CONNECTION_LOST.test(e.message)) return true;
  }
  return false;
}

export const databaseUnavailable = () => new AppError('service.unavailable', 'The database is unavailable; retry shortly');

/** A unique index refused a write (pg's 23505): `constraint` names the index. */
export function isUniqueViolation(error: unknown): error is { code: '23505'; constraint?: string } {
  return (error as { code?: unknown } | null)?.code === '23505';
}
