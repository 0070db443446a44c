/**
 * Usage as it changes, for watching dashboards: every lease and report moves a
 * key's counts, spend, last use or cooldown. The feed keeps the latest state
 * of each key touched and, every `intervalMs`, publishes what changed: one
 * event per brand (split to fit a NOTIFY), tenant-scoped like every event. So
 * a key changes on screen within about `intervalMs`, at most 1000/intervalMs
 * times a second, whatever the lease rate; on the lease path it costs a
 * Map.set (the key's view is read when the flush runs).
 *
 * Only the brands someone watches are published in full. Every instance
 * receives every event, so a feed of every brand would cost each instance
 * parsing every other instance's usage (K² with K instances), and a statement
 * per brand and flush, for dashboards that mostly are not open. An instance
 * whose subscriber is the brand's first says so on the same channel at once,
 * then every WATCH_REFRESH_MS while it has one; the others publish that brand
 * until they have not heard it for three refreshes. An instance that has just
 * (re)connected, and so may have missed an announcement, publishes every brand
 * until it has listened for one and a half refreshes. A cooldown a report or a
 * rest set is published whether or not anyone watches: other instances' copies
 * of the keys learn it from the feed (LeaseService.usageSeen).
 */
import type { EventBus } from '../../platform/events/event-bus.js';
import type { IntegrationView } from '../keys/index.js';

/** One key's usage as it stands (dates as ISO strings: the event travels as JSON). */
export interface KeyUsage {
  integrationId: number;
  providerName: string;
  minuteCount: number;
  dailyCount: number;
  spendToday: string;
  spendMonth: string;
  spendLimitExceeded: boolean;
  lastUsedAt: string | null;
  cooldownUntil: string | null;
  healthStatus: string;
  consecutiveFailures: number;
  probeDueAt: string | null;
  /** The instant the counts and spend are for (they reset at the next UTC minute, day and month). */
  asOf: string;
}

export interface UsageChanged {
  brandId: string;
  usages: KeyUsage[];
}

/** On the same channel: brands whose usage an instance's subscribers watch. */
export interface UsageWatched {
  watching: string[];
}

export type UsageMessage = UsageChanged | UsageWatched;

/** How often an instance says again which brands it watches; the others forget a brand not heard for three of these. */
export const WATCH_REFRESH_MS = 5000;

/** NOTIFY payloads stay under 8,000 bytes. */
const MAX_EVENT_BYTES = 7000;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function usageOf(v: IntegrationView): KeyUsage {
  return {
    integrationId: v.id, providerName: v.providerName, minuteCount: v.minuteCount, dailyCount: v.dailyCount, spendToday: v.spendToday,
    spendMonth: v.spendMonth, spendLimitExceeded: v.spendLimitExceeded, lastUsedAt: iso(v.lastUsedAt), cooldownUntil: iso(v.cooldownUntil),
    healthStatus: v.healthStatus, consecutiveFailures: v.consecutiveFailures, probeDueAt: iso(v.probeDueAt), asOf: v.asOf.toISOString(),
  };
}

interface Noted {
  view: () => IntegrationView;
  /** Noted by a lease: it moves counts only, never a cooldown (published only where watched). */
  lease: boolean;
}

export class UsageFeed {
  /** brand → key id → how to read its latest usage, since the last flush (read once, when the flush runs). */
  private pending = new Map<string, Map<number, Noted>>();
  private readonly timer: NodeJS.Timeout;
  private readonly refreshTimer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Subscribers here, per brand. */
  private readonly local = new Map<string, number>();
  /** Brands other instances watch, until when (this process's clock, ms). */
  private readonly remote = new Map<string, number>();
  /** Until then every brand is published (a bus that never says it listens, an in-process one, publishes every brand always). */
  private openUntil = Infinity;

  constructor(
    private readonly bus: EventBus<UsageMessage>,
    intervalMs: number,
    private readonly refreshMs = WATCH_REFRESH_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
    this.refreshTimer = setInterval(() => void this.announce([...this.local.keys()]), refreshMs);
    this.refreshTimer.unref();
  }

  /** A lease or report changed this key; `view` reads it as it stands (the flush asks it once, however many leases noted the key). */
  note(brandId: string, integrationId: number, view: () => IntegrationView, by: 'lease' | 'change' = 'change'): void {
    let keys = this.pending.get(brandId);
    if (!keys) this.pending.set(brandId, (keys = new Map()));
    const lease = by === 'lease' && (keys.get(integrationId)?.lease ?? true);
    keys.set(integrationId, { view, lease });
  }

  /** A subscriber here watches the brand's usage, until the returned function is called. */
  watch(brandId: string): () => void {
    const n = this.local.get(brandId) ?? 0;
    this.local.set(brandId, n + 1);
    if (n === 0) void this.announce([brandId]);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.local.get(brandId) ?? 1) - 1;
      if (left > 0) this.local.set(brandId, left);
      else this.local.delete(brandId);
    };
  }

  /** A message from the channel (any instance's): true when it was an announcement, taken in here, that no subscriber needs. */
  heard(message: UsageMessage): boolean {
    if (!('watching' in message)) return false;
    const until = this.now() + 3 * this.refreshMs;
    for (const brandId of message.watching) this.remote.set(brandId, until);
    return true;
  }

  /** The channel is listened to (again): announcements made meanwhile may be lost, so every brand is published for a while. */
  listening(): void {
    this.openUntil = this.now() + 1.5 * this.refreshMs;
    void this.announce([...this.local.keys()]);
  }

  /** Whether the brand's usage goes out in full. */
  watched(brandId: string): boolean {
    if (this.local.has(brandId) || this.now() < this.openUntil) return true;
    const until = this.remote.get(brandId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.remote.delete(brandId);
    return false;
  }

  /** Publishes what changed since the last flush (one flush at a time, in order). */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      for (const [brandId, keys] of batch) {
        const all = this.watched(brandId);
        const usages: KeyUsage[] = [];
        for (const noted of keys.values()) {
          if (!all && noted.lease) continue;
          const view = noted.view();
          if (all || view.cooldownUntil !== null) usages.push(usageOf(view));
        }
        for (const chunk of chunks(usages)) await this.bus.publish({ brandId, usages: chunk });
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.refreshTimer);
    await this.flush();
  }

  /** Says which brands are watched here (a few hundred to a message). */
  private async announce(brands: string[]): Promise<void> {
    try {
      for (let at = 0; at < brands.length; at += WATCHED_PER_MESSAGE) await this.bus.publish({ watching: brands.slice(at, at + WATCHED_PER_MESSAGE) });
    } catch {
      // A bus that cannot publish says so itself (PgNotifyEventBus logs it); the next refresh says it again.
    }
  }
}

/** Brand ids (36 characters, quoted) in one announcement: well under a NOTIFY's 8,000 bytes. */
const WATCHED_PER_MESSAGE = 150;

/** Usages in groups whose JSON fits one event. */
function chunks(usages: KeyUsage[]): KeyUsage[][] {
  const out: KeyUsage[][] = [];
  let current: KeyUsage[] = [];
  let bytes = 0;
  for (const usage of usages) {
    const size = JSON.stringify(usage).length + 1;
    if (current.length > 0 && bytes + size > MAX_EVENT_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(usage);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
