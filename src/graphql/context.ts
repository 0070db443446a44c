import { GraphQLError } from 'graphql';
import type { Authentication } from '../platform/auth/principal.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import type { Services } from '../services.js';
import { noteActingPrincipal } from '../platform/auth/request-actor.js';

export interface GraphQLContext {
  auth: Authentication;
  services: Services;
}

/**
 * Authenticates for GraphQL. Checking a node credential that is not cached needs the database:
 * when it is unreachable that is a 503 with the GraphQL body (not Apollo's 500 for a failed context).
 */
export async function authenticateForGraphQL(services: Services, header: string | undefined, clientAddress: string | null = null): Promise<Authentication> {
  try {
    const auth = await services.authenticator.authenticate(header, { clientAddress });
    if (auth.kind === 'authenticated') noteActingPrincipal(auth.principal);
    return auth;
  } catch (e) {
    if (!isDatabaseUnavailable(e)) throw e;
    const unavailable = databaseUnavailable();
    throw new GraphQLError(unavailable.message, { extensions: { code: unavailable.graphqlCode, http: { status: unavailable.httpStatus } } });
  }
}
