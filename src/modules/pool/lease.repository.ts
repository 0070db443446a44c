/**
 * The pool's hot path in SQL: a batch of leases and reports, of any brands and
 * providers, is one statement (keypool_apply: the keys locked in key order,
 * then the reports, then the leases) and one commit. It is atomic; should a
 * deadlock still happen (a key created while the batch ran), the batch is
 * retried.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { RECORD_COLUMNS, rowToRecord, type IntegrationRecord } from '../keys/index.js';
import type { SkipReason, SkippedKey } from './lease-errors.js';
import { poolInput, type LeaseItem, type PoolRules, type PoolTime, type ReportItem } from './pool-input.js';

export type { LeaseItem, PoolRules, PoolTime, ReportItem } from './pool-input.js';

export type { SkippedKey } from './lease-errors.js';
import { upstreamSettingsOf, type NetworkConfig, type UpstreamSettings } from '../providers/index.js';

export interface LeasedKey {
  record: IntegrationRecord;
  encrypted: string;
  /** The brand's base URL for the provider (network_config.base_url), if it set one. */
  baseUrl: string | null;
  /** The catalog provider a custom provider is built on; null for a catalog provider. */
  baseProviderType: string | null;
  /** Headers the brand adds to every request to the provider (network_config.extra_headers). */
  extraHeaders: Record<string, string>;
  /** The brand's network options for the provider that the gateway honours. */
  upstream: UpstreamSettings;
  /** The key was unhealthy: this lease is its recovery probe. */
  probe: boolean;
}

/** Every key of the provider was skipped (none at all: an empty list); `contended`: one freed up as the pick ran. */
export interface SkippedKeys {
  skipped: SkippedKey[];
  contended: boolean;
}

export type LeaseRow = { leased: LeasedKey } | SkippedKeys;

/** One item of a batch: a lease or a report. */
export type PoolWork = { lease: LeaseItem } | { report: ReportItem };
export type PoolResult = { lease: LeaseRow } | { report: ReportRow };

export type ReportRow =
  | { outcome: 'not_found' }
  | { outcome: 'already_reported' }
  | { outcome: 'reported'; record: IntegrationRecord; previousStatus: string; healthReason: string | null; wasExceeded: boolean; creditsFlagged: boolean };

/** One statement for any batch (keypool_apply with an empty list for what it does not hold). */
const APPLY_SQL = `select a.kind, a.item, a.lease_skipped, nullif(pc.network_config->>'base_url', '') as base_url,
    case when pc.custom then pc.base_provider_type end as base_provider_type, pc.network_config,
    a.report_outcome, a.previous_status, a.health_reason, a.was_exceeded, a.credits_flagged, (a.key).*
  from keypool_apply($1::jsonb, $2::jsonb, $3::jsonb, $4::jsonb) a
  left join provider_config pc on a.kind = 'lease' and pc.brand_id = (a.key).brand_id and pc.name = (a.key).provider_name
  order by a.kind, a.item`;

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

function skippedKeys(json: { id?: number; reason: SkipReason | null; until: string | null; variable: string | null }[]): SkippedKeys {
  const skipped: SkippedKey[] = [];
  let contended = false;
  for (const s of json) {
    if (s.reason === null) contended = true;
    else skipped.push({ integrationId: s.id!, reason: s.reason, until: s.until === null ? null : new Date(s.until), ...(s.variable !== null && { variable: s.variable }) });
  }
  return { skipped, contended };
}

export class LeaseRepository {
  /** Batches run again after losing a deadlock or a serialization conflict (none is expected: keys are locked in key order). */
  retries = 0;

  constructor(
    private readonly pool: SqlPool,
    private readonly rules: PoolRules,
    /** The weighted draw's random source, in [0, 1) (each batch seeds the pick with one draw): tests fix it. */
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Applies a batch of leases and reports, of any brands, in one statement (and one commit): each
   * lease is the key, counted, or why every key was skipped; each report its own outcome. Results
   * come in the order of `work`.
   */
  async apply(work: readonly PoolWork[], t: PoolTime): Promise<PoolResult[]> {
    const leases: LeaseItem[] = [];
    const reports: ReportItem[] = [];
    const slots = work.map((w) => ('lease' in w ? { kind: 'lease', at: leases.push(w.lease) - 1 } : { kind: 'report', at: reports.push(w.report) - 1 }));
    const input = poolInput(reports, leases, t, this.rules, this.random() * 2 - 1);
    const values = [input.reports, input.leases, input.at, input.rules];
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>({ name: 'keypool_apply', text: APPLY_SQL, values }), () => void this.retries++);
    const leased: LeaseRow[] = [];
    const reported: ReportRow[] = [];
    for (const row of rows) {
      if (row.kind === 'lease') leased.push(leaseRow(row));
      else reported.push(reportRow(row));
    }
    return slots.map((slot) => (slot.kind === 'lease' ? { lease: leased[slot.at] } : { report: reported[slot.at] }));
  }
}

/** The key's own columns of a pool statement's row (which also carries the item's outcome and its provider's settings). */
function keyOf(row: Record<string, unknown>): IntegrationRecord {
  const key: Record<string, unknown> = {};
  for (const column of RECORD_COLUMNS) key[column] = row[column];
  return rowToRecord(key);
}

function leaseRow(row: Record<string, unknown>): LeaseRow {
  if (row.lease_skipped !== null) return skippedKeys(row.lease_skipped as never);
  const upstream = upstreamSettingsOf((row.network_config as Partial<NetworkConfig> | null) ?? null);
  return {
    leased: {
      record: keyOf(row),
      encrypted: String(row.credentials_encrypted),
      probe: row.health_status === 'unhealthy',
      baseUrl: (row.base_url as string | null) ?? null,
      baseProviderType: (row.base_provider_type as string | null) ?? null,
      extraHeaders: stringMap(upstream.extraHeaders),
      upstream: { ...upstream, extraHeaders: stringMap(upstream.extraHeaders) },
    },
  };
}

const stringMap = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) : {};

function reportRow(row: Record<string, unknown>): ReportRow {
  const outcome = row.report_outcome;
  if (outcome !== 'reported') return { outcome: outcome === 'not_found' ? 'not_found' : 'already_reported' };
  return {
    outcome: 'reported', record: keyOf(row), previousStatus: row.previous_status as string,
    healthReason: (row.health_reason as string | null) ?? null, wasExceeded: row.was_exceeded as boolean, creditsFlagged: row.credits_flagged as boolean,
  };
}
