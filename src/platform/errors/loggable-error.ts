/**
 * What a log line may say about an error. Database errors carry the statement
 * with its parameter values (knex prefixes the message with the SQL) and a
 * `detail` that quotes the offending row (ciphertexts, fingerprints): they are
 * logged by SQLSTATE, table and constraint only, with PostgreSQL's own message.
 */
interface DatabaseErrorFields {
  name?: string;
  code?: string;
  severity?: string;
  table?: string;
  column?: string;
  constraint?: string;
  routine?: string;
  sqlState?: string;
  message: string;
}

const isDatabaseError = (e: Error): boolean =>
  e.name.endsWith('Exception') || 'severity' in e || 'routine' in e || 'sqlState' in e;

export interface LoggedError {
  type: string;
  message: string;
  stack: string;
  [field: string]: unknown;
}

export function loggableError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error), stack: '' };
  if (!isDatabaseError(error)) return { type: error.name, message: error.message, stack: error.stack ?? '' };
  const e = error as Error & DatabaseErrorFields;
  const message = e.message.includes(' - ') ? e.message.slice(e.message.lastIndexOf(' - ') + 3) : e.message;
  return {
    type: e.name,
    message,
    stack: '', // its first line would repeat the statement
    code: e.code,
    severity: e.severity,
    table: e.table,
    column: e.column,
    constraint: e.constraint,
    routine: e.routine,
  };
}
