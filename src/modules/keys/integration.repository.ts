/**
 * Every statement on the `integration` table: the keys' create, read, update
 * and delete (inside the caller's transaction where there is one), the billing
 * sync's claims and writes, the spend flags' re-arm, taking a key with an
 * unreadable credential out of the pool, and the start-up check and rotation
 * of the encryption keys. Each answers records through the one row mapper
 * (rowToRecord), never raw rows. The lease and report statements are the pool
 * functions' (leases/lease.repository.ts), mapped here too. (The ORM entity
 * only describes the table, for migrations.)
 */
import type pg from 'pg';
import { inTransaction, type Queryable, type SqlPool } from '../../platform/db/sql-pool.js';
import { utcDay, utcMonthStart } from './limits.js';
import { spendPeriodKey } from './spend.js';
import { modelAllowed } from './model-rule.js';
import type { IntegrationRecord } from './integration.view.js';
import type { IntegrationSettings } from './integration-input.js';
import { CHANGE_COLUMNS, columnValue, fieldOf, INSERT_COLUMNS, RECORD_COLUMNS, type ChangedField, type InsertedField } from './key-columns.js';

const fieldNames = new Map<string, string>();
const camel = (column: string) => {
  let name = fieldNames.get(column);
  if (name === undefined) {
    name = fieldOf(column);
    fieldNames.set(column, name);
  }
  return name;
};

/** A raw `integration` row (snake_case, as node-postgres returns it) as a record: the one row mapper. */
export function rowToRecord(row: Record<string, unknown>): IntegrationRecord {
  const record: Record<string, unknown> = {};
  for (const column in row) record[camel(column)] = row[column];
  return record as unknown as IntegrationRecord;
}

const COLUMNS = RECORD_COLUMNS.join(', ');

/** A stored key as its service reads it: the record, its brand, and what its checks compare. */
export interface StoredKey extends IntegrationRecord {
  brandId: string;
  credentialFingerprint: string;
  spendExceededPeriod: string | null;
  /** Only when asked for (withCredential). */
  credentialsEncrypted?: string;
}

/** What a key holds besides its settings: its identity, the sealed credential and its renderings. */
interface KeyIdentity {
  keyId: string;
  brandId: string;
  providerName: string;
  priority: number;
  keyless: boolean;
  envRefs: string[];
  credentialsEncrypted: string;
  credentialFingerprint: string;
  keyPreview: Record<string, string>;
  keyView: unknown;
  billingNextAt: Date | null;
  createdAt: Date;
}

/** A new key, as the service has checked and sealed it: every setting given. */
export type NewKey = Required<IntegrationSettings> & KeyIdentity & { updatedAt: Date };

/** What a change may write: settings, a new sealed credential, and the marks a change clears. */
/** What an operator may do to a key's recovery by hand. */
export type KeyRecovery = 'cooldown_reset' | 'reprobe_requested';

export interface KeyChange extends IntegrationSettings, Partial<Pick<KeyIdentity, 'priority' | 'envRefs' | 'credentialsEncrypted' | 'credentialFingerprint' | 'keyPreview' | 'keyView'>> {
  credentialError?: null;
  outOfCreditsAt?: null;
  outOfCreditsUntil?: null;
  updatedAt: Date;
}

// The compiler holds the column table and the service's inputs to each other: a column a new
// key or a change writes is a field of NewKey or KeyChange, and every such field has its column.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const insertsEveryField: Same<keyof NewKey, InsertedField> = true;
const changesEveryField: Same<keyof KeyChange, ChangedField> = true;
void insertsEveryField;
void changesEveryField;

/** Which key to find: by number, or (the provider-key routes) by its string id among a provider's keys. */
export type KeyAddress = { id: number } | { providerName: string; keyId: string };

export interface KeyListFilter {
  providerName?: string;
  healthStatus?: string;
  isActive?: boolean;
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
  /** Statements outside a transaction run on the pool. */
  constructor(readonly pool: SqlPool) {}

  // The keys' create, read, update and delete. `db` is the caller's transaction, or the pool.

  /** Runs `work` in one transaction; its statements take the client as `db`. */
  transaction<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  async insert(db: Queryable, key: NewKey): Promise<StoredKey> {
    const { rows } = await db.query<Record<string, unknown>>(
      `insert into integration (${INSERT_COLUMNS.join(', ')}) values (${INSERT_COLUMNS.map((_, n) => `$${n + 1}`).join(', ')}) returning ${COLUMNS}`,
      INSERT_COLUMNS.map((column) => columnValue(column, key[fieldOf(column) as keyof NewKey])),
    );
    return rowToRecord(rows[0]) as StoredKey;
  }

  /** One key of the brand (null when it is not the brand's); `lock` holds it for the caller's transaction. */
  async findKey(db: Queryable, brandId: string, address: KeyAddress, options: { lock?: boolean; withCredential?: boolean } = {}): Promise<StoredKey | null> {
    const [where, values] = 'id' in address
      ? ['id = $2', [address.id]]
      : ['provider_name = $2 and key_id = $3 and not keyless', [address.providerName, address.keyId]];
    const { rows } = await db.query<Record<string, unknown>>(
      `select ${COLUMNS}${options.withCredential ? ', credentials_encrypted' : ''} from integration
       where brand_id = $1 and ${where}${options.lock ? ' for update' : ''}`,
      [brandId, ...values],
    );
    return rows.length === 0 ? null : (rowToRecord(rows[0]) as StoredKey);
  }

  /** A page of the brand's keys, oldest first, and how many match in all. */
  async listKeys(brandId: string, filter: KeyListFilter, limit: number, offset: number): Promise<{ rows: StoredKey[]; total: number }> {
    const conditions = ['brand_id = $1'];
    const values: unknown[] = [brandId];
    const add = (column: string, value: unknown) => conditions.push(`${column} = $${values.push(value)}`);
    if (filter.providerName !== undefined) add('provider_name', filter.providerName);
    if (filter.healthStatus !== undefined) add('health_status', filter.healthStatus);
    if (filter.isActive !== undefined) add('is_active', filter.isActive);
    const where = conditions.join(' and ');
    const [page, count] = await Promise.all([
      this.pool.query<Record<string, unknown>>(`select ${COLUMNS} from integration where ${where} order by id limit $${values.length + 1} offset $${values.length + 2}`, [...values, limit, offset]),
      this.pool.query<{ total: number }>(`select count(*)::int as total from integration where ${where}`, values),
    ]);
    return { rows: page.rows.map((r) => rowToRecord(r) as StoredKey), total: count.rows[0].total };
  }

  /** The keys of one provider (`keyless`: the keyless endpoint too), oldest first, at most `limit`. */
  async providerKeys(db: Queryable, brandId: string, providerName: string, options: { keyless: boolean; lock?: boolean; limit?: number }): Promise<StoredKey[]> {
    const { rows } = await db.query<Record<string, unknown>>(
      `select ${COLUMNS} from integration where brand_id = $1 and provider_name = $2${options.keyless ? '' : ' and not keyless'}
       order by created_at, id${options.limit !== undefined ? ` limit ${Math.floor(options.limit)}` : ''}${options.lock ? ' for update' : ''}`,
      [brandId, providerName],
    );
    return rows.map((r) => rowToRecord(r) as StoredKey);
  }

  /** Every key of the brand (no keyless endpoint), oldest first, at most `limit`: who it is, its provider and models. */
  async keySummaries(brandId: string, limit: number): Promise<{ keyId: string; keyLabel: string | null; providerName: string; models: string[] | null }[]> {
    const { rows } = await this.pool.query<{ key_id: string; key_label: string | null; provider_name: string; models: string[] | null }>(
      `select key_id, key_label, provider_name, models from integration where brand_id = $1 and not keyless order by created_at, id limit ${Math.floor(limit)}`,
      [brandId],
    );
    return rows.map((r) => ({ keyId: r.key_id, keyLabel: r.key_label, providerName: r.provider_name, models: r.models }));
  }

  /** The providers the brand has keys of (a keyless endpoint counts). */
  async providersWithKeys(brandId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ provider_name: string }>('select distinct provider_name from integration where brand_id = $1', [brandId]);
    return rows.map((r) => r.provider_name);
  }

  async countProviderKeys(db: Queryable, brandId: string, providerName: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from integration where brand_id = $1 and provider_name = $2 and not keyless', [brandId, providerName]);
    return rows[0].n;
  }

  /** The provider's keyless endpoint, if it has one. */
  async findKeyless(db: Queryable, brandId: string, providerName: string): Promise<StoredKey | null> {
    const { rows } = await db.query<Record<string, unknown>>(`select ${COLUMNS} from integration where brand_id = $1 and provider_name = $2 and keyless`, [brandId, providerName]);
    return rows.length === 0 ? null : (rowToRecord(rows[0]) as StoredKey);
  }

  /** Writes a change to a key the caller holds (found with `lock`); the key as it now is. */
  async change(db: Queryable, id: number, change: KeyChange): Promise<StoredKey> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    // Only the change's columns reach the statement, whatever else the object carries.
    for (const column of CHANGE_COLUMNS) {
      const value = change[fieldOf(column) as keyof KeyChange];
      if (value === undefined) continue;
      sets.push(`${column} = $${values.push(columnValue(column, value))}`);
    }
    const { rows } = await db.query<Record<string, unknown>>(`update integration set ${sets.join(', ')} where id = $1 returning ${COLUMNS}`, values);
    return rowToRecord(rows[0]) as StoredKey;
  }

  /** An operator's hand on a key's recovery: its cooldown ends now, or its probe is due now. */
  async recover(db: Queryable, id: number, action: KeyRecovery, now: Date): Promise<StoredKey> {
    const set = action === 'cooldown_reset' ? 'cooldown_until = null' : 'probe_due_at = $2';
    const { rows } = await db.query<Record<string, unknown>>(`update integration set ${set} where id = $1 returning ${COLUMNS}`, action === 'cooldown_reset' ? [id] : [id, now]);
    return rowToRecord(rows[0]) as StoredKey;
  }

  async deleteKeys(db: Queryable, ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await db.query('delete from integration where id = any($1::int[])', [[...ids]]);
  }

  /** Whether the brand holds another key of the provider with one of these credential fingerprints. */
  async credentialTaken(db: Queryable, brandId: string, providerName: string, fingerprints: readonly string[], exceptId: number | null): Promise<boolean> {
    const { rows } = await db.query(
      'select 1 from integration where brand_id = $1 and provider_name = $2 and credential_fingerprint = any($3::text[]) and id is distinct from $4 limit 1',
      [brandId, providerName, [...fingerprints], exceptId],
    );
    return rows.length > 0;
  }

  async keyIdTaken(db: Queryable, brandId: string, keyId: string): Promise<boolean> {
    const { rows } = await db.query('select 1 from integration where brand_id = $1 and key_id = $2 limit 1', [brandId, keyId]);
    return rows.length > 0;
  }

  /**
   * Whether another key of the brand has this name. The name is locked for the caller's
   * transaction first (an advisory lock), so two writers of one name are serialised.
   */
  async claimName(db: Queryable, brandId: string, name: string, exceptId: number | null): Promise<boolean> {
    await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`keypool:key-name:${brandId}:${name}`]);
    const { rows } = await db.query('select 1 from integration where brand_id = $1 and key_label = $2 and id is distinct from $3 limit 1', [brandId, name, exceptId]);
    return rows.length === 0;
  }

  /** Whether the brand has the quota group, locked (shared) for the rest of the transaction. */
  async lockQuotaGroup(db: Queryable, brandId: string, name: string): Promise<boolean> {
    const { rows } = await db.query('select 1 from quota_group where brand_id = $1 and name = $2 for key share', [brandId, name]);
    return rows.length > 0;
  }

  /** Judges a key's spend limit as it now stands (the same SQL as reports and syncs) and stores the verdict. */
  async judgeSpend(db: Queryable, id: number, now: Date): Promise<StoredKey> {
    const today = utcDay(now);
    const month = utcMonthStart(now);
    const { rows } = await db.query<Record<string, unknown>>(
      `update integration i set spend_limit_exceeded = j.exceeded,
         spend_exceeded_period = case when j.exceeded then keypool_spend_period(i.spend_limit_period, $1, $2) end
       from (select id, keypool_spend_over(spend_limit_amount, spend_limit_period,
               case when spend_day = $3::date then spend_today else 0 end, case when spend_month_start = $4::date then spend_month else 0 end,
               cached_usage_today, cached_usage_month, billing_synced_at, $3::date, $4::date) as exceeded
             from integration where id = $5) j
       where i.id = j.id
       returning ${RECORD_COLUMNS.map((c) => `i.${c}`).join(', ')}`,
      [spendPeriodKey('daily', now), spendPeriodKey('monthly', now), today, month, id],
    );
    return rowToRecord(rows[0]) as StoredKey;
  }

  /**
   * The models the brand's active keys can serve, by the pool's model rule (model-rule.ts), with
   * the catalog provider each key's provider is or is built on; `*` for a key that allows every model.
   */
  async reachableModels(brandId: string): Promise<{ providerName: string; baseProvider: string; model: string }[]> {
    const { rows } = await this.pool.query<{ provider_name: string; base_provider: string; models: string[] | null; blacklisted_models: string[] | null }>(
      `select i.provider_name, coalesce(case when pc.custom then pc.base_provider_type end, i.provider_name) as base_provider, i.models, i.blacklisted_models
       from integration i left join provider_config pc on pc.brand_id = i.brand_id and pc.name = i.provider_name
       where i.brand_id = $1 and i.is_active
       order by i.provider_name, i.id`,
      [brandId],
    );
    // Each listed model (or "*" for a key that allows every model) that the key's own rule lets through.
    return rows.flatMap((r) => (r.models === null || r.models.includes('*') ? ['*'] : r.models)
      .filter((model) => modelAllowed(r.models, r.blacklisted_models, model))
      .map((model) => ({ providerName: r.provider_name, baseProvider: r.base_provider, model })));
  }

  /** One key of the brand as stored, or null. */
  async find(brandId: string, id: number): Promise<IntegrationRecord | null> {
    // By its id, the brand checked on the row found: given both, the planner may take the brand's index and read all its keys.
    const { rows } = await this.pool.query<Record<string, unknown>>(
      'with k as materialized (select * from integration where id = $1) select * from k where k.brand_id = $2', [id, brandId]);
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
   * Takes a key whose credential cannot be decrypted out of the pool and gives back the allowance
   * of the lease just granted on it in the windows given (a lease that returned no credential must
   * not use up allowance).
   */
  async markCredentialUnreadable(id: number, reason: string, at: { now: Date; minuteStart: Date; today: string }): Promise<IntegrationRecord> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `update integration set credential_error = $2, health_status = 'unhealthy', probe_due_at = null, updated_at = $5,
         minute_claimed = case when claim_minute = $3 then greatest(minute_claimed - 1, 0) else minute_claimed end,
         daily_claimed = case when claim_day = $4::date then greatest(daily_claimed - 1, 0) else daily_claimed end
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
