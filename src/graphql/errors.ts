/**
 * One place that decides what a GraphQL client sees of an error: AppErrors
 * keep their public message and code, GraphQL's own errors keep theirs, and
 * anything unexpected becomes "Internal server error" with no stack or detail.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { isAppError } from '../platform/errors/app-error.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';

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
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...base, extensions };
  }
  if (isDatabaseUnavailable(original)) {
    const unavailable = databaseUnavailable();
    return { ...base, message: unavailable.message, extensions: { code: unavailable.graphqlCode } };
  }
  logUnexpected(original);
  return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
