/**
 * Every failure on every route becomes a 4xx/5xx in the dialect's own error
 * body: AppErrors keep their status and public message, framework errors
 * (malformed JSON, oversize body) are named, anything else is a bare 500
 * with no stack and no detail. Each dialect is a Fastify plugin that installs
 * these handlers with its own renderer; this file knows none of them.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../platform/errors/app-error.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import type { Dialects } from './dialects.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** keypool's own error body, outside any dialect (GraphQL's HTTP errors, probes, unknown URLs). */
export const keypoolErrorBody = (error: AppError) => ({ error: { code: error.code, message: error.message, ...(error.details ?? {}) } });

type ErrorBody = (error: AppError) => object;

function render(errorBody: ErrorBody, reply: FastifyReply, error: AppError) {
  // Any error that says when to come back (a refused lease) says it in the header too.
  if (typeof error.details?.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
  reply.code(error.httpStatus);
  return errorBody(error);
}

const sizeIn = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);

function fromFrameworkError(error: FastifyError, maxBodyBytes: number): AppError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('request.too_large', `Request body is larger than the limit of ${maxBodyBytes} bytes (${sizeIn(maxBodyBytes)})`);
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
 * Errors the router raises before any route (or plugin) is chosen — a path parameter over
 * MAX_PARAM_LENGTH, a malformed percent-encoding — rendered in the body of the dialect whose
 * prefix the URL starts with, without echoing the URL.
 */
export const frameworkErrors = (dialects: Dialects) => (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? `A path segment is longer than ${MAX_PARAM_LENGTH} characters`
    : 'The URL is malformed (bad percent-encoding)';
  void reply.send(render(dialects.of(request.url)?.errorBody ?? keypoolErrorBody, reply, new AppError('request.invalid', message)));
};

/** The error handler of one Fastify context, rendering every error with `errorBody`. */
export function errorHandler(errorBody: ErrorBody = keypoolErrorBody, maxBodyBytes = MAX_BODY_BYTES) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = isAppError(error) ? error : fromFrameworkError(error, maxBodyBytes);
    if (appError) return render(errorBody, reply, appError);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return render(errorBody, reply, databaseUnavailable());
    }
    request.log.error({ err: error }, 'unexpected error');
    return render(errorBody, reply, new AppError('internal', 'Internal server error'));
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The error and not-found handlers of one Fastify context (the root, or a dialect's plugin and
 * its prefix), rendering every error with `errorBody`. A URL that exists for other methods is a
 * 405 naming them (and saying so in `Allow`), not a 404.
 */
export function installErrorHandlers(fastify: FastifyInstance, errorBody: ErrorBody = keypoolErrorBody, maxBodyBytes = MAX_BODY_BYTES): void {
  fastify.setErrorHandler(errorHandler(errorBody, maxBodyBytes));
  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = METHODS.filter((method) => method !== request.method && fastify.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return render(errorBody, reply, new AppError('route.method_not_allowed', `Method ${request.method} is not allowed here: use ${allowed.join(' or ')}`));
    }
    return render(errorBody, reply, new AppError('route.not_found', `Route not found: ${request.method} ${path}`));
  });
}
