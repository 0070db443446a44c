/**
 * Billing sync: each instance claims due keys (a claim column set under
 * FOR UPDATE SKIP LOCKED, so N instances never sync one key at once), asks
 * the provider's billing API with at most `concurrency` requests in flight,
 * writes balance and usage, and judges the key's spend limit in the same
 * statement. Keys of providers without a billing API are synced from
 * keypool's own spend in one statement per tick. Provider errors back off
 * exponentially per key and show on the key as billing_error, never as health.
 */
import type { EnvReferences } from '../keys/index.js';
import type { BillingConfig } from './billing-settings.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { toDate } from '../../platform/time/dates.js';
import {
  resolveDocument, spendUsage, toIntegrationView,
  type BillingClaim, type BillingFigures, type CredentialVault, type IntegrationEvent, type IntegrationRecord, type IntegrationRepository, type IntegrationView,
} from '../keys/index.js';
import { BillingError, billingAdapters, type BillingAdapter } from './billing-adapters.js';
import type { AuditLog } from '../audit/index.js';

/** A second on-demand sync within this time answers from the first instead of calling the provider again. */
export const FRESH_MS = 10_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 3_600_000;
const LOCAL_BATCH = 1000;

const notFound = () => new AppError('integration.not_found', 'Integration not found');

export class BillingSync {
  private readonly adapters: ReadonlyMap<string, BillingAdapter>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly integrations: IntegrationRepository,
    private readonly vault: CredentialVault,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly config: BillingConfig,
    private readonly env: EnvReferences,
    adapters?: ReadonlyMap<string, BillingAdapter>,
    private readonly warn: (message: string, error?: unknown) => void = () => {},
    /** The sync interval's jitter draws, in [0, 1): Math.random unless a test fixes it. */
    private readonly random: () => number = Math.random,
    /** Where a sync asked for by hand is recorded. */
    private readonly audit: Pick<AuditLog, 'record'> | null = null,
  ) {
    this.adapters = adapters ?? billingAdapters(config);
  }

  /** One tick: local keys in one statement, then as many remote keys as there is room for in flight. */
  async syncDue(): Promise<void> {
    await this.syncLocalDue();
    const room = this.config.concurrency - this.inFlight.size;
    if (room <= 0) return;
    for (const row of await this.claimDue(room)) this.track(this.syncClaimed(row));
  }

  /** Waits for the syncs in flight, at most `ms`. */
  async drain(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, ms).unref())]);
  }

  get running(): number {
    return this.inFlight.size;
  }

  /** On demand: syncs one key of the brand now (or returns the sync of the last 10 s) and answers the key as it stands. */
  async syncNow(brandId: string, id: number): Promise<IntegrationView> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw notFound();
    for (;;) {
      const now = this.clock.now();
      const key = await this.loadKey(brandId, id);
      const last = Math.max(toDate(key.billingSyncedAt)?.getTime() ?? 0, toDate(key.billingErrorAt)?.getTime() ?? 0);
      if (key.keyless || now.getTime() - last < FRESH_MS) return toIntegrationView(key, now);
      const claimed = await this.integrations.claimForBilling({ onlyId: id }, 1, now, this.claimEnd(now));
      if (claimed.length === 1) {
        await this.syncClaimed(claimed[0]);
        await this.audit?.record(this.integrations.pool, { brandId, resource: 'integration', resourceId: String(id), action: 'billing_synced' });
        return toIntegrationView(await this.loadKey(brandId, id), this.clock.now());
      }
      // Another instance (or call) is syncing it: wait for its result.
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One key of the brand as stored; 404 when it is not there (or is another brand's). */
  private async loadKey(brandId: string, id: number): Promise<IntegrationRecord> {
    const key = await this.integrations.find(brandId, id);
    if (!key) throw notFound();
    return key;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private nextSyncAt(now: Date): Date {
    const jitter = 0.9 + this.random() * 0.2;
    return new Date(now.getTime() + this.config.intervalMs * jitter);
  }

  /** A claim outlives the provider's timeout, so a sync in flight is never claimed twice. */
  private claimEnd(now: Date): Date {
    return new Date(now.getTime() + this.config.timeoutMs * 2);
  }

  private async claimDue(count: number): Promise<BillingClaim[]> {
    const now = this.clock.now();
    return this.integrations.claimForBilling({ due: [...this.adapters.keys()] }, count, now, this.claimEnd(now));
  }

  /** Keys without a billing API: their figures are keypool's own spend; one statement for a whole batch. */
  private async syncLocalDue(): Promise<void> {
    await this.integrations.syncFromOwnSpend([...this.adapters.keys()], this.clock.now(), this.config.intervalMs, LOCAL_BATCH);
  }

  private async syncClaimed(claim: BillingClaim): Promise<void> {
    const adapter = this.adapters.get(claim.providerName);
    if (!adapter) return;
    let credentials: Record<string, unknown>;
    try {
      const resolved = resolveDocument(this.vault.open(claim.credentialsEncrypted), this.env.lookup);
      if ('unset' in resolved) throw new BillingError(`environment variable ${resolved.unset} is unset`);
      credentials = resolved.credentials;
    } catch (e) {
      await this.writeFailure(claim, e instanceof BillingError ? e.message : 'billing sync failed: the credential cannot be decrypted', null).catch(() => {});
      return;
    }
    try {
      await this.writeFigures(claim, await adapter(credentials, AbortSignal.timeout(this.config.timeoutMs)));
    } catch (e) {
      if (!(e instanceof BillingError)) this.warn('billing sync: the provider\'s figures could not be stored', e);
      const message = e instanceof BillingError ? e.message : 'billing sync failed: the provider\'s figures could not be stored';
      await this.writeFailure(claim, message, e instanceof BillingError ? e.retryAfterMs : null).catch(() => {});
    }
  }

  private async writeFigures(claim: BillingClaim, figures: BillingFigures): Promise<void> {
    const now = this.clock.now();
    const after = await this.integrations.writeBillingFigures(claim.id, figures, now, this.nextSyncAt(now));
    if (after) await this.publishChanges(claim, after, now);
  }

  private async writeFailure(claim: BillingClaim, message: string, retryAfterMs: number | null): Promise<void> {
    const now = this.clock.now();
    const backoff = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(claim.billingFailures, 20), BACKOFF_MAX_MS);
    await this.integrations.writeBillingFailure(claim.id, message, now, new Date(now.getTime() + Math.max(backoff, retryAfterMs ?? 0)));
  }

  private async publishChanges(before: BillingClaim, after: IntegrationRecord, at: Date): Promise<void> {
    const view = toIntegrationView(after, at);
    const brandId = before.brandId;
    if (before.spendLimitExceeded !== after.spendLimitExceeded) {
      await this.events.publish({
        type: 'integration.spend_limit_changed', brandId, integration: view, at, exceeded: after.spendLimitExceeded,
        previousExceeded: before.spendLimitExceeded, action: view.spendLimitAction, amount: view.spendLimitAmount, period: view.spendLimitPeriod,
        usage: spendUsage(view),
      });
    }
    if (before.outOfCreditsAt !== null && (after.outOfCreditsAt ?? null) === null) {
      await this.events.publish({ type: 'integration.changed', brandId, integration: view, kind: 'UPDATED', at });
    }
  }
}
