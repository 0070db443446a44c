/**
 * One place that decides what a GraphQL client sees of an error: AppErrors
 * keep their public message and code, GraphQL's own errors keep theirs, and
 * anything unexpected becomes "Internal server error" with no stack or detail.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { isAppError } from '../platform/errors/app-error.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';

const VARIABLE_PREFIX = /^Variable "\$(\w+)" got invalid value /;

/** "Int cannot represent non-integer value: \"sk-…\"" → "Int cannot represent non-integer value". */
function withoutValues(reason: string): string {
  return reason
    .replace(/(cannot represent[^:]*): [\s\S]*$/, '$1.')
    .replace(/(Expected value of type "[^"]+"), found [\s\S]*$/, '$1.')
    .replace(/^(Argument "[^"]+") has invalid value [\s\S]*$/, '$1 has an invalid value.');
}

/**
 * GraphQL echoes a bad input back in its message (`Variable "$i" got invalid value { credentials:
 * { api_key: "sk-…" } }; …`): a secret sent in the wrong shape would come back, to anyone. The
 * message keeps the variable, the path and the reason, never a value.
 */
export function maskInputValues(message: string, original: unknown): string {
  const variable = VARIABLE_PREFIX.exec(message);
  if (!variable) return withoutValues(message);
  const reason = original instanceof Error && message.endsWith(`; ${original.message}`) ? original.message : message.slice(message.lastIndexOf('; ') + 2);
  const prefix = message.slice(0, message.length - reason.length - 2);
  const at = new RegExp(` at "(${variable[1]}[^"]*)"$`).exec(prefix);
  return `Variable "$${variable[1]}" got invalid value${at ? ` at "${at[1]}"` : ''}; ${withoutValues(reason)}`;
}

export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logUnexpected: (error: unknown) => void = () => {},
): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  if (isAppError(original)) {
    return { ...base, message: original.message, extensions: { code: original.graphqlCode, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError || (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR')) {
    const { stacktrace: _stacktrace, exception: _exception, http: _http, ...extensions } = formatted.extensions ?? {};
    const inner = error instanceof GraphQLError ? error.originalError : undefined;
    return { ...base, message: maskInputValues(formatted.message, inner), extensions };
  }
  if (isDatabaseUnavailable(original)) {
    const unavailable = databaseUnavailable();
    return { ...base, message: unavailable.message, extensions: { code: unavailable.graphqlCode } };
  }
  logUnexpected(original);
  return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
