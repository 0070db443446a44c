/**
 * The pool's hot path in SQL: a batch of leases and reports, of any brands and
 * providers, is one statement (keypool_apply: the keys locked in key order,
 * then the reports, then the leases) and one commit. It is atomic; should a
 * deadlock still happen (a key created while the batch ran), the batch is
 * retried.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { rowToRecord, type IntegrationRecord } from '../keys/index.js';
import type { SkipReason, SkippedKey } from './lease-errors.js';

export type { SkippedKey } from './lease-errors.js';
import { upstreamSettingsOf, type NetworkConfig, type UpstreamSettings } from '../providers/index.js';

/** One instant of the pool's clock, with the windows the rules count in. */
export interface PoolTime {
  now: Date;
  minuteStart: Date;
  today: string;
  monthStart: string;
  dayKey: string;
  monthKey: string;
}

export interface LeaseItem {
  brandId: string;
  providerName: string;
  model: string | null;
  batch: boolean;
  /** Keys this lease must not be (the gateway's failover never retries a key it just tried). */
  exclude: readonly number[];
}

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
  | { outcome: 'reported'; record: IntegrationRecord; previousStatus: string; healthReason: string | null; wasExceeded: boolean; creditsFlagged: boolean };

/** One statement for any batch (keypool_apply with empty arrays for what it does not hold). */
const APPLY_SQL = `select a.kind, a.item, a.lease_skipped, nullif(pc.network_config->>'base_url', '') as base_url,
    case when pc.custom then pc.base_provider_type end as base_provider_type, pc.network_config,
    a.report_outcome, a.previous_status, a.health_reason, a.was_exceeded, a.credits_flagged, (a.key).*
  from keypool_apply($1::uuid[], $2::integer[], $3::uuid[], $4::uuid[], $5::text[], $6::boolean[], $7::integer[], $8::text[],
    $9::integer[], $10::boolean[], $11::numeric[], $12::bigint[], $13::bigint[], $14::integer[], $15::integer[],
    $16::uuid[], $17::text[], $18::text[], $19::boolean[], $20::integer[], $21::integer[],
    $22, $23, $24::date, $25::date, $26, $27, $28, $29, $30, $31, $32, $33::text[], $34::text[]) a
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
    const r = this.rules;
    const values = [
      reports.map((i) => i.leaseUuid), reports.map((i) => i.integrationId), reports.map((i) => i.brandId), reports.map((i) => i.nodeId),
      reports.map((i) => i.model), reports.map((i) => i.success), reports.map((i) => i.statusCode), reports.map((i) => i.errorType),
      reports.map((i) => i.retryAfterSeconds), reports.map((i) => i.probe), reports.map((i) => i.costUsd), reports.map((i) => i.promptTokens),
      reports.map((i) => i.completionTokens), reports.map((i) => i.latencyMs), reports.map((i) => i.firstTokenMs),
      leases.map((i) => i.brandId), leases.map((i) => i.providerName), leases.map((i) => i.model), leases.map((i) => i.batch),
      leases.flatMap((i, at) => i.exclude.map(() => at + 1)), leases.flatMap((i) => i.exclude),
      t.now, t.minuteStart, t.today, t.monthStart, t.dayKey, t.monthKey,
      r.degradedAfter, r.unhealthyAfter, r.rateLimitCooldownMs, r.probeBaseMs, r.probeMaxMs, r.creditProviders, r.envAvailable(),
    ];
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

/** The columns of the pool's statements that are not the key's own. */
const NOT_KEY_COLUMNS = ['kind', 'item', 'lease_skipped', 'base_url', 'base_provider_type', 'network_config', 'report_outcome', 'previous_status', 'health_reason', 'was_exceeded', 'credits_flagged'];

function keyOf(row: Record<string, unknown>): IntegrationRecord {
  const key: Record<string, unknown> = { ...row };
  for (const column of NOT_KEY_COLUMNS) delete key[column];
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
