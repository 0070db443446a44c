/**
 * Who is making the change a request makes, wherever the change is written: each HTTP request
 * runs in its own scope (AsyncLocalStorage), the transport notes its principal there once it has
 * authenticated it, and every transaction the request opens hands the actor to PostgreSQL
 * (`keypool.actor`, transaction-local), where the audit trail's triggers read it. Work outside a
 * request (the scheduler, the CLI) has no actor and is recorded as the system's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './principal.js';

/** Who changed something, as the audit trail records it (never a secret: ids and labels only). */
export interface Actor {
  kind: 'admin' | 'brand_token' | 'node_credential' | 'system';
  /** The client token's id, the node credential's id; null for the admin and the system. */
  id: string | null;
  /** The node a credential belongs to. */
  nodeId?: string;
  ip: string | null;
  userAgent: string | null;
}

interface RequestScope {
  ip: string | null;
  userAgent: string | null;
  principal: Principal | null;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** Runs `work` (and everything it starts) as one request from `origin`. */
export function runAsRequest<T>(origin: { ip: string | null; userAgent: string | null }, work: () => T): T {
  return scopes.run({ ...origin, principal: null }, work);
}

/** The request in scope acts as `principal` from now on. */
export function noteActingPrincipal(principal: Principal): void {
  const scope = scopes.getStore();
  if (scope) scope.principal = principal;
}

/** The actor of the request in scope; null outside a request or before it authenticated. */
export function currentActor(): Actor | null {
  const scope = scopes.getStore();
  if (!scope?.principal) return null;
  const { principal, ip, userAgent } = scope;
  switch (principal.kind) {
    case 'admin': return { kind: 'admin', id: null, ip, userAgent };
    case 'brand': return { kind: 'brand_token', id: principal.tokenId, ip, userAgent };
    case 'node': return { kind: 'node_credential', id: principal.credentialId, nodeId: principal.nodeId, ip, userAgent };
  }
}

/** The statement that hands the actor in scope to the transaction just begun, or null when there is none. */
export function actorStatement(escapeLiteral: (value: string) => string): string | null {
  const actor = currentActor();
  return actor ? `select set_config('keypool.actor', ${escapeLiteral(JSON.stringify(actor))}, true)` : null;
}
