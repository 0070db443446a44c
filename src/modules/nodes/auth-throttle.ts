/**
 * Failed secrets, counted per credential (api_key) and per client address.
 * After a few free failures each further one closes that key for a while,
 * doubling up to a cap; while it is closed every attempt is refused, the right
 * secret too, and once it opens the right secret works (and clears the
 * credential's count). An address gets more free failures than a credential:
 * many callers can share one. Counts are kept per instance, bounded in number,
 * and forgotten after a quiet period. Time comes from the injected clock.
 */
import type { Clock } from '../../platform/time/clock.js';

export interface ThrottleSettings {
  /** Failures allowed before the first wait, per credential and per address. */
  freeFailures: { credential: number; address: number };
  baseMs: number;
  maxMs: number;
  /** A key with no failure for this long starts again from zero. */
  forgetAfterMs: number;
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  freeFailures: { credential: 5, address: 20 },
  baseMs: 1000,
  maxMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxEntries: 100_000,
};

interface Entry {
  failures: number;
  closedUntilMs: number;
  lastFailureMs: number;
}

export type ThrottleKey = { credential: string } | { address: string };

const keyOf = (k: ThrottleKey) => ('credential' in k ? `c:${k.credential}` : `a:${k.address}`);
const freeOf = (k: ThrottleKey, s: ThrottleSettings) => ('credential' in k ? s.freeFailures.credential : s.freeFailures.address);

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  /** Since start: failed secrets, and attempts refused because their key was closed (for /metrics). */
  readonly counts = { failures: 0, throttled: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
  ) {}

  /** How long until these keys may try again; 0 when they may now (an attempt refused for it is counted). */
  waitMs(keys: ThrottleKey[]): number {
    const now = this.clock.now().getTime();
    let wait = 0;
    for (const k of keys) {
      const entry = this.entries.get(keyOf(k));
      if (entry) wait = Math.max(wait, entry.closedUntilMs - now);
    }
    if (wait > 0) this.counts.throttled++;
    return Math.max(0, wait);
  }

  failed(keys: ThrottleKey[]): void {
    const now = this.clock.now().getTime();
    this.counts.failures++;
    for (const k of keys) {
      const id = keyOf(k);
      const known = this.entries.get(id);
      const entry = known && now - known.lastFailureMs < this.settings.forgetAfterMs ? known : { failures: 0, closedUntilMs: 0, lastFailureMs: now };
      entry.failures++;
      entry.lastFailureMs = now;
      const over = entry.failures - freeOf(k, this.settings);
      if (over > 0) entry.closedUntilMs = now + Math.min(this.settings.baseMs * 2 ** Math.min(over - 1, 30), this.settings.maxMs);
      // Re-inserted, so the map's order is by last failure and the oldest goes first.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    while (this.entries.size > this.settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The right secret: the credential starts again from zero (its address keeps its count). */
  succeeded(key: ThrottleKey): void {
    this.entries.delete(keyOf(key));
  }
}
