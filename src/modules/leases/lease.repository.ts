/**
 * The pool's hot path in SQL: a batch of leases, of any brands and providers,
 * is one statement (keypool_lease), and so is a batch of reports
 * (keypool_report). Both are atomic; a deadlock between batches on different
 * instances (their row locks meet in different orders) retries the batch.
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

const LEASE_SQL = `select l.lease_item, l.lease_skipped, (l.lease_key).*, nullif(pc.network_config->>'base_url', '') as base_url
  from keypool_lease($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5, $6, $7::date, $8, $9, $10, $11, $12::text[]) l
  left join provider_config pc on pc.brand_id = (l.lease_key).brand_id and pc.name = (l.lease_key).provider_name
  order by l.lease_item`;

const REPORT_SQL = `select r.report_item, r.report_outcome, r.previous_status, r.health_reason, r.was_exceeded, r.credits_flagged, (r.report_key).*
  from keypool_report($1::uuid[], $2::integer[], $3::uuid[], $4::uuid[], $5::text[], $6::boolean[], $7::integer[], $8::text[],
    $9::integer[], $10::boolean[], $11::numeric[], $12::bigint[], $13::bigint[], $14::integer[],
    $15, $16::date, $17::date, $18, $19, $20, $21, $22, $23, $24, $25::text[]) r
  order by r.report_item`;

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

  /** Leases one key per item, in order: each row is the key, counted, or why every key was skipped. */
  async lease(items: readonly LeaseItem[], t: PoolTime): Promise<LeaseRow[]> {
    const values = [
      items.map((i) => i.brandId), items.map((i) => i.providerName), items.map((i) => i.model), items.map((i) => i.batch),
      t.now, t.minuteStart, t.today, t.dayKey, t.monthKey, this.rules.probeBaseMs, this.rules.probeMaxMs, this.rules.envAvailable(),
    ];
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>({ name: 'keypool_lease', text: LEASE_SQL, values }));
    return rows.map((row): LeaseRow => {
      const { lease_item: _item, lease_skipped: skipped, base_url: baseUrl, ...integration } = row;
      if (skipped !== null) return skippedKeys(skipped as never);
      return {
        leased: {
          record: rowToRecord(integration),
          encrypted: String(row.credentials_encrypted),
          probe: row.health_status === 'unhealthy',
          baseUrl: (baseUrl as string | null) ?? null,
        },
      };
    });
  }

  /** Applies each report (each outcome its own), in one statement. */
  async report(items: readonly ReportItem[], t: PoolTime): Promise<ReportRow[]> {
    const r = this.rules;
    const values = [
      items.map((i) => i.leaseUuid), items.map((i) => i.integrationId), items.map((i) => i.brandId), items.map((i) => i.nodeId),
      items.map((i) => i.model), items.map((i) => i.success), items.map((i) => i.statusCode), items.map((i) => i.errorType),
      items.map((i) => i.retryAfterSeconds), items.map((i) => i.probe), items.map((i) => i.costUsd), items.map((i) => i.promptTokens),
      items.map((i) => i.completionTokens), items.map((i) => i.latencyMs),
      t.now, t.today, t.monthStart, t.dayKey, t.monthKey,
      r.degradedAfter, r.unhealthyAfter, r.rateLimitCooldownMs, r.probeBaseMs, r.probeMaxMs, r.creditProviders,
    ];
    const { rows } = await retryingDeadlocks(() => this.pool.query<Record<string, unknown>>({ name: 'keypool_report', text: REPORT_SQL, values }));
    return rows.map((row): ReportRow => {
      const { report_item: _item, report_outcome: outcome, previous_status: previousStatus, health_reason: healthReason, was_exceeded: wasExceeded, credits_flagged: creditsFlagged, ...integration } = row;
      if (outcome !== 'reported') return { outcome: outcome === 'not_found' ? 'not_found' : 'already_reported' };
      return {
        outcome: 'reported', record: rowToRecord(integration), previousStatus: previousStatus as string,
        healthReason: (healthReason as string | null) ?? null, wasExceeded: wasExceeded as boolean, creditsFlagged: creditsFlagged as boolean,
      };
    });
  }
}
