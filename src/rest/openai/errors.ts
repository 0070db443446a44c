/**
 * The gateway's error body, OpenAI's: `{ "error": { "message", "type", "param", "code" } }`,
 * so an OpenAI SDK raises its own error classes (AuthenticationError, NotFoundError,
 * RateLimitError, …) with keypool's message. Extra facts (a refusal's retry time and
 * skipped keys) ride beside them in snake_case.
 */
import { snakeKeys, snakeNames, type AppError, type ErrorCode } from '../../platform/errors/app-error.js';
import type { Dialect } from '../dialects.js';

/** OpenAI's codes where it has one for the same failure; keypool's own code otherwise. */
const OPENAI_CODES: Partial<Record<ErrorCode, string>> = {
  'auth.unauthenticated': 'invalid_api_key',
  'auth.forbidden': 'insufficient_permissions',
  'gateway.model_not_found': 'model_not_found',
  'route.not_found': 'unknown_url',
  'lease.no_key_available': 'rate_limit_exceeded',
};

function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export const OPENAI_DIALECT: Dialect = {
  prefix: '/v1',
  errorBody: (error: AppError) => {
    const { param, ...details } = error.details ?? {};
    return {
      error: {
        message: error.messageIn(snakeNames),
        type: typeOf(error.httpStatus),
        param: typeof param === 'string' ? param : null,
        code: OPENAI_CODES[error.code] ?? error.code,
        ...(snakeKeys(details) as object),
      },
    };
  },
};
