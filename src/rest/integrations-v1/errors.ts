/** The Integrations v1 error envelope: `{ "success": false, "error": "…" }`, details in snake_case beside it. */
import { snakeKeys, snakeNames, type AppError } from '../../platform/errors/app-error.js';
import type { Dialect } from '../dialects.js';

export const v1ErrorBody = (message: string) => ({ success: false as const, error: message });

/** The v1 dialect is snake_case throughout, error details included. */
export const V1_DIALECT: Dialect = {
  prefix: '/api/v1',
  errorBody: (error: AppError) => ({ ...v1ErrorBody(error.messageIn(snakeNames)), ...(snakeKeys(error.details ?? {}) as object) }),
};
