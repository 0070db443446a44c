/** REST authentication: every route under /api needs a brand client token. */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors/app-error.js';
import type { Services } from '../services.js';

export async function requireBrandId(request: FastifyRequest, services: Services): Promise<string> {
  const auth = await services.authenticator.authenticate(request.headers.authorization);
  if (auth.kind === 'anonymous') {
    throw new AppError('auth.unauthenticated', 'Missing Authorization header: send Authorization: Bearer <client_token>');
  }
  if (auth.kind === 'rejected') throw new AppError('auth.unauthenticated', `Invalid client token: ${auth.reason}`);
  if (auth.principal.kind !== 'brand') {
    throw new AppError('auth.forbidden', 'This route needs a brand client token; the admin token is not scoped to a brand');
  }
  return auth.principal.brandId;
}
