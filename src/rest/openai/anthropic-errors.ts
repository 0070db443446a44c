/**
 * The error body of the gateway's Anthropic route (`POST /v1/messages`), Anthropic's own:
 * `{ "type": "error", "error": { "type", "message" } }`, so the Anthropic SDK raises its own
 * error classes (AuthenticationError, RateLimitError, …) with keypool's message. Extra facts (a
 * refusal's retry time and skipped keys) ride beside them in snake_case.
 */
import { snakeKeys, snakeNames, type AppError } from '../../platform/errors/app-error.js';
import type { Dialect } from '../dialects.js';

function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export const ANTHROPIC_DIALECT: Dialect = {
  prefix: '/v1/messages',
  errorBody: (error: AppError) => {
    const { param: _param, ...details } = error.details ?? {};
    return { type: 'error', error: { type: typeOf(error.httpStatus), message: error.messageIn(snakeNames), ...(snakeKeys(details) as object) } };
  },
};
