/**
 * keypool's JSON body parser, for every route (REST dialects, the gateway, GraphQL): Fastify's
 * own (prototype poisoning refused), after a one-pass check that the body does not nest deeper
 * than MAX_JSON_DEPTH, so no later walk of the value can overflow the stack.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../platform/errors/app-error.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepMessage } from '../platform/input/json-depth.js';

export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(new AppError('request.invalid', tooDeepMessage(MAX_JSON_DEPTH)), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
