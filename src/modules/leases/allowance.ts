/**
 * Allowance claims: an instance counts leases against a key's minute and
 * daily limits by claiming a slice of them in one durable update (the claim
 * statement checks the room under the key's row lock, so the claims of every
 * instance together never pass a limit), then grants leases from the slice in
 * memory. A slice is sized to this instance's recent demand for the key —
 * one lease at a time until the key is busy here (8 leases a second), then a
 * quarter of a second of demand, never more than an eighth of a minute limit
 * or a 64th of a daily one, so a small free-tier allowance is never parked on
 * an idle instance. A slice belongs to the minute it was claimed in; what is
 * left of it goes back when the key has been idle here for 250 ms, when the
 * minute turns (then only its daily part), and at shutdown. An instance that
 * dies loses only its unused slices, until their windows end.
 *
 * A key's minute_count and daily_count therefore count claimed allowance: the
 * leases granted plus, while a busy key's slice is held, its unused part (at
 * most a quarter of a second of one instance's demand for that key).
 */
import type { PoolTime } from './selection.js';
import type { ReleaseItem } from './lease.repository.js';

interface Slice {
  /** The UTC minute the slice was claimed in (epoch ms). */
  minute: number;
  day: string;
  left: number;
  lastUse: number;
}

/** Limits of a key, as slice sizing reads them. */
export interface KeyLimits {
  minuteLimit?: number | null;
  dailyLimit?: number | null;
}

/** How much of a second of demand a slice holds, and the demand below which a slice is one lease. */
const SLICE_SECONDS = 0.25;
const BUSY_PER_SECOND = 8;
/** Slices of keys without limits (their counts are only shown) stay small enough to keep the counts near the truth. */
const UNLIMITED_CAP = 256;
const IDLE_MS = 250;

export class Allowance {
  private readonly slices = new Map<number, Slice>();
  /** Slices replaced by a newer minute's, to give back at the next tick. */
  private readonly stale: ReleaseItem[] = [];
  /** Leases per key in the current and the previous second (a sliding estimate of the rate). */
  private readonly recent = new Map<number, Rate>();

  /** Leases this instance may still grant for the key in the current minute. */
  held(integrationId: number, t: PoolTime): number {
    const slice = this.slices.get(integrationId);
    return slice && slice.minute === t.minuteStart.getTime() && slice.day === t.today ? slice.left : 0;
  }

  /** Grants one lease from the held slice; false when there is none. */
  take(integrationId: number, t: PoolTime, at = performance.now()): boolean {
    if (this.held(integrationId, t) === 0) return false;
    const slice = this.slices.get(integrationId)!;
    slice.left--;
    slice.lastUse = at;
    this.noteDemand(integrationId, at);
    return true;
  }

  /** How many leases to claim for the key now: one until it is busy here, then a quarter of a second of demand, capped by its limits. */
  sliceSize(integrationId: number, limits: KeyLimits, at = performance.now()): number {
    const demand = this.demand(integrationId, at);
    if (demand < BUSY_PER_SECOND) return 1;
    const caps = [UNLIMITED_CAP];
    if (limits.minuteLimit !== null && limits.minuteLimit !== undefined) caps.push(Math.floor(limits.minuteLimit / 8));
    if (limits.dailyLimit !== null && limits.dailyLimit !== undefined) caps.push(Math.floor(limits.dailyLimit / 64));
    return Math.max(1, Math.min(Math.ceil(demand * SLICE_SECONDS), ...caps));
  }

  /** Leases a claim got beyond the ones it was made for: held for the next leases of the key in this minute. */
  hold(integrationId: number, n: number, t: PoolTime, at = performance.now()): void {
    const slice = this.slices.get(integrationId);
    if (slice && slice.minute === t.minuteStart.getTime() && slice.day === t.today) {
      slice.left += n;
      slice.lastUse = at;
    } else {
      // An older slice is of a past minute: the release tick gives its daily part back.
      if (slice && slice.left > 0) this.stale.push(this.releaseOf(integrationId, slice, t));
      this.slices.set(integrationId, { minute: t.minuteStart.getTime(), day: t.today, left: n, lastUse: at });
    }
  }

  /** Notes a lease granted by a claim (slices are sized on demand). */
  claimed(integrationId: number, at = performance.now()): void {
    this.noteDemand(integrationId, at);
  }

  /** Forgets the key's slice (the key is gone, or cannot be leased): what it held goes back. */
  drop(integrationId: number, t: PoolTime): ReleaseItem[] {
    const slice = this.slices.get(integrationId);
    this.slices.delete(integrationId);
    this.recent.delete(integrationId);
    return slice && slice.left > 0 ? [this.releaseOf(integrationId, slice, t)] : [];
  }

  /** The slices to give back now: of a past minute, or idle for 250 ms. */
  idle(t: PoolTime, at = performance.now()): ReleaseItem[] {
    const back: ReleaseItem[] = this.stale.splice(0);
    for (const [id, slice] of this.slices) {
      if (slice.minute === t.minuteStart.getTime() && at - slice.lastUse < IDLE_MS) continue;
      this.slices.delete(id);
      if (slice.left > 0) back.push(this.releaseOf(id, slice, t));
    }
    for (const [id, rate] of this.recent) if (at - rate.start > 2 * IDLE_MS) this.recent.delete(id);
    return back;
  }

  /** Every slice, given back (shutdown). */
  all(t: PoolTime): ReleaseItem[] {
    const back = [...this.stale.splice(0), ...[...this.slices].filter(([, s]) => s.left > 0).map(([id, s]) => this.releaseOf(id, s, t))];
    this.slices.clear();
    return back;
  }

  private releaseOf(integrationId: number, slice: Slice, t: PoolTime): ReleaseItem {
    const sameMinute = slice.minute === t.minuteStart.getTime();
    return { integrationId, n: slice.left, minuteN: sameMinute ? slice.left : 0, minuteStart: new Date(slice.minute), day: slice.day };
  }

  private noteDemand(integrationId: number, at: number): void {
    const rate = this.roll(integrationId, at);
    rate.current++;
  }

  /** Leases of the key per second here: this second's count plus the previous second's share of the last 1,000 ms. */
  private demand(integrationId: number, at: number): number {
    const rate = this.roll(integrationId, at);
    return rate.current + rate.previous * (1 - (at - rate.start) / 1000);
  }

  private roll(integrationId: number, at: number): Rate {
    let rate = this.recent.get(integrationId);
    if (!rate) this.recent.set(integrationId, (rate = { start: at, current: 0, previous: 0 }));
    if (at - rate.start >= 1000) {
      const seconds = Math.floor((at - rate.start) / 1000);
      rate.previous = seconds === 1 ? rate.current : 0;
      rate.current = 0;
      rate.start += seconds * 1000;
    }
    return rate;
  }
}

interface Rate {
  start: number;
  current: number;
  previous: number;
}
