/**
 * The pool's hot path in SQL: a batch of leases and reports, of any brands and
 * providers, is one statement (keypool_report, then keypool_lease) and one
 * commit. It is atomic; a deadlock between batches on different instances
 * (their row locks meet in different orders) retries the batch.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { rowToRecord, type IntegrationRecord } from '../integrations/index.js';
import type { SkipReason } from './lease-errors.js';

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
}

export interface LeasedKey {
  record: IntegrationRecord;
  encrypted: string;
  /** The brand's base URL for the provider (network_config.base_url), if it set one. */
  baseUrl: string | null;
  /** The key was unhealthy: this lease is its recovery probe. */
  probe: boolean;
}

export interface SkippedKey {
  integrationId: number;
  reason: SkipReason;
  /** When the key frees up by itself; null when it does not. */
  until: Date | null;
  /** The unavailable environment variable, for environment_unset. */
  variable?: string;
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
}

export type ReportRow =
  | { outcome: 'not_found' }
  | { outcome: 'already_reported' }
  | { outcome: 'reported'; record: IntegrationRecord; previousStatus: string; healthReason: string | null; wasExceeded: boolean; creditsFlagged: boolean };

/** The pool functions' calls, with $-parameters numbered from `first`. */
const leaseCall = (first: number) => {
  const $ = (n: number) => `$${first + n}`;
  return `keypool_lease(${$(0)}::uuid[], ${$(1)}::text[], ${$(2)}::text[], ${$(3)}::boolean[], ${$(4)}, ${$(5)}, ${$(6)}::date, ${$(7)}, ${$(8)}, ${$(9)}, ${$(10)}, ${$(11)}::text[])`;
};
const LEASE_PARAMS = 12;
const REPORT_CALL = `keypool_report($1::uuid[], $2::integer[], $3::uuid[], $4::uuid[], $5::text[], $6::boolean[], $7::integer[], $8::text[],
    $9::integer[], $10::boolean[], $11::numeric[], $12::bigint[], $13::bigint[], $14::integer[],
    $15, $16::date, $17::date, $18, $19, $20, $21, $22, $23, $24, $25::text[])`;
const REPORT_PARAMS = 25;

const LEASE_COLUMNS = `'lease' as kind, l.lease_item as item, l.lease_skipped, nullif(pc.network_config->>'base_url', '') as base_url,
  null::text as report_outcome, null::text as previous_status, null::text as health_reason, null::boolean as was_exceeded,
  null::boolean as credits_flagged, (l.lease_key).*`;
const leaseFrom = (first: number) => `${leaseCall(first)} l
  left join provider_config pc on pc.brand_id = (l.lease_key).brand_id and pc.name = (l.lease_key).provider_name`;
const REPORT_COLUMNS = `'report' as kind, r.report_item as item, null::jsonb as lease_skipped, null::text as base_url,
  r.report_outcome, r.previous_status, r.health_reason, r.was_exceeded, r.credits_flagged, (r.report_key).*`;

/**
 * Three statements, by what a batch holds. Reports and leases together are one statement (one
 * round trip, one commit): the reports are applied first (an append runs its branches in order),
 * so a lease in the same batch sees their health and spend.
 */
const STATEMENTS = {
  lease: { name: 'keypool_lease', text: `select ${LEASE_COLUMNS} from ${leaseFrom(1)} order by item` },
  report: { name: 'keypool_report', text: `select ${REPORT_COLUMNS} from ${REPORT_CALL} r order by item` },
  both: {
    name: 'keypool_report_lease',
    text: `select * from (select 1 as part, ${REPORT_COLUMNS} from ${REPORT_CALL} r) reported
      union all select * from (select 2 as part, ${LEASE_COLUMNS} from ${leaseFrom(REPORT_PARAMS + 1)}) leased
      order by part, item`,
  },
} as const;

const DEADLOCK = '40P01';
const SERIALIZATION = '40001';

/** Runs an atomic statement again when it lost a deadlock (nothing of it was applied). */
async function retryingDeadlocks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== DEADLOCK && code !== SERIALIZATION) || attempt >= 5) throw e;
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
    const statement = reports.length === 0 ? STATEMENTS.lease : leases.length === 0 ? STATEMENTS.report : STATEMENTS.both;
    const values = [...(reports.length > 0 ? this.reportValues(reports, t) : []), ...(leases.length > 0 ? this.leaseValues(leases, t) : [])];
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>({ ...statement, values }));
    const leased: LeaseRow[] = [];
    const reported: ReportRow[] = [];
    for (const row of rows) {
      if (row.kind === 'lease') leased.push(leaseRow(row));
      else reported.push(reportRow(row));
    }
    return slots.map((slot) => (slot.kind === 'lease' ? { lease: leased[slot.at] } : { report: reported[slot.at] }));
  }

  private leaseValues(items: readonly LeaseItem[], t: PoolTime): unknown[] {
    const values = [
      items.map((i) => i.brandId), items.map((i) => i.providerName), items.map((i) => i.model), items.map((i) => i.batch),
      t.now, t.minuteStart, t.today, t.dayKey, t.monthKey, this.rules.probeBaseMs, this.rules.probeMaxMs, this.rules.envAvailable(),
    ];
    if (values.length !== LEASE_PARAMS) throw new Error('keypool_lease takes 12 parameters');
    return values;
  }

  private reportValues(items: readonly ReportItem[], t: PoolTime): unknown[] {
    const r = this.rules;
    return [
      items.map((i) => i.leaseUuid), items.map((i) => i.integrationId), items.map((i) => i.brandId), items.map((i) => i.nodeId),
      items.map((i) => i.model), items.map((i) => i.success), items.map((i) => i.statusCode), items.map((i) => i.errorType),
      items.map((i) => i.retryAfterSeconds), items.map((i) => i.probe), items.map((i) => i.costUsd), items.map((i) => i.promptTokens),
      items.map((i) => i.completionTokens), items.map((i) => i.latencyMs),
      t.now, t.today, t.monthStart, t.dayKey, t.monthKey,
      r.degradedAfter, r.unhealthyAfter, r.rateLimitCooldownMs, r.probeBaseMs, r.probeMaxMs, r.creditProviders,
    ];
  }
}

/** The columns of the pool's statements that are not the key's own. */
const NOT_KEY_COLUMNS = ['part', 'kind', 'item', 'lease_skipped', 'base_url', 'report_outcome', 'previous_status', 'health_reason', 'was_exceeded', 'credits_flagged'];

function keyOf(row: Record<string, unknown>): IntegrationRecord {
  const key: Record<string, unknown> = { ...row };
  for (const column of NOT_KEY_COLUMNS) delete key[column];
  return rowToRecord(key);
}

function leaseRow(row: Record<string, unknown>): LeaseRow {
  if (row.lease_skipped !== null) return skippedKeys(row.lease_skipped as never);
  return {
    leased: {
      record: keyOf(row),
      encrypted: String(row.credentials_encrypted),
      probe: row.health_status === 'unhealthy',
      baseUrl: (row.base_url as string | null) ?? null,
    },
  };
}

function reportRow(row: Record<string, unknown>): ReportRow {
  const outcome = row.report_outcome;
  if (outcome !== 'reported') return { outcome: outcome === 'not_found' ? 'not_found' : 'already_reported' };
  return {
    outcome: 'reported', record: keyOf(row), previousStatus: row.previous_status as string,
    healthReason: (row.health_reason as string | null) ?? null, wasExceeded: row.was_exceeded as boolean, creditsFlagged: row.credits_flagged as boolean,
  };
}
