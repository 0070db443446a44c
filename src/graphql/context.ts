import type { Authentication, Principal } from '../modules/brands/authenticator.js';
import { GraphQLError } from 'graphql';
import type { Services } from '../services.js';

export interface GraphQLContext {
  auth: Authentication;
  services: Services;
}

/** HTTP 401 with the GraphQL body, so clients' token-refresh logic (which looks for 401) fires. */
export function unauthenticated(reason: string): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** HTTP 403 with the GraphQL body. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(`Forbidden: ${message}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** The principal of an authenticated request; throws UNAUTHENTICATED otherwise. */
export function requirePrincipal(context: GraphQLContext): Principal {
  const { auth } = context;
  if (auth.kind === 'authenticated') return auth.principal;
  throw unauthenticated(auth.kind === 'anonymous' ? 'send Authorization: Bearer <token>' : auth.reason);
}

/** The brand a client token is scoped to; the admin token has none. */
export function requireBrandId(context: GraphQLContext): string {
  const principal = requirePrincipal(context);
  if (principal.kind === 'brand') return principal.brandId;
  throw forbidden('this operation needs a brand client token, not the admin token');
}
