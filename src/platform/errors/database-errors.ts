/** Failures that mean "the database cannot be reached right now", from pg, knex or MikroORM. */
import { AppError } from './app-error.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (e.name === 'ConnectionException' || /Connection terminated|Knex: Timeout acquiring a connection/.test(e.message)) return true;
  }
  return false;
}

export const databaseUnavailable = () => new AppError('service.unavailable', 'The database is unavailable; retry shortly');
