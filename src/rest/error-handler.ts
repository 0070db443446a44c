/**
 * Every failure on every route becomes a 4xx/5xx in the dialect's own error
 * body: AppErrors keep their status and public message, framework errors
 * (malformed JSON, oversize body) are named, anything else is a bare 500
 * with no stack and no detail.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../platform/errors/app-error.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import { V1_PREFIX, v1ErrorBody } from './integrations-v1/errors.js';
import { BIFROST_PREFIX, bifrostErrorBody } from './bifrost/errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

function render(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  if (error.code === 'lease.no_key_available' && typeof error.details?.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(error.details.retryAfterSeconds));
  }
  reply.code(error.httpStatus);
  if (request.url.startsWith(V1_PREFIX)) return { ...v1ErrorBody(error.message), ...(snakeKeys(error.details ?? {}) as object) };
  if (request.url === BIFROST_PREFIX || request.url.startsWith(`${BIFROST_PREFIX}/`) || request.url.startsWith(`${BIFROST_PREFIX}?`)) {
    return bifrostErrorBody(error);
  }
  return { error: { code: error.code, message: error.message, ...(error.details ?? {}) } };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The v1 dialect is snake_case throughout, error details included. */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), snakeKeys(v)]));
}

function fromFrameworkError(error: FastifyError): AppError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('request.too_large', `Request body is larger than the limit of ${MAX_BODY_BYTES} bytes (1 MiB)`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('request.malformed_json', `Malformed JSON body: ${error.message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'/, 'body is not valid JSON')}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('request.unsupported_media_type', 'Content-Type must be application/json');
    default:
      break;
  }
  if (error instanceof SyntaxError || (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)) {
    return new AppError('request.invalid', error.message);
  }
  return null;
}

export function installErrorHandlers(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = isAppError(error) ? error : fromFrameworkError(error);
    if (appError) return render(request, reply, appError);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return render(request, reply, databaseUnavailable());
    }
    request.log.error({ err: error }, 'unexpected error');
    return render(request, reply, new AppError('internal', 'Internal server error'));
  });
  fastify.setNotFoundHandler((request, reply) =>
    render(request, reply, new AppError('route.not_found', `Route not found: ${request.method} ${request.url.split('?')[0]}`)),
  );
}
