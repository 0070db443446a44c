/**
 * The `integration` table's statements outside the ORM's unit of work: the
 * billing sync's claims and writes, the spend flags' re-arm, taking a key with
 * an unreadable credential out of the pool, and the start-up check and
 * rotation of the encryption keys. Each answers records through the one row
 * mapper (rowToRecord), never raw rows. The lease and report statements are the
 * pool functions' (leases/lease.repository.ts), mapped here too.
 */
import type pg from 'pg';
import { inTransaction, type SqlPool } from '../../platform/db/sql-pool.js';
import { utcDay, utcMonthStart } from './limits.js';
import { spendPeriodKey } from './spend.js';
import type { IntegrationRecord } from './integration.view.js';

const camelNames = new Map<string, string>();
const camel = (column: string) => {
  let name = camelNames.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    camelNames.set(column, name);
  }
  return name;
};

/** A raw `integration` row (snake_case, as node-postgres returns it) as a record: the one row mapper. */
export function rowToRecord(row: Record<string, unknown>): IntegrationRecord {
  const record: Record<string, unknown> = {};
  for (const column in row) record[camel(column)] = row[column];
  return record as unknown as IntegrationRecord;
}

/** A key claimed for a billing sync, with what the sync compares its result against. */
export interface BillingClaim {
  id: number;
  brandId: string;
  providerName: string;
  credentialsEncrypted: string;
  billingFailures: number;
  spendLimitExceeded: boolean;
  outOfCreditsAt: Date | null;
}

/** What a provider's billing API said about a key (decimals as text, exact). */
export interface BillingFigures {
  /** What is left to spend; null when the provider sets no limit. */
  balance: string | null;
  /** Usage today and this month; null when the provider does not say (keypool's own spend is used). */
  usageToday: string | null;
  usageMonth: string | null;
  currency: string;
}

export class IntegrationRepository {
  constructor(private readonly pool: SqlPool) {}

  /**
   * The model allow-lists of the brand's active keys, with the catalog provider each key's
   * provider is or is built on (models null: every model).
   */
  async modelLists(brandId: string): Promise<{ providerName: string; baseProvider: string; models: string[] | null; blacklistedModels: string[] }[]> {
    const { rows } = await this.pool.query<{ provider_name: string; base_provider: string; models: string[] | null; blacklisted_models: string[] | null }>(
      `select i.provider_name, coalesce(case when pc.custom then pc.base_provider_type end, i.provider_name) as base_provider, i.models, i.blacklisted_models
       from integration i left join provider_config pc on pc.brand_id = i.brand_id and pc.name = i.provider_name
       where i.brand_id = $1 and i.is_active order by i.provider_name, i.id`,
      [brandId],
    );
    return rows.map((r) => ({ providerName: r.provider_name, baseProvider: r.base_provider, models: r.models, blacklistedModels: r.blacklisted_models ?? [] }));
  }

  /** One key of the brand as stored, or null. */
  async find(brandId: string, id: number): Promise<IntegrationRecord | null> {
    const { rows } = await this.pool.query<Record<string, unknown>>('select * from integration where id = $1 and brand_id = $2', [id, brandId]);
    return rows.length === 0 ? null : rowToRecord(rows[0]);
  }

  /**
   * Claims up to `count` keys with a billing API for a sync until `claimEnd`, skipping keys
   * another claim holds: the due ones of `providers`, or the one key `onlyId`.
   */
  async claimForBilling(
    target: { due: readonly string[] } | { onlyId: number },
    count: number,
    now: Date,
    claimEnd: Date,
  ): Promise<BillingClaim[]> {
    const [where, value] = 'due' in target ? ['billing_next_at <= $1 and provider_name = any($3)', [...target.due]] : ['id = $3', target.onlyId];
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `update integration set billing_claimed_until = $2 where id in (
         select id from integration where ${where} and not keyless and (billing_claimed_until is null or billing_claimed_until < $1)
         order by billing_next_at nulls first limit ${Math.max(0, Math.floor(count))} for update skip locked)
       returning id, brand_id, provider_name, credentials_encrypted, billing_failures, spend_limit_exceeded, out_of_credits_at`,
      [now, claimEnd, value],
    );
    return rows.map((row) => rowToRecord(row) as unknown as BillingClaim);
  }

  /**
   * Keys without a billing API (not of `remoteProviders`) that are due: their figures become
   * keypool's own spend, up to `limit` keys in one statement, next due after `intervalMs` ±10 %.
   */
  async syncFromOwnSpend(remoteProviders: readonly string[], now: Date, intervalMs: number, limit: number): Promise<void> {
    await this.pool.query(
      `update integration set
         cached_usage_today = case when spend_day = $2::date then spend_today else 0 end,
         cached_usage_month = case when spend_month_start = $3::date then spend_month else 0 end,
         cached_balance = null, cached_currency = 'USD', billing_synced_at = $1, billing_error = null, billing_error_at = null,
         billing_failures = 0, billing_next_at = $1 + ($4::double precision * (0.9 + random() * 0.2)) * interval '1 millisecond'
       where id in (select id from integration where billing_next_at <= $1 and not (provider_name = any($5)) and not keyless
         order by billing_next_at limit ${Math.max(0, Math.floor(limit))} for update skip locked)`,
      [now, utcDay(now), utcMonthStart(now), intervalMs, [...remoteProviders]],
    );
  }

  /**
   * Writes a sync's figures, ends its claim and judges the spend limit in the same statement
   * (the larger of the provider's usage and keypool's own); a balance above zero clears an
   * out-of-credits mark. Null when the key is gone.
   */
  async writeBillingFigures(id: number, f: BillingFigures, now: Date, nextAt: Date): Promise<IntegrationRecord | null> {
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
         spend_exceeded_period = case when judged.exceeded then keypool_spend_period(i.spend_limit_period, $11, $12) end
       from judged where i.id = judged.id returning i.*`,
      [now, id, f.balance, f.usageToday, f.usageMonth, f.currency, nextAt, credited, today, month,
        spendPeriodKey('daily', now), spendPeriodKey('monthly', now)],
    );
    return rows.length === 0 ? null : rowToRecord(rows[0]);
  }

  /** A failed sync: the error on the key (never its health), one more failure, the claim ended, next try at `nextAt`. */
  async writeBillingFailure(id: number, message: string, now: Date, nextAt: Date): Promise<void> {
    await this.pool.query(
      `update integration set billing_error = $2, billing_error_at = $3, billing_failures = billing_failures + 1,
         billing_claimed_until = null, billing_next_at = $4 where id = $1`,
      [id, message.slice(0, 255), now, nextAt],
    );
  }

  /** Spend flags of a period that has ended flip back, once: the keys flipped. */
  async rearmSpendLimits(now: Date): Promise<(IntegrationRecord & { brandId: string })[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `update integration set spend_limit_exceeded = false, spend_exceeded_period = null, updated_at = $3
       where spend_limit_exceeded and spend_exceeded_period is distinct from keypool_spend_period(spend_limit_period, $1, $2)
       returning *`,
      [spendPeriodKey('daily', now), spendPeriodKey('monthly', now), now],
    );
    return rows.map((row) => rowToRecord(row) as IntegrationRecord & { brandId: string });
  }

  /**
   * Takes a key whose credential cannot be decrypted out of the pool and un-counts the lease
   * just granted on it in the windows given (a lease that returned no credential must not use up
   * allowance).
   */
  async markCredentialUnreadable(id: number, reason: string, at: { now: Date; minuteStart: Date; today: string }): Promise<IntegrationRecord> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `update integration set credential_error = $2, health_status = 'unhealthy', probe_due_at = null, updated_at = $5,
         minute_count = case when minute_window = $3 then greatest(minute_count - 1, 0) else minute_count end,
         daily_count = case when day_window = $4::date then greatest(daily_count - 1, 0) else daily_count end
       where id = $1 returning *`,
      [id, reason, at.minuteStart, at.today, at.now],
    );
    return rowToRecord(rows[0]);
  }

  /** The newest and the oldest `count` sealed credentials: the start-up check's sample. */
  async sampleCredentials(count: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ credentials_encrypted: string }>(
      `(select credentials_encrypted from integration order by id desc limit $1)
       union all (select credentials_encrypted from integration order by id asc limit $1)`,
      [count],
    );
    return rows.map((r) => r.credentials_encrypted);
  }

  /** Keys flagged unreadable at lease time, with their sealed credential. */
  async unreadableCredentials(): Promise<{ id: number; encrypted: string }[]> {
    const { rows } = await this.pool.query<{ id: number; credentials_encrypted: string }>(
      'select id, credentials_encrypted from integration where credential_error is not null',
    );
    return rows.map((r) => ({ id: r.id, encrypted: r.credentials_encrypted }));
  }

  /** Clears the unreadable flag of keys the ring opens again, with a recovery probe due now. */
  async clearCredentialErrors(ids: readonly number[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query('update integration set credential_error = null, probe_due_at = $2 where id = any($1::int[])', [[...ids], now]);
  }

  /**
   * One batch of credential rotation, in one transaction: the keys after `afterId` (up to
   * `size`, locked), each re-sealed by `reseal` (null: already on the current key, left as
   * is). Answers how many were read, how many changed, and the last id read.
   */
  async resealBatch(
    afterId: number,
    size: number,
    reseal: (providerName: string, encrypted: string) => { encrypted: string; fingerprint: string } | null,
  ): Promise<{ read: number; changed: number; lastId: number }> {
    return inTransaction(this.pool, async (client: pg.PoolClient) => {
      const { rows } = await client.query<{ id: number; provider_name: string; credentials_encrypted: string }>(
        'select id, provider_name, credentials_encrypted from integration where id > $1 order by id limit $2 for update',
        [afterId, size],
      );
      let changed = 0;
      for (const row of rows) {
        const sealed = reseal(row.provider_name, row.credentials_encrypted);
        if (!sealed) continue;
        await client.query('update integration set credentials_encrypted = $1, credential_fingerprint = $2 where id = $3', [sealed.encrypted, sealed.fingerprint, row.id]);
        changed++;
      }
      return { read: rows.length, changed, lastId: rows.length > 0 ? rows[rows.length - 1].id : afterId };
    });
  }
}
