/**
 * The pool's statements. Leases are picked in memory (selection.ts, the key
 * book); what reaches the database is a batch of usage reports and allowance
 * claims, of any brands and providers, in one statement (keypool_settle: the
 * keys locked in key order, then the reports, then the claims) and one commit,
 * atomic; should a deadlock still happen (a key created while the batch ran),
 * the batch is retried. Besides: loading a brand's provider into the key book,
 * and giving unused allowance back.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { rowToRecord, type IntegrationRecord } from '../integrations/index.js';
import type { SkipReason } from './lease-errors.js';
import { upstreamSettingsOf, type NetworkConfig, type UpstreamSettings } from '../providers/index.js';
import type { PoolTime } from './selection.js';

export type { PoolTime };

/** Why a key was not leased, and when it frees up by itself (null: it does not). */
export interface SkippedKey {
  integrationId: number;
  reason: SkipReason;
  until: Date | null;
  /** The unavailable environment variable, for environment_unset. */
  variable?: string;
}

/** A claim of allowance for one key: `n` leases of the current minute and day, or (probe) its due recovery probe. */
export interface ClaimItem {
  integrationId: number;
  n: number;
  probe: boolean;
}

/** What a claim got: `granted` leases (0: the limit is reached, or another instance took the probe), and the key as it now stands (null: it is gone). */
export interface ClaimRow {
  granted: number;
  record: IntegrationRecord | null;
  encrypted: string;
}

/** One item of a batch: a report or a claim. */
export type PoolWork = { report: ReportItem } | { claim: ClaimItem };
export type PoolResult = { report: ReportRow } | { claim: ClaimRow };

/** The fields of a key that releases move: its counters, last use and next probe. */
export type CounterFields = Pick<IntegrationRecord, 'minuteCount' | 'minuteWindow' | 'dailyCount' | 'dayWindow' | 'lastUsedAt' | 'probeDueAt'>;

/** A key's counters after allowance was given back. */
export interface ReleasedRow {
  integrationId: number;
  counters: CounterFields;
}

/** Allowance an instance gives back: `n` of the day, `minuteN` of them still of the minute they were claimed in. */
export interface ReleaseItem {
  integrationId: number;
  n: number;
  minuteN: number;
  minuteStart: Date;
  day: string;
}

/** One key of a (brand, provider) as the key book holds it, with the brand's settings of the provider. */
export interface GroupRow {
  record: IntegrationRecord;
  encrypted: string;
  baseUrl: string | null;
  baseProviderType: string | null;
  upstream: UpstreamSettings;
}

export interface PoolRules {
  probeBaseMs: number;
  probeMaxMs: number;
  degradedAfter: number;
  unhealthyAfter: number;
  rateLimitCooldownMs: number;
  /** Providers whose billing API tells when credits are back. */
  creditProviders: readonly string[];
  /** The environment variables a key may refer to that are set now. */
  envAvailable: () => string[];
}

export interface ReportItem {
  leaseUuid: string;
  integrationId: number;
  brandId: string;
  nodeId: string | null;
  model: string | null;
  success: boolean;
  statusCode: number | null;
  errorType: string | null;
  retryAfterSeconds: number | null;
  probe: boolean;
  costUsd: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number | null;
  /** Time to the first streamed byte of the answer (null: not streamed, or not said). */
  firstTokenMs: number | null;
}

export type ReportRow =
  | { outcome: 'not_found' }
  | { outcome: 'already_reported' }
  | { outcome: 'reported'; record: IntegrationRecord; encrypted: string; previousStatus: string; healthReason: string | null; wasExceeded: boolean; creditsFlagged: boolean };

/** One statement for any batch (keypool_settle with empty arrays for what it does not hold). */
const SETTLE_SQL = `select a.kind, a.item, a.report_outcome, a.previous_status, a.health_reason, a.was_exceeded, a.credits_flagged, a.granted, (a.key).*
  from keypool_settle($1::uuid[], $2::integer[], $3::uuid[], $4::uuid[], $5::text[], $6::boolean[], $7::integer[], $8::text[],
    $9::integer[], $10::boolean[], $11::numeric[], $12::bigint[], $13::bigint[], $14::integer[], $15::integer[],
    $16::integer[], $17::integer[], $18::boolean[],
    $19, $20, $21::date, $22::date, $23, $24, $25, $26, $27, $28, $29, $30::text[]) a
  order by a.kind desc, a.item`;

const COUNTER_COLUMNS = 'i.minute_count, i.minute_window, i.daily_count, i.day_window, i.last_used_at, i.probe_due_at';

const countersOf = (row: Record<string, unknown>): CounterFields => ({
  minuteCount: Number(row.minute_count), minuteWindow: row.minute_window as Date | null, dailyCount: Number(row.daily_count),
  dayWindow: row.day_window as Date | string | null, lastUsedAt: row.last_used_at as Date | null, probeDueAt: row.probe_due_at as Date | null,
});

/** Gives back allowance not granted: the day's part while it is the same day, the minute's while it is the same minute. */
const RELEASE_SQL = `update integration i set
    minute_count = case when i.minute_window = r.minute then greatest(0, i.minute_count - r.minute_n) else i.minute_count end,
    daily_count = case when i.day_window = r.day then greatest(0, i.daily_count - r.n) else i.daily_count end
  from unnest($1::integer[], $2::integer[], $3::integer[], $4::timestamptz[], $5::date[]) as r(id, n, minute_n, minute, day)
  where i.id = r.id
  returning i.id, ${COUNTER_COLUMNS}`;

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
   * Applies a batch of reports and claims, of any brands, in one statement (and one commit):
   * each report its own outcome, each claim what it was granted (one claim per key: the caller
   * merges). Results come in the order of `work`.
   */
  async settle(work: readonly PoolWork[], t: PoolTime): Promise<PoolResult[]> {
    const reports: ReportItem[] = [];
    const claims: ClaimItem[] = [];
    const slots = work.map((w) => ('report' in w ? { kind: 'report', at: reports.push(w.report) - 1 } : { kind: 'claim', at: claims.push(w.claim) - 1 }));
    const r = this.rules;
    const values = [
      reports.map((i) => i.leaseUuid), reports.map((i) => i.integrationId), reports.map((i) => i.brandId), reports.map((i) => i.nodeId),
      reports.map((i) => i.model), reports.map((i) => i.success), reports.map((i) => i.statusCode), reports.map((i) => i.errorType),
      reports.map((i) => i.retryAfterSeconds), reports.map((i) => i.probe), reports.map((i) => i.costUsd), reports.map((i) => i.promptTokens),
      reports.map((i) => i.completionTokens), reports.map((i) => i.latencyMs), reports.map((i) => i.firstTokenMs),
      claims.map((i) => i.integrationId), claims.map((i) => i.n), claims.map((i) => i.probe),
      t.now, t.minuteStart, t.today, t.monthStart, t.dayKey, t.monthKey,
      r.degradedAfter, r.unhealthyAfter, r.rateLimitCooldownMs, r.probeBaseMs, r.probeMaxMs, r.creditProviders,
    ];
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>({ name: 'keypool_settle', text: SETTLE_SQL, values }), () => void this.retries++);
    const reported: ReportRow[] = [];
    const claimed = new Map<number, ClaimRow>();
    for (const row of rows) {
      if (row.kind === 'report') reported.push(reportRow(row));
      else claimed.set(Number(row.item) - 1, { granted: Number(row.granted), record: keyOf(row), encrypted: String(row.credentials_encrypted) });
    }
    // A claim of a key that is gone has no row.
    return slots.map((slot) => (slot.kind === 'report'
      ? { report: reported[slot.at] }
      : { claim: claimed.get(slot.at) ?? { granted: 0, record: null, encrypted: '' } }));
  }

  /** Gives back allowance an instance claimed and did not grant; the keys' counters after. */
  async release(items: readonly ReleaseItem[]): Promise<ReleasedRow[]> {
    if (items.length === 0) return [];
    const { rows } = await this.pool.query<Record<string, unknown>>({
      name: 'keypool_release',
      text: RELEASE_SQL,
      values: [items.map((i) => i.integrationId), items.map((i) => i.n), items.map((i) => i.minuteN), items.map((i) => i.minuteStart), items.map((i) => i.day)],
    });
    return rows.map((row) => ({ integrationId: Number(row.id), counters: countersOf(row) }));
  }
}

/** The columns of the pool's statements that are not the key's own. */
const NOT_KEY_COLUMNS = ['kind', 'item', 'granted', 'base_url', 'base_provider_type', 'network_config', 'credentials_encrypted', 'report_outcome', 'previous_status', 'health_reason', 'was_exceeded', 'credits_flagged'];

function keyOf(row: Record<string, unknown>): IntegrationRecord {
  const key: Record<string, unknown> = { ...row };
  for (const column of NOT_KEY_COLUMNS) delete key[column];
  return rowToRecord(key);
}

const stringMap = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) : {};

function reportRow(row: Record<string, unknown>): ReportRow {
  const outcome = row.report_outcome;
  if (outcome !== 'reported') return { outcome: outcome === 'not_found' ? 'not_found' : 'already_reported' };
  return {
    outcome: 'reported', record: keyOf(row), encrypted: String(row.credentials_encrypted), previousStatus: row.previous_status as string,
    healthReason: (row.health_reason as string | null) ?? null, wasExceeded: row.was_exceeded as boolean, creditsFlagged: row.credits_flagged as boolean,
  };
}
