/**
 * The background work of one instance, on a timer and never on a request
 * path: billing sync of due keys, spend flags re-armed when their period
 * ends (with the event), reported-lease ids purged once their leases
 * expired (every minute), usage ledger days and event history pruned past
 * their retention (hourly).
 * Every step is safe to run on any number of instances at once.
 */
import type { BackgroundSettings } from './billing-settings.js';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { timeOrderedUuidFloor } from '../../platform/crypto/time-ordered-uuid.js';
import { spendUsage, toIntegrationView, utcDay, type IntegrationEvent, type IntegrationRepository } from '../keys/index.js';
import type { BillingSync } from './billing-sync.js';

const PRUNE_EVERY_MS = 3_600_000;
/** Reported lease ids are pruned every minute: a deployment taking 2,000 reports a second adds 120,000 a minute. */
const PRUNE_REPORTED_EVERY_MS = 60_000;

export class BackgroundWork {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastPrune = 0;
  private lastReportedPrune = 0;

  constructor(
    private readonly pool: SqlPool,
    private readonly integrations: IntegrationRepository,
    private readonly billing: BillingSync,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly config: BackgroundSettings,
    private readonly log: (message: string, error: unknown) => void,
    /** What is kept for a number of days (event history, audit trail, alert deliveries), pruned hourly. */
    private readonly retained: readonly { retentionDays: number; prune(olderThan: Date): Promise<void> }[] = [],
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.config.billing.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for the tick and the syncs in flight, at most `ms`. */
  async stop(ms = 5000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.race([this.ticking, new Promise((r) => setTimeout(r, ms).unref())]);
    await this.billing.drain(ms);
  }

  /** One round of everything; a tick still running is not started twice. */
  tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const step = async (name: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (e) {
        this.log(`background ${name} failed; it runs again next tick`, e);
      }
    };
    await step('spend re-arm', () => this.rearmSpendLimits());
    if (this.config.billing.enabled) await step('billing sync', () => this.billing.syncDue());
    const now = this.clock.now().getTime();
    if (now - this.lastReportedPrune >= PRUNE_REPORTED_EVERY_MS) {
      this.lastReportedPrune = now;
      await step('pruning reported leases', () => this.pruneReportedLeases());
    }
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await step('pruning', () => this.prune());
    }
  }

  /** A spend flag of a period that has ended flips back, once, with its event. */
  async rearmSpendLimits(): Promise<void> {
    const now = this.clock.now();
    for (const record of await this.integrations.rearmSpendLimits(now)) {
      const view = toIntegrationView(record, now);
      await this.events.publish({
        type: 'integration.spend_limit_changed', brandId: record.brandId, integration: view, at: now, exceeded: false, previousExceeded: true,
        action: view.spendLimitAction, amount: view.spendLimitAmount, period: view.spendLimitPeriod, usage: spendUsage(view),
      });
    }
  }

  /** When a reported lease's id is no longer needed: twice the lease TTL after it was reported (a report comes before the lease expires). */
  private reportedLeaseCutoff(): Date {
    return new Date(this.clock.now().getTime() - 2 * this.config.leaseTtlSeconds * 1000);
  }

  /**
   * The ids of leases reported long enough ago, found by the id's own time (lease ids are
   * time-ordered, and a lease is reported after it is issued): the index leads to exactly the rows
   * to delete, a minute's worth, where the report time alone would scan the whole table. Ids of
   * leases issued before ids were time-ordered are left to the hourly prune.
   */
  async pruneReportedLeases(): Promise<void> {
    const cutoff = this.reportedLeaseCutoff();
    await this.pool.query('delete from reported_lease where lease_id < $1::uuid and reported_at < $2', [timeOrderedUuidFloor(cutoff.getTime()), cutoff]);
  }

  async prune(): Promise<void> {
    const now = this.clock.now();
    await this.pool.query('delete from reported_lease where reported_at < $1', [this.reportedLeaseCutoff()]);
    const oldest = new Date(Date.parse(`${utcDay(now)}T00:00:00Z`) - this.config.usageRetentionDays * 86_400_000).toISOString().slice(0, 10);
    await this.pool.query('delete from usage_daily where day < $1::date', [oldest]);
    for (const kept of this.retained) await kept.prune(new Date(now.getTime() - kept.retentionDays * 86_400_000));
  }
}
