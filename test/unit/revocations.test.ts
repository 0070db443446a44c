import { describe, expect, it } from 'vitest';
import { RevocationList, type Revocation } from '../../src/modules/brands/revocations.js';
import type { EventBus } from '../../src/platform/events/event-bus.js';

/** A bus like PostgreSQL NOTIFY: what is published arrives later, when `deliver` is called. */
class DeferredBus implements EventBus<Revocation> {
  private readonly listeners = new Set<(r: Revocation) => void>();
  readonly pending: Revocation[] = [];
  subscribe(listener: (r: Revocation) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async publish(r: Revocation) {
    this.pending.push(r);
  }
  async close() {}
  deliver() {
    for (const r of this.pending.splice(0)) for (const l of this.listeners) l(r);
  }
}

describe('RevocationList', () => {
  it('tells its own listeners before revoke returns, without waiting for the bus', async () => {
    const bus = new DeferredBus();
    const list = new RevocationList(bus, async () => []);
    const seen: string[] = [];
    list.subscribe((r) => seen.push(r.id));
    await list.revoke({ kind: 'node_credential', id: 'c1', reason: 'revoked' });
    await list.revoke({ kind: 'client_token', id: 't1' });
    expect(seen).toEqual(['c1', 't1']);
    expect(list.isRevoked('t1')).toBe(true);
    expect(bus.pending).toHaveLength(2); // still published for the other instances
  });

  it('applies a revocation published by another instance when the bus delivers it', async () => {
    const bus = new DeferredBus();
    const list = new RevocationList(bus, async () => []);
    const seen: string[] = [];
    const stop = list.subscribe((r) => seen.push(r.id));
    bus.pending.push({ kind: 'client_token', id: 't2' });
    expect(list.isRevoked('t2')).toBe(false);
    bus.deliver();
    expect(list.isRevoked('t2')).toBe(true);
    expect(seen).toEqual(['t2']);
    stop();
    bus.pending.push({ kind: 'client_token', id: 't3' });
    bus.deliver();
    expect(seen).toEqual(['t2']);
  });
});
