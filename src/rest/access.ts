/**
 * REST access control. Every route under /api (and the gateway's /v1) declares the permission it needs
 * in its config (`config: { permission: 'integrations.read' }`, or a function
 * of the request, or 'public'); a route that declares none fails at
 * registration, so no route can be added unguarded. One preHandler
 * authenticates and authorizes; handlers read `accessOf(request)`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INVALID_CREDENTIALS, isAllowed, type KeypoolPermission, type Principal } from '../modules/nodes/index.js';
import { AppError } from '../platform/errors/app-error.js';
import type { Services } from '../services.js';
import { API_URLS } from './dialects.js';
import { noteActingPrincipal, runAsRequest } from '../platform/auth/request-actor.js';

export type BrandPrincipal = Exclude<Principal, { kind: 'admin' }>;
export type RoutePermission = KeypoolPermission | 'public' | ((request: FastifyRequest) => KeypoolPermission);

export interface RestAccess {
  brandId: string;
  principal: BrandPrincipal;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /** The route also takes a node credential as `Bearer <api_key>:<secret>` (the OpenAI SDKs' one API key string). */
    credentialAsBearer?: boolean;
    /** A header that carries the caller's credential where a provider's SDK puts its API key (Anthropic's `x-api-key`), read when there is no Authorization header. */
    apiKeyHeader?: string;
    /** The same in a query parameter (Gemini's `?key=`), read when neither header is there. */
    apiKeyQuery?: string;
    /** false: the route never changes a setting the audit trail records (the pool's leases and reports), so it runs in no audit scope. */
    audited?: boolean;
  }
  interface FastifyRequest {
    access?: RestAccess;
  }
}

/** Authenticates a request and checks one permission; throws the 401/403 a client should see. */
export async function authorize(request: FastifyRequest, services: Services, permission: KeypoolPermission): Promise<RestAccess> {
  const auth = await services.authenticator.authenticate(credentialHeader(request), { credentialAsBearer: request.routeOptions.config.credentialAsBearer, clientAddress: request.ip });
  if (auth.kind === 'anonymous') {
    const { apiKeyHeader: named, apiKeyQuery } = request.routeOptions.config;
    throw new AppError('auth.unauthenticated', named
      ? `Missing credential: send ${named}: <client_token> (your SDK's API key)${apiKeyQuery ? `, ?${apiKeyQuery}=<client_token>` : ''}, or Authorization: Bearer <client_token>`
      : 'Missing Authorization header: send Authorization: Bearer <client_token> (or Basic <api_key:secret>)');
  }
  if (auth.kind === 'rejected' && auth.retryAfterSeconds !== undefined) throw throttled(auth.retryAfterSeconds);
  if (auth.kind === 'rejected') {
    throw new AppError('auth.unauthenticated', auth.scheme === 'basic' ? capitalize(INVALID_CREDENTIALS) : `Invalid client token: ${auth.reason}`);
  }
  const principal = auth.principal;
  noteActingPrincipal(principal);
  if (principal.kind === 'admin') {
    throw new AppError('auth.forbidden', 'This route needs a brand client token; the admin token is not scoped to a brand');
  }
  if (!isAllowed(principal, permission)) throw new AppError('auth.forbidden', `Forbidden: needs ${permission}`);
  return { brandId: principal.brandId, principal };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The Authorization header, or the route's API-key header as a bearer token (what a provider's SDK sends as its key is keypool's credential). */
function credentialHeader(request: FastifyRequest): string | undefined {
  const { apiKeyHeader, apiKeyQuery } = request.routeOptions.config;
  if (request.headers.authorization !== undefined) return request.headers.authorization;
  const value = apiKeyHeader ? request.headers[apiKeyHeader] : undefined;
  if (typeof value === 'string' && value !== '') return `Bearer ${value}`;
  const query = apiKeyQuery ? (request.query as Record<string, unknown> | undefined)?.[apiKeyQuery] : undefined;
  return typeof query === 'string' && query !== '' ? `Bearer ${query}` : undefined;
}

/** Too many failed secrets for a credential or from an address: 429, with when to come back. */
export const throttled = (retryAfterSeconds: number) =>
  new AppError('auth.throttled', `Too many failed attempts for this credential or address: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });

/** Installs the check; returns the guarded routes as they are registered. */
export function installAccessControl(fastify: FastifyInstance, services: Services): { method: string; url: string }[] {
  const guarded: { method: string; url: string }[] = [];
  // Each request that may change something (GraphQL's too) runs in its own scope from here on, so
  // whatever it changes is recorded as its caller's, from its address. First of the preHandlers,
  // after the body is read. A read (GET, HEAD, OPTIONS) changes nothing and skips it, as do the
  // pool's hot routes, which change no audited setting (`audited: false`).
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' || request.routeOptions.config.audited === false) return done();
    const userAgent = request.headers['user-agent'];
    runAsRequest({ ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 200) : null }, done);
  });
  fastify.addHook('onRoute', (route) => {
    if (!API_URLS.test(route.url)) return;
    if (route.config?.permission === undefined) throw new Error(`${String(route.method)} ${route.url} declares no permission (config.permission)`);
    for (const method of [route.method].flat()) if (method !== 'HEAD') guarded.push({ method, url: route.url });
  });
  fastify.addHook('preHandler', async (request) => {
    const declared = request.routeOptions.config.permission;
    if (declared === undefined || declared === 'public') return;
    request.access = await authorize(request, services, typeof declared === 'function' ? declared(request) : declared);
  });
  return guarded;
}

/** The caller of a route that declared a permission. */
export function accessOf(request: FastifyRequest): RestAccess {
  if (!request.access) throw new Error(`${request.method} ${request.url}: no access checked`);
  return request.access;
}
