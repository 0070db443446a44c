/**
 * Billing sync: each instance claims due keys (a claim column set under
 * FOR UPDATE SKIP LOCKED, so N instances never sync one key at once), asks
 * the provider's billing API with at most `concurrency` requests in flight,
 * writes balance and usage, and judges the key's spend limit in the same
 * statement. Keys of providers without a billing API are synced from
 * keypool's own spend in one statement per tick. Provider errors back off
 * exponentially per key and show on the key as billing_error, never as health.
 */
import type { BillingConfig, EnvReferences } from '../../config/config.js';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import {
  integrationFromRow, resolveDocument, spendPeriodKey, spendUsage, toIntegrationView, utcDay, utcMonthStart,
  type CredentialVault, type IntegrationEvent, type IntegrationView,
} from '../integrations/index.js';
import { BillingError, billingAdapters, type BillingAdapter, type BillingFigures } from './billing-adapters.js';

/** A second on-demand sync within this time answers from the first instead of calling the provider again. */
export const FRESH_MS = 10_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 3_600_000;
const LOCAL_BATCH = 1000;

interface ClaimedRow {
  id: number;
  brand_id: string;
  provider_name: string;
  credentials_encrypted: string;
  billing_failures: number;
  spend_limit_exceeded: boolean;
  out_of_credits_at: Date | null;
}

const notFound = () => new AppError('integration.not_found', 'Integration not found');

export class BillingSync {
  private readonly adapters: ReadonlyMap<string, BillingAdapter>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly pool: SqlPool,
    private readonly vault: CredentialVault,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly config: BillingConfig,
    private readonly env: EnvReferences,
    adapters?: ReadonlyMap<string, BillingAdapter>,
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
      const row = await this.loadKey(brandId, id);
      const syncedAt = row.billing_synced_at as Date | null;
      const erredAt = row.billing_error_at as Date | null;
      const last = Math.max(syncedAt?.getTime() ?? 0, erredAt?.getTime() ?? 0);
      if (row.keyless || now.getTime() - last < FRESH_MS) return toIntegrationView(integrationFromRow(row), now);
      const claimed = await this.claim(`id = $3`, [id], 1);
      if (claimed.length === 1) {
        await this.syncClaimed(claimed[0]);
        return toIntegrationView(integrationFromRow(await this.loadKey(brandId, id)), this.clock.now());
      }
      // Another instance (or call) is syncing it: wait for its result.
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One key of the brand as stored; 404 when it is not there (or is another brand's). */
  private async loadKey(brandId: string, id: number): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<Record<string, unknown>>('select * from integration where id = $1 and brand_id = $2', [id, brandId]);
    if (rows.length === 0) throw notFound();
    return rows[0];
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private nextSyncAt(now: Date): Date {
    const jitter = 0.9 + Math.random() * 0.2;
    return new Date(now.getTime() + this.config.intervalMs * jitter);
  }

  private async claimDue(count: number): Promise<ClaimedRow[]> {
    return this.claim('billing_next_at <= $1 and provider_name = any($3)', [[...this.adapters.keys()]], count);
  }

  /** Sets the claim on up to `count` rows matching `where` ($1 is now, $2 the claim end), skipping rows another claim holds. */
  private async claim(where: string, values: unknown[], count: number): Promise<ClaimedRow[]> {
    const now = this.clock.now();
    const claimEnd = new Date(now.getTime() + this.config.timeoutMs * 2);
    const { rows } = await this.pool.query<ClaimedRow>(
      `update integration set billing_claimed_until = $2 where id in (
         select id from integration where ${where} and not keyless and (billing_claimed_until is null or billing_claimed_until < $1)
         order by billing_next_at nulls first limit ${Number(count)} for update skip locked)
       returning id, brand_id, provider_name, credentials_encrypted, billing_failures, spend_limit_exceeded, out_of_credits_at`,
      [now, claimEnd, ...values],
    );
    return rows;
  }

  /** Keys without a billing API: their figures are keypool's own spend; one statement for a whole batch. */
  private async syncLocalDue(): Promise<void> {
    const now = this.clock.now();
    const today = utcDay(now);
    const month = utcMonthStart(now);
    await this.pool.query(
      `update integration set
         cached_usage_today = case when spend_day = $2::date then spend_today else 0 end,
         cached_usage_month = case when spend_month_start = $3::date then spend_month else 0 end,
         cached_balance = null, cached_currency = 'USD', billing_synced_at = $1, billing_error = null, billing_error_at = null,
         billing_failures = 0, billing_next_at = $1 + ($4::double precision * (0.9 + random() * 0.2)) * interval '1 millisecond'
       where id in (select id from integration where billing_next_at <= $1 and not (provider_name = any($5)) and not keyless
         order by billing_next_at limit ${LOCAL_BATCH} for update skip locked)`,
      [now, today, month, this.config.intervalMs, [...this.adapters.keys()]],
    );
  }

  private async syncClaimed(row: ClaimedRow): Promise<void> {
    const adapter = this.adapters.get(row.provider_name);
    if (!adapter) return;
    try {
      const resolved = resolveDocument(this.vault.open(row.credentials_encrypted), this.env.lookup);
      if ('unset' in resolved) throw new BillingError(`environment variable ${resolved.unset} is unset`);
      const figures = await adapter(resolved.credentials, AbortSignal.timeout(this.config.timeoutMs));
      await this.writeFigures(row, figures);
    } catch (e) {
      const message = e instanceof BillingError ? e.message : 'billing sync failed: the credential cannot be decrypted';
      await this.writeFailure(row, message, e instanceof BillingError ? e.retryAfterMs : null).catch(() => {});
    }
  }

  private async writeFigures(row: ClaimedRow, f: BillingFigures): Promise<void> {
    const now = this.clock.now();
    const today = utcDay(now);
    const month = utcMonthStart(now);
    const credited = f.balance !== null && Number(f.balance) > 0;
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `with own as (
         select id,
           case when spend_day = $9::date then spend_today else 0 end as own_today,
           case when spend_month_start = $10::date then spend_month else 0 end as own_month
         from integration where id = $2
       ), figures as (
         select own.*, coalesce($4::numeric, own.own_today) as usage_today, coalesce($5::numeric, own.own_month) as usage_month from own
       ), judged as (
         select figures.*, keypool_spend_over(i.spend_limit_amount, i.spend_limit_period, figures.own_today, figures.own_month,
           figures.usage_today, figures.usage_month, $1, $9::date, $10::date) as exceeded
         from figures join integration i on i.id = figures.id
       )
       update integration i set
         cached_balance = $3::numeric, cached_usage_today = judged.usage_today, cached_usage_month = judged.usage_month,
         cached_currency = $6, billing_synced_at = $1, billing_error = null, billing_error_at = null, billing_failures = 0,
         billing_claimed_until = null, billing_next_at = $7,
         out_of_credits_at = case when $8::boolean then null else i.out_of_credits_at end,
         out_of_credits_until = case when $8::boolean then null else i.out_of_credits_until end,
         spend_limit_exceeded = judged.exceeded,
         spend_exceeded_period = case when judged.exceeded then (case when i.spend_limit_period = 'daily' then $11 else $12 end) else null end
       from judged where i.id = judged.id returning i.*`,
      [now, row.id, f.balance, f.usageToday, f.usageMonth, f.currency, this.nextSyncAt(now), credited, today, month,
        spendPeriodKey('daily', now), spendPeriodKey('monthly', now)],
    );
    if (rows.length === 0) return;
    await this.publishChanges(row, rows[0], now);
  }

  private async writeFailure(row: ClaimedRow, message: string, retryAfterMs: number | null): Promise<void> {
    const now = this.clock.now();
    const backoff = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(row.billing_failures, 20), BACKOFF_MAX_MS);
    const next = new Date(now.getTime() + Math.max(backoff, retryAfterMs ?? 0));
    await this.pool.query(
      `update integration set billing_error = $2, billing_error_at = $3, billing_failures = billing_failures + 1,
         billing_claimed_until = null, billing_next_at = $4 where id = $1`,
      [row.id, message.slice(0, 255), now, next],
    );
  }

  private async publishChanges(before: ClaimedRow, after: Record<string, unknown>, at: Date): Promise<void> {
    const view = toIntegrationView(integrationFromRow(after), at);
    const brandId = before.brand_id;
    if (before.spend_limit_exceeded !== Boolean(after.spend_limit_exceeded)) {
      await this.events.publish({
        type: 'integration.spend_limit_changed', brandId, integration: view, at, exceeded: Boolean(after.spend_limit_exceeded),
        previousExceeded: before.spend_limit_exceeded, action: view.spendLimitAction, amount: view.spendLimitAmount, period: view.spendLimitPeriod,
        usage: spendUsage(view),
      });
    }
    if (before.out_of_credits_at !== null && after.out_of_credits_at === null) {
      await this.events.publish({ type: 'integration.changed', brandId, integration: view, kind: 'UPDATED', at });
    }
  }
}
