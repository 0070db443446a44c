/**
 * The pool's statements. Leases are picked in memory (selection.ts, over the
 * key book); what reaches the database is a batch of usage reports, allowance
 * claims, usage counts of leases granted and allowance given back, of any
 * brands and providers, in one statement (keypool_settle: the keys locked in
 * key order) and one commit, atomic; should a deadlock still happen (a key
 * created while the batch ran), the batch is retried. Besides: folding
 * appended reports (keypool_fold), and loading a brand's provider into the key
 * book.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { RECORD_COLUMNS, rowToRecord, type IntegrationRecord } from '../keys/index.js';
import { upstreamSettingsOf, type NetworkConfig, type UpstreamSettings } from '../providers/index.js';
import { poolAt, poolInput, type PoolRules, type PoolTime, type SettleWork } from './pool-input.js';

export type { ClaimItem, CountItem, PoolRules, PoolTime, ReportItem, Reservation, ReserveItem, ReturnItem, SettleWork } from './pool-input.js';
export type { SkippedKey } from './lease-errors.js';

export type ReportRow =
  | { outcome: 'not_found' }
  | { outcome: 'already_reported' }
  | { outcome: 'reported'; record: IntegrationRecord; encrypted: string; previousStatus: string; healthReason: string | null; wasExceeded: boolean; creditsFlagged: boolean }
  /** An appended report: only what it changed of its key (the caller has the rest). */
  | { outcome: 'appended'; integrationId: number; spend: AppendedSpend };

/** A key's spend as an appended report leaves it (every outcome not folded yet counted in), and its spend limit's verdict on it. */
export type AppendedSpend = Pick<IntegrationRecord, 'spendToday' | 'spendDay' | 'spendMonth' | 'spendMonthStart' | 'spendLimitExceeded' | 'spendExceededPeriod'>;

/** What a claim got: `granted` leases (0: the limits are claimed in full, or another instance took the probe), and the key as it now stands (null: it is gone). */
export interface ClaimRow {
  granted: number;
  record: IntegrationRecord | null;
  encrypted: string;
}

/** What a lease of a key with token or concurrency limits got: granted (1) or refused, by which limit and until when, and the key as it now stands (null: it is gone). */
export interface ReserveRow {
  granted: number;
  /** The tokens reserved (the estimate with its output clamped), when granted. */
  reserved: number | null;
  refusal: ReserveRefusal | null;
  refusedUntil: Date | null;
  record: IntegrationRecord | null;
  encrypted: string;
}

export type ReserveRefusal = 'minute_limit' | 'daily_limit' | 'token_minute_limit' | 'token_daily_limit' | 'concurrency_limit'
  | 'group_minute_limit' | 'group_daily_limit' | 'group_token_minute_limit' | 'group_token_daily_limit';

/** What a batch answered: each report's, claim's and reservation's outcome, in the order they were given. */
export interface SettleResult {
  reports: ReportRow[];
  claims: ClaimRow[];
  reserves: ReserveRow[];
}

/** A key whose health or spend-limit verdict a fold changed, for its events. */
export interface FoldedKey {
  brandId: string;
  record: IntegrationRecord;
  encrypted: string;
  previousStatus: string;
  healthReason: string | null;
  wasExceeded: boolean;
}

/** Whose appended outcomes a fold takes: these keys', or one brand's (null: any key's). */
export type FoldTarget = { keys: readonly number[] } | { brandId: string };

/** What one fold did: how many appended outcomes it folded, and the keys it changed beyond their spend. */
export interface FoldResult {
  folded: number;
  changed: FoldedKey[];
}

/** One key of a (brand, provider) as the key book holds it, with the brand's settings of the provider. */
export interface GroupRow {
  record: IntegrationRecord;
  encrypted: string;
  baseUrl: string | null;
  baseProviderType: string | null;
  upstream: UpstreamSettings;
}

/** One statement for any batch (keypool_settle with an empty list for what it does not hold); bench:pool-sql measures it as it is. */
export const SETTLE_SQL = `select a.kind, a.item, a.report_outcome, a.previous_status, a.health_reason, a.was_exceeded, a.credits_flagged, a.granted,
    a.refusal, a.refused_until, a.reserved, a.appended_today, a.appended_month, a.appended_period, (a.key).*
  from keypool_settle($1::jsonb, $2::jsonb, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8::integer[]) a
  order by a.kind desc, a.item`;

/**
 * A batch of appended reports alone (most batches at load): keypool_append by itself, as
 * keypool_settle would call it, without the batch function's own set-up around it (about 0.07 ms
 * of PostgreSQL's time a batch); its rows are the appended ones of SETTLE_SQL, less the key's
 * columns, which an appended report does not answer with.
 */
export const APPEND_SQL = `select 'appended'::text as kind, a.report_item as item, a.report_outcome, a.was_exceeded, a.spend_today as appended_today,
    a.spend_month as appended_month, a.exceeded_period as appended_period
  from keypool_append($1::jsonb, $2::jsonb, false) a
  order by a.report_item`;

const FOLD_SQL = `select a.kind, a.folded, a.previous_status, a.health_reason, a.was_exceeded, (a.key).*
  from keypool_fold($1::jsonb, $2::integer, $3::integer[]) a`;

/** A brand's outcomes: of the keys it has outcomes of (a key deleted since included; the table is small, folded every second). */
const FOLD_BRAND_SQL = `select a.kind, a.folded, a.previous_status, a.health_reason, a.was_exceeded, (a.key).*
  from keypool_fold($1::jsonb, $2::integer, array(select distinct o.integration_id from pool_outcome o where o.brand_id = $3::uuid)) a`;

/** A timer's turn to fold: none taken within $1 ms, and something to fold (an idle deployment writes nothing). */
const FOLD_DUE_SQL = `insert into pool_fold_clock as c (folded_at) select clock_timestamp() where exists (select 1 from pool_outcome)
  on conflict (id) do update set folded_at = excluded.folded_at where c.folded_at <= clock_timestamp() - $1::integer * interval '1 millisecond'`;

const GROUP_SQL = `select i.*, nullif(pc.network_config->>'base_url', '') as base_url,
    case when pc.custom then pc.base_provider_type end as base_provider_type, pc.network_config
  from integration i
  left join provider_config pc on pc.brand_id = i.brand_id and pc.name = i.provider_name
  where i.brand_id = $1 and i.provider_name = $2
  order by i.id`;

const DEADLOCK = '40P01';
const SERIALIZATION = '40001';

/** Runs an atomic statement again when it lost a deadlock (nothing of it was applied), counting each retry. */
async function retryingDeadlocks<T>(work: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== DEADLOCK && code !== SERIALIZATION) || attempt >= 5) throw e;
      onRetry();
    }
  }
}

export class LeaseRepository {
  /** Batches run again after losing a deadlock or a serialization conflict (none is expected: keys are locked in key order). */
  retries = 0;

  constructor(
    private readonly pool: SqlPool,
    private readonly rules: PoolRules,
  ) {}

  /** Every key of a brand's provider (a keyless endpoint included), with its sealed credential and the brand's settings of the provider. */
  async loadGroup(brandId: string, providerName: string): Promise<GroupRow[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>({ name: 'keypool_group', text: GROUP_SQL, values: [brandId, providerName] });
    return rows.map((row) => {
      const upstream = upstreamSettingsOf((row.network_config as Partial<NetworkConfig> | null) ?? null);
      return {
        record: keyOf(row),
        encrypted: String(row.credentials_encrypted),
        baseUrl: (row.base_url as string | null) ?? null,
        baseProviderType: (row.base_provider_type as string | null) ?? null,
        upstream: { ...upstream, extraHeaders: stringMap(upstream.extraHeaders) },
      };
    });
  }

  /**
   * Applies a batch in one statement (and one commit): each report its own outcome, each claim
   * what it was granted (one claim per key: the caller merges), the usage counts and the
   * allowance given back. Results come in the order of the work's reports and claims.
   */
  async settle(work: SettleWork, t: PoolTime): Promise<SettleResult> {
    const input = poolInput(work, t, this.rules);
    const appendsAlone = work.claims.length === 0 && work.reserves.length === 0 && work.counts.length === 0 && work.returns.length === 0
      && work.reports.length > 0 && work.reports.every((r) => r.append);
    const query = appendsAlone
      ? { name: 'keypool_append', text: APPEND_SQL, values: [input.reports, input.at] }
      : { name: 'keypool_settle', text: SETTLE_SQL, values: [input.reports, input.claims, input.reserves, input.counts, input.returns, input.at, input.rules, input.keys] };
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>(query), () => void this.retries++);
    const reports: ReportRow[] = [];
    const claimed = new Map<number, ClaimRow>();
    const reserves: ReserveRow[] = [];
    for (const row of rows) {
      if (row.kind === 'report') reports[Number(row.item) - 1] = reportRow(row);
      else if (row.kind === 'appended') reports[Number(row.item) - 1] = appendedRow(row, work.reports[Number(row.item) - 1].integrationId, t);
      else if (row.kind === 'reserve') {
        const gone = row.id === null;
        reserves[Number(row.item) - 1] = {
          granted: Number(row.granted), reserved: row.reserved === null ? null : Number(row.reserved), refusal: (row.refusal as ReserveRefusal | null) ?? null, refusedUntil: (row.refused_until as Date | null) ?? null,
          record: gone ? null : keyOf(row), encrypted: gone ? '' : String(row.credentials_encrypted),
        };
      } else claimed.set(Number(row.item) - 1, { granted: Number(row.granted), record: keyOf(row), encrypted: String(row.credentials_encrypted) });
    }
    // A claim of a key that is gone has no row.
    return { reports, claims: work.claims.map((_, at) => claimed.get(at) ?? { granted: 0, record: null, encrypted: '' }), reserves };
  }

  /**
   * Rests every key of a brand's provider until `until` (a rest is only ever extended), locked in
   * key order: an overloaded provider's backoff. Returns the keys as they now stand.
   */
  async restProvider(brandId: string, providerName: string, until: Date): Promise<GroupRow['record'][]> {
    const { rows } = await this.pool.query<Record<string, unknown>>({
      name: 'keypool_rest_provider',
      text: `update integration i set cooldown_until = greatest(i.cooldown_until, $3)
        where i.id in (select id from integration where brand_id = $1 and provider_name = $2 order by id for update)
        returning i.*`,
      values: [brandId, providerName, until],
    });
    return rows.map(keyOf);
  }

  /**
   * Whether a fold timer's turn has come: no timer of any instance folded within `ms` (by the
   * database's clock), and there is something to fold. Taking the turn marks it, so of several
   * instances' timers one folds.
   */
  async foldDue(ms: number): Promise<boolean> {
    const { rowCount } = await this.pool.query({ name: 'keypool_fold_due', text: FOLD_DUE_SQL, values: [ms] });
    return rowCount === 1;
  }

  /**
   * Clears the outcomes folds deleted out of pool_outcome (its dead rows, which every append's scan
   * of a key's outcomes and every fold would step over until autovacuum's next visit, a minute or
   * more away). Skipped when another instance is at it.
   */
  async vacuumOutcomes(): Promise<void> {
    await this.pool.query('vacuum (skip_locked) pool_outcome');
  }

  /**
   * Folds up to `limit` appended outcomes (of any instance; those another fold holds are skipped),
   * of the keys named (a read of those alone), of a brand (a read of its keys, usage or nodes), or
   * of every key (the timer), into their keys, the usage ledger and the nodes' counters, in one
   * transaction.
   */
  async fold(t: PoolTime, limit: number, target: FoldTarget | null = null): Promise<FoldResult> {
    const query = target && 'brandId' in target
      ? { name: 'keypool_fold_brand', text: FOLD_BRAND_SQL, values: [poolAt(t), limit, target.brandId] }
      : { name: 'keypool_fold', text: FOLD_SQL, values: [poolAt(t), limit, target?.keys ?? null] };
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>(query), () => void this.retries++);
    const result: FoldResult = { folded: 0, changed: [] };
    for (const row of rows) {
      if (row.kind === 'folded') result.folded = Number(row.folded);
      else {
        result.changed.push({
          brandId: String(row.brand_id), record: keyOf(row), encrypted: String(row.credentials_encrypted), previousStatus: row.previous_status as string,
          healthReason: (row.health_reason as string | null) ?? null, wasExceeded: row.was_exceeded as boolean,
        });
      }
    }
    return result;
  }
}

/** The key's own columns of a pool statement's row (which also carries the item's outcome and its provider's settings). */
function keyOf(row: Record<string, unknown>): IntegrationRecord {
  const key: Record<string, unknown> = {};
  for (const column of RECORD_COLUMNS) key[column] = row[column];
  return rowToRecord(key);
}

const stringMap = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) : {};

/** An appended report's row: its key's spend now (of today and this month: the batch's day and month) and the limit's verdict, in columns of its own. */
function appendedRow(row: Record<string, unknown>, integrationId: number, t: PoolTime): ReportRow {
  if (row.report_outcome !== 'reported') return reportRow(row);
  return {
    outcome: 'appended',
    integrationId,
    spend: {
      spendToday: String(row.appended_today), spendDay: t.today, spendMonth: String(row.appended_month), spendMonthStart: t.monthStart,
      spendLimitExceeded: row.was_exceeded === true, spendExceededPeriod: (row.appended_period as string | null) ?? null,
    },
  };
}

function reportRow(row: Record<string, unknown>): ReportRow {
  const outcome = row.report_outcome;
  if (outcome !== 'reported') return { outcome: outcome === 'not_found' ? 'not_found' : 'already_reported' };
  return {
    outcome: 'reported', record: keyOf(row), encrypted: String(row.credentials_encrypted), previousStatus: row.previous_status as string,
    healthReason: (row.health_reason as string | null) ?? null, wasExceeded: row.was_exceeded as boolean, creditsFlagged: row.credits_flagged as boolean,
  };
}
