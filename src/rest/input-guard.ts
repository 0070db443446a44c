/** Checks every REST and gateway path parameter, query string and body before a route sees it: no NUL characters anywhere. */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../platform/errors/app-error.js';
import { API_URLS } from './dialects.js';
import { findNulCharacter, nulCharacterMessage } from '../platform/input/nul-characters.js';

export function installInputGuard(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request) => {
    if (!API_URLS.test(request.url)) return;
    const found = findNulCharacter(request.params) ?? findNulCharacter(request.query) ?? findNulCharacter(request.body);
    if (found) throw badRequest(nulCharacterMessage(found));
  });
}
