/**
 * Allowance claims: an instance counts leases against a key's minute and
 * daily limits by claiming a slice of them in one durable update (the claim
 * statement checks the room under the key's row lock, so the claims of every
 * instance together never pass a limit), then grants leases from the slice in
 * memory, without a database round trip.
 *
 * A slice is sized to the key's headroom and this instance's demand:
 * - a key whose limits are small (under 128 a minute, or 2,048 a day) claims
 *   one lease at a time, or two seconds of this instance's demand, at most a
 *   sixteenth of its minute limit, and gives back what it has not granted
 *   after a second without a lease, so a 30-RPM free key is never held
 *   idle by another instance;
 * - a roomy key (or one without limits) claims at least a quarter of its cap
 *   (16 of a key without limits; never under 4), up to two seconds of demand,
 *   at most 64, and keeps what it has not granted until the minute turns or ten
 *   seconds pass without a lease, so most leases of it never wait on the
 *   database. The floor is the cap's, not the demand's: with K instances each
 *   sees a K-th of a key's demand, and slices sized on demand alone would make
 *   K times the claims per lease; a quarter of the cap is at most a 64th of the
 *   key's minute limit, so a roomy key's slices never starve another instance.
 * - an ample key (no limits, or a minute limit of 16,384 and more and a daily one of 262,144 and
 *   more: the largest slice is at most a 256th of each) keeps its slice until the minute turns
 *   however long it sits idle: holding it costs the other instances next to nothing, and an
 *   instance that sees each of many keys only now and then would otherwise claim for nearly every
 *   lease.
 * A roomy key in use has its next slice claimed by the timer once its slice is down to a quarter
 * (or ended with its minute), so its leases keep being granted without a wait.
 * A slice belongs to the minute it was claimed in; when the minute turns, its
 * daily part goes back. At shutdown every slice goes back. An instance that
 * dies loses only its unused slices, until their windows end.
 *
 * A slice's day is its key's day in the key's reset zone: every method that names a key takes the
 * pool's time as that key's windows count it (selection.ts timeOf); idle and all find each slice's.
 */
import { effectiveLimits, type LimitFields } from './effective-limits.js';
import { timeOf } from './selection.js';
import type { PoolTime, ReturnItem } from './pool-input.js';

interface Slice {
  /** The UTC minute the slice was claimed in (epoch ms). */
  minute: number;
  day: string;
  left: number;
  lastUse: number;
  /** The key's limits (as enforced) when the slice was claimed: whether it is tight or ample, and whether it is outdated. */
  limits: Enforced;
  /** The zone the key's days turn in (its slice's daily part belongs to its day there). */
  zone: string | undefined;
}

/** The largest slice, and the smallest one of a roomy key (a quarter of its cap when that is more). */
const MAX_SLICE = 64;
const ROOMY_SLICE = 4;
/** Seconds of this instance's demand a slice covers. */
const SLICE_SECONDS = 2;
/** How long a small key's unused slice stays without a lease before it goes back. */
const IDLE_MS = 1000;
/** And a roomy key's (so many instances never sit on a mid-sized key's allowance for a whole minute). */
const ROOMY_IDLE_MS = 10_000;

/** Limits of which the largest slice is at most a 256th (a minute's) or a 4,096th (a day's). */
const AMPLE_MINUTE = 256 * MAX_SLICE;
const AMPLE_DAY = 4096 * MAX_SLICE;

type Enforced = ReturnType<typeof effectiveLimits>;

/** The most one claim of the key may ask for: a sixteenth of its minute limit, a 256th of its daily one (as enforced), at most 64; at least 1. */
export function sliceCap(k: LimitFields): number {
  return capOf(effectiveLimits(k));
}

function capOf(limits: Enforced): number {
  let cap = MAX_SLICE;
  if (limits.minute !== null) cap = Math.min(cap, Math.floor(limits.minute / 16));
  if (limits.day !== null) cap = Math.min(cap, Math.floor(limits.day / 256));
  return Math.max(1, cap);
}

/** A key with small limits: claimed a lease or a few at a time, its unused slice given back when idle for a second. */
const tight = (limits: Enforced) => capOf(limits) < 2 * ROOMY_SLICE;

/** Whether holding the key's slice idle until its minute ends costs the other instances next to nothing (see above). */
const ample = (limits: Enforced) => (limits.minute === null || limits.minute >= AMPLE_MINUTE) && (limits.day === null || limits.day >= AMPLE_DAY);

export class Allowance {
  private readonly slices = new Map<number, Slice>();
  /** Slices replaced by a newer minute's, to give back at the next tick. */
  private readonly stale: ReturnItem[] = [];
  /** Leases per key in the current and the previous second (a sliding estimate of this instance's demand). */
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

  /** How many leases to claim for the key now (the one wanted included). */
  sliceSize(integrationId: number, limits: LimitFields, at = performance.now()): number {
    const cap = sliceCap(limits);
    const demand = Math.ceil(this.demand(integrationId, at) * SLICE_SECONDS);
    const floor = cap >= 2 * ROOMY_SLICE ? Math.max(ROOMY_SLICE, Math.floor(cap / 4)) : 1;
    return Math.max(1, Math.min(cap, Math.max(floor, demand)));
  }

  /**
   * How many leases to claim for the key ahead of its next lease (0: none): a roomy key whose
   * slice was leased from within the time a roomy slice is kept idle, and is down to a quarter of
   * the claim the key would make now, or ended with its minute. The timer claims them (before it
   * gives back slices of a past minute), so a key in use keeps being leased from memory; a small
   * key never is (its allowance stays free for other instances).
   */
  refill(integrationId: number, limits: LimitFields, t: PoolTime, at = performance.now()): number {
    const slice = this.slices.get(integrationId);
    if (!slice || tight(slice.limits) || at - slice.lastUse >= ROOMY_IDLE_MS || tight(effectiveLimits(limits))) return 0;
    const size = this.sliceSize(integrationId, limits, at);
    return this.held(integrationId, t) * 4 <= size ? size : 0;
  }

  /**
   * Whether the key's limits changed since its slice was claimed (set anew, or stated by its
   * provider): what the slice holds was counted against the old ones, so it goes back and the next
   * lease claims under the new ones (a limit lowered mid-minute is not passed by leases of a slice).
   */
  outdated(integrationId: number, k: LimitFields): boolean {
    const slice = this.slices.get(integrationId);
    if (!slice) return false;
    const enforced = effectiveLimits(k);
    return enforced.minute !== slice.limits.minute || enforced.day !== slice.limits.day;
  }

  /** Whether the key's slice belongs to a minute (or day) that has ended. */
  outlived(integrationId: number, t: PoolTime): boolean {
    const slice = this.slices.get(integrationId);
    return slice !== undefined && (slice.minute !== t.minuteStart.getTime() || slice.day !== t.today);
  }

  /** The keys this instance holds a slice of (refill's candidates). */
  inUse(): number[] {
    return [...this.slices.keys()];
  }

  /** Leases a claim got beyond the one it was made for: held for the next leases of the key in this minute. */
  hold(integrationId: number, n: number, limits: LimitFields & { dailyResetZone?: string }, t: PoolTime, at = performance.now()): void {
    const enforced = effectiveLimits(limits);
    const slice = this.slices.get(integrationId);
    if (slice && slice.minute === t.minuteStart.getTime() && slice.day === t.today) {
      slice.left += n;
      slice.lastUse = at;
      slice.limits = enforced;
    } else {
      // An older slice is of a past minute: the next tick gives its daily part back.
      if (slice && slice.left > 0) this.stale.push(...this.returnOf(integrationId, slice, t));
      this.slices.set(integrationId, { minute: t.minuteStart.getTime(), day: t.today, left: n, lastUse: at, limits: enforced, zone: limits.dailyResetZone });
    }
  }

  /** Notes a lease granted by a claim (slices are sized on demand). */
  claimed(integrationId: number, at = performance.now()): void {
    this.noteDemand(integrationId, at);
  }

  /** Forgets the key's slice (the key is gone, or cannot be leased): what it held goes back. */
  drop(integrationId: number, t: PoolTime): ReturnItem[] {
    const slice = this.slices.get(integrationId);
    this.slices.delete(integrationId);
    this.recent.delete(integrationId);
    return slice && slice.left > 0 ? this.returnOf(integrationId, slice, t) : [];
  }

  /**
   * What goes back now: small keys' slices idle for a second, roomy keys' idle for ten (ample keys' only with their minute), and slices
   * of a past minute of the keys `due` now (the timer spreads those over its ticks, so the turn of a
   * minute is not one batch of every key in use; a lease meanwhile claims the new minute's itself).
   */
  idle(pool: PoolTime, at = performance.now(), due: (integrationId: number) => boolean = () => true): ReturnItem[] {
    const back: ReturnItem[] = this.stale.splice(0);
    for (const [id, slice] of this.slices) {
      const t = timeOf({ dailyResetZone: slice.zone }, pool);
      const current = slice.minute === t.minuteStart.getTime() && slice.day === t.today;
      if (current && (ample(slice.limits) || at - slice.lastUse < (tight(slice.limits) ? IDLE_MS : ROOMY_IDLE_MS))) continue;
      if (!current && !due(id)) continue;
      this.slices.delete(id);
      if (slice.left > 0) back.push(...this.returnOf(id, slice, t));
    }
    for (const [id, rate] of this.recent) if (at - rate.start > 2000) this.recent.delete(id);
    return back;
  }

  /** Every slice, given back (shutdown). */
  all(pool: PoolTime): ReturnItem[] {
    const back = [...this.stale.splice(0)];
    for (const [id, slice] of this.slices) if (slice.left > 0) back.push(...this.returnOf(id, slice, timeOf({ dailyResetZone: slice.zone }, pool)));
    this.slices.clear();
    return back;
  }

  /** What of a slice can still go back at `t`: its minute's part while that minute lasts, its daily part while that day lasts. */
  private returnOf(integrationId: number, slice: Slice, t: PoolTime): ReturnItem[] {
    if (slice.day !== t.today) return [];
    const sameMinute = slice.minute === t.minuteStart.getTime();
    return [{ integrationId, minute: new Date(slice.minute), minuteN: sameMinute ? slice.left : 0, day: slice.day, dayN: slice.left }];
  }

  private noteDemand(integrationId: number, at: number): void {
    this.roll(integrationId, at).current++;
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
