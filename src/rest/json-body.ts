/**
 * keypool's JSON body parser, for every route (REST dialects, the gateway, GraphQL): Fastify's
 * own (prototype poisoning refused), after a one-pass check that the body does not nest deeper
 * than MAX_JSON_DEPTH, so no later walk of the value can overflow the stack. An empty body
 * (clients that send `Content-Type: application/json` on every request, a DELETE included) is
 * no body; a route that needs one says so.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors/app-error.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepMessage } from '../platform/input/json-depth.js';

type Done = (error: Error | null, body?: unknown) => void;
type JsonTextParser = (request: FastifyRequest, body: string, done: Done) => void;

/** Parses a body as JSON whatever its declared type: the parser a dialect installs for `*` when it reads JSON as Bifrost does. */
export function jsonTextParser(fastify: FastifyInstance): JsonTextParser {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (body.trim() === '') {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(new AppError('request.invalid', tooDeepMessage(MAX_JSON_DEPTH)), undefined);
      return;
    }
    parse(request, body, done);
  };
}

export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parse = jsonTextParser(fastify);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => parse(request, body as string, done));
}

/** Within a plugin: every body, whatever its Content-Type (or none), is read as JSON. */
export function installAnyTypeJsonParser(fastify: FastifyInstance): void {
  const parse = jsonTextParser(fastify);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => parse(request, body as string, done));
}
