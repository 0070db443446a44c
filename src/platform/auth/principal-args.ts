/**
 * Who is calling, for resolvers: parameter decorators that take the principal
 * from the request's authentication (whatever transport built it), so a
 * resolver never reads the transport's context. UNAUTHENTICATED is an HTTP 401
 * and FORBIDDEN a 403, with the GraphQL body.
 */
import { GraphQLError } from 'graphql';
import { createParameterDecorator } from 'type-graphql';
import type { Authentication, Principal } from './principal.js';

/** What a request context must hold for these decorators. */
export interface PrincipalContext {
  auth: Authentication;
}

/** A principal that belongs to a brand: its client token, or one of its nodes. */
export type BrandPrincipal = Exclude<Principal, { kind: 'admin' }>;

export function unauthenticated(reason: string): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(`Forbidden: ${message}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** Too many failed secrets for a credential or from an address: HTTP 429 with Retry-After. */
export function throttled(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many failed attempts for this credential or address: try again in ${retryAfterSeconds} s`, {
    extensions: { code: 'TOO_MANY_FAILED_ATTEMPTS', retryAfterSeconds, http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) as never } }, // Apollo reads a Map
  });
}

/** The principal of an authenticated request; throws UNAUTHENTICATED (or, after too many failed secrets, TOO_MANY_FAILED_ATTEMPTS) otherwise. */
export function requirePrincipal(context: PrincipalContext): Principal {
  const { auth } = context;
  if (auth.kind === 'authenticated') return auth.principal;
  if (auth.kind === 'rejected' && auth.retryAfterSeconds !== undefined) throw throttled(auth.retryAfterSeconds);
  throw unauthenticated(auth.kind === 'anonymous' ? 'send Authorization: Bearer <token> (or Basic <api_key:secret>)' : auth.reason);
}

/** The brand principal (client token or node credential); the admin token has no brand. */
export function requireBrandPrincipal(context: PrincipalContext): BrandPrincipal {
  const principal = requirePrincipal(context);
  if (principal.kind !== 'admin') return principal;
  throw forbidden('this operation needs a brand client token or a node credential, not the admin token');
}

export const requireBrandId = (context: PrincipalContext): string => requireBrandPrincipal(context).brandId;

/** The caller, whoever it is (the admin token included). */
export const CurrentPrincipal = () => createParameterDecorator<PrincipalContext>(({ context }) => requirePrincipal(context));
/** The caller's brand principal: a client token or a node credential. */
export const CurrentBrandPrincipal = () => createParameterDecorator<PrincipalContext>(({ context }) => requireBrandPrincipal(context));
/** The id of the caller's brand. */
export const CurrentBrandId = () => createParameterDecorator<PrincipalContext>(({ context }) => requireBrandId(context));
