/**
 * Every failure on every route becomes a 4xx/5xx in the dialect's own error
 * body: AppErrors keep their status and public message, framework errors
 * (malformed JSON, oversize body) are named, anything else is a bare 500
 * with no stack and no detail.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../platform/errors/app-error.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import { V1_DIALECT } from './integrations-v1/errors.js';
import { BIFROST_DIALECT } from './bifrost/errors.js';
import { Dialects } from './dialects.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const dialects = new Dialects();
dialects.register(V1_DIALECT);
dialects.register(BIFROST_DIALECT);

/** Renders an AppError as the dialect that owns the URL does (or keypool's own body). */
export function render(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  // Any error that says when to come back (a refused lease) says it in the header too.
  if (typeof error.details?.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
  reply.code(error.httpStatus);
  const dialect = dialects.of(request.url);
  if (dialect) return dialect.errorBody(error);
  return { error: { code: error.code, message: error.message, ...(error.details ?? {}) } };
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

/** The longest path parameter routed (key ids are at most 255 characters; longer ones answer 404). */
export const MAX_PARAM_LENGTH = 1024;

/**
 * Errors the router raises before any route runs (a path parameter over MAX_PARAM_LENGTH, a
 * malformed percent-encoding): rendered in the dialect's body like every other error, without
 * echoing the URL.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? `A path segment is longer than ${MAX_PARAM_LENGTH} characters`
    : 'The URL is malformed (bad percent-encoding)';
  void reply.send(render(request, reply, new AppError('request.invalid', message)));
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
