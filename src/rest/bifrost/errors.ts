/**
 * Bifrost's error envelope, `{ is_bifrost_error, status_code, error: { message }, extra_fields }`,
 * with Bifrost's own wording where its scripts may match on it.
 */
import { AppError, isAppError, snakeNames, type FieldNamer } from '../../platform/errors/app-error.js';
import type { Dialect } from '../dialects.js';

/** Bifrost's management API: /api/providers…, /api/keys, and every other /api/* URL that is not keypool's /api/v1. */
export const BIFROST_PREFIX = '/api';

function bifrostMessage(error: AppError): string {
  switch (error.code) {
    case 'provider.not_found':
      return 'Provider not found: not found';
    case 'integration.not_found':
      return 'Provider key not found: not found';
    case 'request.malformed_json':
      return error.message.replace(/^Malformed JSON body: /, 'Invalid JSON: ');
    case 'request.invalid':
      // A key without its secret, in Bifrost's own words.
      if (error.problem?.problem === 'missing' && error.problem.field.startsWith('credentials')) return 'Key value must not be empty';
      return error.messageIn(snakeNames);
    default:
      return error.messageIn(snakeNames);
  }
}

export function bifrostErrorBody(error: AppError) {
  return {
    is_bifrost_error: false,
    status_code: error.httpStatus,
    error: { message: bifrostMessage(error) },
    extra_fields: {},
  };
}

/** Runs `work`, naming the fields of any error it raises as a Bifrost user wrote them. */
export async function namedAs<T>(names: FieldNamer, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isAppError(e)) throw new AppError(e.code, e.messageIn(names), e.details, e.problem);
    throw e;
  }
}

export const BIFROST_DIALECT: Dialect = { prefix: BIFROST_PREFIX, errorBody: bifrostErrorBody };
