/**
 * Usage as it changes, for watching dashboards: every lease and report moves a
 * key's counts, spend, last use or cooldown. The feed keeps the latest state
 * of each key touched and, every `intervalMs`, publishes what changed: one
 * event per brand (split to fit a NOTIFY), tenant-scoped like every event. So
 * a key changes on screen within about `intervalMs`, at most 1000/intervalMs
 * times a second, whatever the lease rate; on the lease path it costs a
 * Map.set (the key's view is read when the flush runs).
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

export class UsageFeed {
  /** brand → key id → how to read its latest usage, since the last flush (read once, when the flush runs). */
  private pending = new Map<string, Map<number, () => IntegrationView>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: EventBus<UsageChanged>,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** A lease or report changed this key; `view` reads it as it stands (the flush asks it once, however many leases noted the key). */
  note(brandId: string, integrationId: number, view: () => IntegrationView): void {
    let keys = this.pending.get(brandId);
    if (!keys) this.pending.set(brandId, (keys = new Map()));
    keys.set(integrationId, view);
  }

  /** Publishes what changed since the last flush (one flush at a time, in order). */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      for (const [brandId, keys] of batch) {
        for (const usages of chunks([...keys.values()].map((view) => usageOf(view())))) await this.bus.publish({ brandId, usages });
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

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
