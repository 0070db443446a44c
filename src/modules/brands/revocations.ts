/**
 * Revoked credentials, known to every instance within a second: each revocation
 * is published on the event bus (PostgreSQL NOTIFY) and every instance keeps
 * the ids in memory, so checking one costs a set lookup, never a query. The
 * list is reloaded from the database whenever the bus (re)connects, so an
 * instance that missed a NOTIFY while disconnected catches up.
 */
import type { EventBus } from '../../platform/events/event-bus.js';

/** The NOTIFY channel revocations travel on. */
export const REVOCATIONS_CHANNEL = 'keypool_revocations';

export type Revocation =
  /** A client token, by jti: refused from now on. */
  | { kind: 'client_token'; id: string }
  /** A node credential revoked, or its secret rolled: every instance drops what it cached of it. */
  | { kind: 'node_credential'; id: string; reason: 'revoked' | 'rolled' };

export class RevocationList {
  private readonly revoked = new Set<string>();
  private readonly listeners = new Set<(revocation: Revocation) => void>();

  constructor(
    private readonly bus: EventBus<Revocation>,
    private readonly loadRevokedIds: () => Promise<string[]>,
  ) {
    bus.subscribe((revocation) => this.apply(revocation));
  }

  async reload(): Promise<void> {
    for (const id of await this.loadRevokedIds()) this.revoked.add(id);
  }

  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }

  /**
   * Takes effect here before this returns (so the caller's next request is
   * refused), and on every other instance when the event arrives. This
   * instance sees its own event again; applying a revocation twice is harmless.
   */
  async revoke(revocation: Revocation): Promise<void> {
    this.apply(revocation);
    await this.bus.publish(revocation);
  }

  /** For those that must act on a revocation (credential caches, open WebSockets). */
  subscribe(listener: (revocation: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(revocation: Revocation): void {
    if (revocation.kind === 'client_token') this.revoked.add(revocation.id);
    for (const listener of this.listeners) listener(revocation);
  }
}
