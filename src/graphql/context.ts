import { GraphQLError } from 'graphql';
import type { Authentication, Principal } from '../modules/nodes/authenticator.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import type { Services } from '../services.js';

export interface GraphQLContext {
  auth: Authentication;
  services: Services;
}

/** A principal that belongs to a brand: its client token, or one of its nodes. */
export type BrandPrincipal = Exclude<Principal, { kind: 'admin' }>;

/** HTTP 401 with the GraphQL body, so clients' token-refresh logic (which looks for 401) fires. */
export function unauthenticated(reason: string): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** HTTP 403 with the GraphQL body. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(`Forbidden: ${message}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/**
 * Authenticates for GraphQL. Checking a node credential that is not cached needs the database:
 * when it is unreachable that is a 503 with the GraphQL body (not Apollo's 500 for a failed context).
 */
export async function authenticateForGraphQL(services: Services, header: string | undefined): Promise<Authentication> {
  try {
    return await services.authenticator.authenticate(header);
  } catch (e) {
    if (!isDatabaseUnavailable(e)) throw e;
    const unavailable = databaseUnavailable();
    throw new GraphQLError(unavailable.message, { extensions: { code: unavailable.graphqlCode, http: { status: unavailable.httpStatus } } });
  }
}

/** The principal of an authenticated request; throws UNAUTHENTICATED otherwise. */
export function requirePrincipal(context: GraphQLContext): Principal {
  const { auth } = context;
  if (auth.kind === 'authenticated') return auth.principal;
  throw unauthenticated(auth.kind === 'anonymous' ? 'send Authorization: Bearer <token> (or Basic <api_key:secret>)' : auth.reason);
}

/** The brand principal (client token or node credential); the admin token has no brand. */
export function requireBrandPrincipal(context: GraphQLContext): BrandPrincipal {
  const principal = requirePrincipal(context);
  if (principal.kind !== 'admin') return principal;
  throw forbidden('this operation needs a brand client token or a node credential, not the admin token');
}

/** The brand a client token or node credential belongs to. */
export const requireBrandId = (context: GraphQLContext): string => requireBrandPrincipal(context).brandId;
