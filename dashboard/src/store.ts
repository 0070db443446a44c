/**
 * The dashboard's state: every key of the brand by id, the live event feed
 * (newest first, bounded), the providers. Changes are coalesced into one
 * render per animation frame, so a burst of events costs one render; each
 * key is replaced (never mutated), so unchanged rows skip rendering. Usage
 * arrives as patches (counts, spend, cooldown) newer than what is shown; the
 * minute, day and month windows roll over by the clock, at their boundary.
 */
import { useEffect, useState } from 'preact/hooks';
import type { DashboardUsageChangesSubscription, KeyFieldsFragment } from './generated/graphql';

export type Key = KeyFieldsFragment;
export type KeyUsage = DashboardUsageChangesSubscription['integrationUsageChanged'][number];

const MINUTE = 60_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** A key's counts and spend as they stand now: a window that has ended since `asOf` reads as 0 (UTC minutes, days, months). */
export function windowed(k: Key, now: number): {
  minuteCount: number; dailyCount: number; tokenMinuteCount: number; tokenDailyCount: number; spendToday: string; spendMonth: string;
} {
  const asOf = Date.parse(k.asOf);
  const sameDay = day(asOf) === day(now);
  const sameMinute = Math.floor(asOf / MINUTE) === Math.floor(now / MINUTE);
  return {
    minuteCount: sameMinute ? k.minuteCount : 0,
    dailyCount: sameDay ? k.dailyCount : 0,
    tokenMinuteCount: sameMinute ? k.tokenMinuteCount : 0,
    tokenDailyCount: sameDay ? k.tokenDailyCount : 0,
    spendToday: sameDay ? k.spendToday : '0',
    spendMonth: month(asOf) === month(now) ? k.spendMonth : '0',
  };
}

export interface FeedEvent {
  seq: number;
  at: string;
  kind: 'health' | 'spend' | 'key';
  integrationId: number;
  providerName: string;
  label: string;
  text: string;
  /** Words for the badge: HEALTHY, DEGRADED, UNHEALTHY, EXCEEDED, RE-ARMED, CREATED, … */
  tag: string;
}

export const MAX_EVENTS = 500;

export class Store {
  keys = new Map<number, Key>();
  events: FeedEvent[] = [];
  loaded = false;
  private seq = 0;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  private rollover: ReturnType<typeof setTimeout> | null = null;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replaceKeys(keys: Key[]): void {
    this.keys = new Map(keys.map((k) => [k.id, k]));
    this.loaded = true;
    this.armRollover();
    this.changed();
  }

  /** Usage changes, each applied when it is newer than what the key shows. */
  patchUsage(usages: readonly KeyUsage[]): void {
    let any = false;
    for (const { integrationId, ...usage } of usages) {
      const key = this.keys.get(integrationId);
      if (!key || Date.parse(usage.asOf) < Date.parse(key.asOf)) continue;
      this.keys.set(integrationId, { ...key, ...usage });
      any = true;
    }
    if (any) this.changed();
  }

  upsert(key: Key): void {
    this.keys.set(key.id, key);
    this.changed();
  }

  remove(id: number): void {
    this.keys.delete(id);
    this.changed();
  }

  /** The newest event id seen (live or fetched): after a reconnect, what came after it is fetched. */
  lastEventId: string | null = null;
  private readonly seenIds = new Set<string>();

  /** Adds an event to the feed; one with an id already shown is not shown twice. */
  addEvent(event: Omit<FeedEvent, 'seq'>, id?: string | null): void {
    if (id) {
      if (this.seenIds.has(id)) return;
      this.seenIds.add(id);
      if (this.lastEventId === null || BigInt(id) > BigInt(this.lastEventId)) this.lastEventId = id;
    }
    this.events = [{ ...event, seq: ++this.seq }, ...this.events.slice(0, MAX_EVENTS - 1)];
    this.changed();
  }

  /** Where following starts when no event has been seen yet. */
  startFollowingAt(id: string | null): void {
    if (this.lastEventId === null) this.lastEventId = id ?? '0';
  }

  clear(): void {
    if (this.rollover) clearTimeout(this.rollover);
    this.rollover = null;
    this.keys = new Map();
    this.events = [];
    this.lastEventId = null;
    this.seenIds.clear();
    this.loaded = false;
    this.changed();
  }

  /**
   * At each minute's end, a key whose shown counts or spend just ended with their window is
   * re-rendered (it reads 0 now); the others keep their object, so their rows are not drawn again.
   */
  private armRollover(since = Date.now()): void {
    if (this.rollover) clearTimeout(this.rollover);
    this.rollover = setTimeout(() => {
      const now = Date.now();
      let any = false;
      for (const [id, k] of this.keys) {
        // What its row shows: drawn at `asOf` at the earliest, and unchanged since the last rollover.
        const before = windowed(k, Math.max(since, Date.parse(k.asOf)));
        const after = windowed(k, now);
        if (before.minuteCount !== after.minuteCount || before.dailyCount !== after.dailyCount || before.spendToday !== after.spendToday || before.spendMonth !== after.spendMonth) {
          this.keys.set(id, { ...k });
          any = true;
        }
      }
      if (any) this.changed();
      this.armRollover(now);
    }, MINUTE - (Date.now() % MINUTE) + 50);
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}

export const store = new Store();

/** Re-renders the calling component after each (coalesced) store change. */
export function useStore(): Store {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), []);
  return store;
}

/** One shared one-second tick for countdowns. */
const tickers = new Set<() => void>();
setInterval(() => tickers.forEach((t) => t()), 1000);

export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    tickers.add(tick);
    return () => void tickers.delete(tick);
  }, [active]);
  return now;
}
