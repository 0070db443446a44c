/**
 * The pool's hot path in SQL. Concurrent leases of one brand and provider
 * share one round trip (keypool_lease_many picks and counts each under row
 * locks, so no limit is overshot by any number of callers on any number of
 * instances). A report is one transaction. Candidates are read only to
 * explain a refusal.
 */
import type pg from 'pg';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { integrationFromRow, type IntegrationRecord } from '../integrations/index.js';

export interface CandidateRow {
  id: number;
  is_active: boolean;
  priority: number;
  weight: string;
  health_status: string;
  models: string[] | null;
  blacklisted_models: string[];
  minute_limit: number | null;
  minute_count: number;
  minute_window: Date | string | null;
  daily_limit: number | null;
  daily_count: number;
  day_window: string | null;
  cooldown_until: Date | string | null;
  probe_due_at: Date | string | null;
  spend_limit_exceeded: boolean;
  spend_limit_action: string;
  spend_limit_period: string;
  spend_exceeded_period: string | null;
  credential_error: string | null;
  use_for_batch_api: boolean;
  env_refs: string[];
  out_of_credits_at: Date | string | null;
  out_of_credits_until: Date | string | null;
}

export interface LeasedKey {
  record: IntegrationRecord;
  encrypted: string;
  /** The brand's base URL for the provider (network_config.base_url), if it set one. */
  baseUrl: string | null;
  /** The key was unhealthy: this lease is its recovery probe. */
  probe: boolean;
}

export interface LeaseAttempt {
  brandId: string;
  providerName: string;
  model: string | null;
  batch: boolean;
  /** The environment variables a key may refer to and that are set now. */
  envAvailable: string[];
  now: Date;
  minuteStart: Date;
  today: string;
  dayKey: string;
  monthKey: string;
  probeBaseMs: number;
  probeMaxMs: number;
}

const CANDIDATES_SQL = `select id, is_active, priority, weight, health_status, models, blacklisted_models,
  minute_limit, minute_count, minute_window, daily_limit, daily_count, to_char(day_window, 'YYYY-MM-DD') as day_window,
  cooldown_until, probe_due_at, spend_limit_exceeded, spend_limit_action, spend_limit_period, spend_exceeded_period, credential_error,
  use_for_batch_api, env_refs, out_of_credits_at, out_of_credits_until
  from integration where brand_id = $1 and provider_name = $2 order by id`;

/**
 * Up to $4 leases in one round trip: the database function keypool_lease_many (migration
 * 20261122220000) picks and counts one key at a time under FOR UPDATE, so no limit is
 * overshot. Only the columns a lease and its view need come back.
 */
const LEASE_MANY_SQL = `select l.id, l.key_id, l.provider_name, l.key_label, l.is_active, l.is_primary, l.priority, l.weight, l.models, l.blacklisted_models,
  l.use_for_batch_api, l.keyless, l.key_view, l.credentials_encrypted, l.key_preview, l.daily_limit, l.daily_count, l.day_window, l.minute_limit,
  l.minute_count, l.minute_window, l.health_status, l.consecutive_failures, l.cooldown_until, l.last_used_at, l.spend_limit_amount,
  l.spend_limit_period, l.spend_limit_action, l.spend_limit_exceeded, l.spend_exceeded_period, l.spend_today, l.spend_day, l.spend_month,
  l.spend_month_start, l.cached_balance, l.cached_usage_today, l.cached_usage_month, l.cached_currency, l.billing_synced_at,
  l.billing_error, l.billing_error_at, l.out_of_credits_at, l.out_of_credits_until,
  l.credential_error, l.created_at, l.updated_at, nullif(pc.network_config->>'base_url', '') as base_url
  from keypool_lease_many($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12, $13) l
  left join provider_config pc on pc.brand_id = $1 and pc.name = $2`;

export class LeaseRepository {
  constructor(private readonly pool: SqlPool) {}

  async loadCandidates(brandId: string, providerName: string): Promise<CandidateRow[]> {
    return (await this.pool.query<CandidateRow>({ name: 'keypool_lease_candidates', text: CANDIDATES_SQL, values: [brandId, providerName] })).rows;
  }

  /**
   * Takes a key whose credential cannot be decrypted out of the pool and un-counts the lease
   * just granted on it (a lease that returned no credential must not use up allowance).
   */
  async markCredentialUnreadable(id: number, reason: string, minuteStart: Date, today: string, now: Date): Promise<IntegrationRecord> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `update integration set credential_error = $2, health_status = 'unhealthy', probe_due_at = null, updated_at = $5,
         minute_count = case when minute_window = $3 then greatest(minute_count - 1, 0) else minute_count end,
         daily_count = case when day_window = $4::date then greatest(daily_count - 1, 0) else daily_count end
       where id = $1 returning *`,
      [id, reason, minuteStart, today, now],
    );
    return integrationFromRow(rows[0]);
  }

  /** Counts up to `count` leases against the best eligible keys, in order; fewer come back when the pool runs dry. */
  async leaseMany(a: LeaseAttempt, count: number): Promise<LeasedKey[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>({
      name: 'keypool_lease_many',
      text: LEASE_MANY_SQL,
      values: [a.brandId, a.providerName, a.model, count, a.minuteStart, a.today, a.now, a.dayKey, a.monthKey, a.probeBaseMs, a.probeMaxMs, a.batch, a.envAvailable],
    });
    return rows.map((row) => {
      const { base_url: baseUrl, ...integration } = row;
      return { record: integrationFromRow(integration), encrypted: String(row.credentials_encrypted), probe: row.health_status === 'unhealthy', baseUrl: (baseUrl as string | null) ?? null };
    });
  }
}

export interface HealthRow {
  provider_name: string;
  out_of_credits_at: Date | string | null;
  health_status: string;
  consecutive_failures: number;
  probe_failures: number;
  cooldown_until: Date | string | null;
  probe_due_at: Date | string | null;
  spend_limit_exceeded: boolean;
  spend_exceeded_period: string | null;
  spend_limit_period: string;
}

export interface ReportWrite {
  healthStatus: string;
  consecutiveFailures: number;
  probeFailures: number;
  cooldownUntil: Date | null;
  probeDueAt: Date | null;
  costUsd: string;
  now: Date;
  today: string;
  monthStart: string;
  dayKey: string;
  monthKey: string;
  /** Set for a 402: out of selection until then (null: until a billing sync shows a balance). */
  outOfCreditsUntil?: Date | null;
  ledger: LedgerEntry;
}

export type LedgerOutcome = 'successes' | 'rate_limited' | 'server_errors' | 'auth_errors' | 'client_errors' | 'timeouts' | 'network_errors';

/** One report's line in the daily usage ledger. */
export interface LedgerEntry {
  nodeId: string | null;
  /** Lower-cased ('' when the lease named no model). */
  model: string;
  outcome: LedgerOutcome;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number | null;
}

const OUTCOMES: readonly LedgerOutcome[] = ['successes', 'rate_limited', 'server_errors', 'auth_errors', 'client_errors', 'timeouts', 'network_errors'];

/**
 * One statement for a report: spend (own, judged with the provider's figure by keypool_spend_over),
 * health, a 402's out-of-credits mark, and the report's line in the daily usage ledger (an upsert
 * in a CTE, so the ledger costs no round trip).
 */
const REPORT_SQL = `with cur as (
    select id, brand_id, provider_name,
      case when spend_day = $1::date then spend_today + $2::numeric else $2::numeric end as new_today,
      case when spend_month_start = $3::date then spend_month + $2::numeric else $2::numeric end as new_month
    from integration where id = $4
  ), judged as (
    select cur.*, keypool_spend_over(i.spend_limit_amount, i.spend_limit_period, cur.new_today, cur.new_month,
      i.cached_usage_today, i.cached_usage_month, i.billing_synced_at, $1::date, $3::date) as exceeded
    from cur join integration i on i.id = cur.id
  ), ledger as (
    insert into usage_daily as u (brand_id, integration_id, provider_name, node_id, model, day, requests,
      successes, rate_limited, server_errors, auth_errors, client_errors, timeouts, network_errors,
      prompt_tokens, completion_tokens, cost_usd, latency_ms_sum, latency_ms_max, latency_reports)
    select cur.brand_id, cur.id, cur.provider_name, $15::uuid, $16, $1::date, 1,
      $17::int, $18::int, $19::int, $20::int, $21::int, $22::int, $23::int,
      $24::bigint, $25::bigint, $2::numeric, coalesce($26::int, 0), coalesce($26::int, 0), case when $26::int is null then 0 else 1 end
    from cur
    on conflict (brand_id, day, integration_id, (coalesce(node_id, '00000000-0000-0000-0000-000000000000'::uuid)), model) do update set
      requests = u.requests + 1, successes = u.successes + excluded.successes, rate_limited = u.rate_limited + excluded.rate_limited,
      server_errors = u.server_errors + excluded.server_errors, auth_errors = u.auth_errors + excluded.auth_errors,
      client_errors = u.client_errors + excluded.client_errors, timeouts = u.timeouts + excluded.timeouts,
      network_errors = u.network_errors + excluded.network_errors,
      prompt_tokens = u.prompt_tokens + excluded.prompt_tokens, completion_tokens = u.completion_tokens + excluded.completion_tokens,
      cost_usd = u.cost_usd + excluded.cost_usd, latency_ms_sum = u.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_max = greatest(u.latency_ms_max, excluded.latency_ms_max), latency_reports = u.latency_reports + excluded.latency_reports
  )
  update integration i set
    health_status = $5, consecutive_failures = $6, probe_failures = $7, cooldown_until = $8, probe_due_at = $9,
    spend_today = judged.new_today, spend_day = $1::date,
    spend_month = judged.new_month, spend_month_start = $3::date,
    spend_limit_exceeded = judged.exceeded,
    spend_exceeded_period = case when judged.exceeded then (case when i.spend_limit_period = 'daily' then $10 else $11 end) else null end,
    out_of_credits_at = case when $13::boolean then $12::timestamptz else i.out_of_credits_at end,
    out_of_credits_until = case when $13::boolean then $14::timestamptz else i.out_of_credits_until end,
    updated_at = $12
  from judged where i.id = judged.id
  returning i.*`;

/** Statements of one report, run inside the caller's transaction. */
export class ReportStatements {
  constructor(private readonly tx: pg.PoolClient) {}

  /** False when the lease was reported before. */
  async markReported(leaseUuid: string, integrationId: number, now: Date): Promise<boolean> {
    const { rowCount } = await this.tx.query(
      'insert into reported_lease (lease_id, integration_id, reported_at) values ($1, $2, $3) on conflict do nothing',
      [leaseUuid, integrationId, now],
    );
    return rowCount === 1;
  }

  async lockHealth(integrationId: number, brandId: string): Promise<HealthRow | null> {
    const { rows } = await this.tx.query<HealthRow>(
      `select provider_name, out_of_credits_at, health_status, consecutive_failures, probe_failures, cooldown_until, probe_due_at,
        spend_limit_exceeded, spend_exceeded_period, spend_limit_period
       from integration where id = $1 and brand_id = $2 for update`,
      [integrationId, brandId],
    );
    return rows[0] ?? null;
  }

  async write(integrationId: number, w: ReportWrite): Promise<IntegrationRecord> {
    const l = w.ledger;
    const { rows } = await this.tx.query<Record<string, unknown>>({ name: 'keypool_report', text: REPORT_SQL, values: [
      w.today, w.costUsd, w.monthStart, integrationId,
      w.healthStatus, w.consecutiveFailures, w.probeFailures, w.cooldownUntil, w.probeDueAt,
      w.dayKey, w.monthKey, w.now, w.outOfCreditsUntil !== undefined, w.outOfCreditsUntil ?? null,
      l.nodeId, l.model, ...OUTCOMES.map((o) => (o === l.outcome ? 1 : 0)), l.promptTokens, l.completionTokens, l.latencyMs,
    ] });
    return integrationFromRow(rows[0]);
  }

  /** A node's usage counters: one more report, maybe a failure, and its cost in today's and this month's spend. */
  async addNodeUsage(nodeId: string, u: { failed: boolean; costUsd: string; today: string; monthStart: string }): Promise<void> {
    await this.tx.query(
      `update node set lease_count = lease_count + 1, failure_count = failure_count + $2,
         spend_today = case when spend_day = $3::date then spend_today + $4::numeric else $4::numeric end, spend_day = $3::date,
         spend_month = case when spend_month_start = $5::date then spend_month + $4::numeric else $4::numeric end, spend_month_start = $5::date
       where id = $1`,
      [nodeId, u.failed ? 1 : 0, u.today, u.costUsd, u.monthStart],
    );
  }

}
