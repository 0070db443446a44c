/**
 * The pool's hot path in SQL, one round trip each. A lease is one statement
 * that picks the best eligible key and counts it, re-checking every limit on
 * the locked row, so no limit is overshot by any number of callers on any
 * number of instances. A report is one transaction.
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
}

export interface LeaseAttempt {
  brandId: string;
  providerName: string;
  model: string | null;
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
  cooldown_until, probe_due_at, spend_limit_exceeded, spend_limit_action, spend_limit_period, spend_exceeded_period
  from integration where brand_id = $1 and provider_name = $2 order by id`;

/** What a view and a lease need of a row (not the brand, the fingerprint or probe bookkeeping). */
const VIEW_COLUMNS = `i.id, i.key_id, i.provider_name, i.key_label, i.is_active, i.is_primary, i.priority, i.weight, i.models, i.blacklisted_models, i.credentials_encrypted, i.key_preview, i.daily_limit, i.daily_count, i.day_window, i.minute_limit, i.minute_count, i.minute_window, i.health_status, i.consecutive_failures, i.cooldown_until, i.last_used_at, i.spend_limit_amount, i.spend_limit_period, i.spend_limit_action, i.spend_limit_exceeded, i.spend_exceeded_period, i.spend_today, i.spend_day, i.spend_month, i.spend_month_start, i.cached_balance, i.cached_usage_today, i.cached_usage_month, i.cached_currency, i.billing_synced_at, i.created_at, i.updated_at`;

/**
 * Picks and counts in one statement. The pick follows selection.ts: a due
 * probe first, positive weights before weight 0, priority descending, healthy
 * before degraded, then weighted random (Efraimidis–Spirakis: ln(u)/w, highest
 * first). FOR UPDATE makes a concurrent caller wait for the row and re-check
 * every condition on its new version, moving on to the next key if it fails.
 */
const LEASE_SQL = `with pick as (
    select id from integration
    where brand_id = $1 and provider_name = $2 and is_active
      and ($3::text is null or ((models is null or cardinality(models) = 0 or $3 = any(models)) and not ($3 = any(blacklisted_models))))
      and (minute_limit is null or minute_window is distinct from $4 or minute_count < minute_limit)
      and (daily_limit is null or day_window is distinct from $5::date or daily_count < daily_limit)
      and (cooldown_until is null or cooldown_until <= $6)
      and (health_status <> 'unhealthy' or probe_due_at <= $6)
      and not (spend_limit_exceeded and spend_limit_action = 'block'
        and spend_exceeded_period = case when spend_limit_period = 'daily' then $7 else $8 end)
    order by (health_status = 'unhealthy') desc, (weight > 0) desc, priority desc, (health_status = 'degraded') asc,
      ln(1 - random()) / nullif(weight, 0) desc nulls last
    limit 1
    for update
  )
  update integration i set
    minute_count = case when i.minute_window = $4 then i.minute_count + 1 else 1 end,
    minute_window = $4,
    daily_count = case when i.day_window = $5::date then i.daily_count + 1 else 1 end,
    day_window = $5::date,
    last_used_at = $6,
    updated_at = $6,
    probe_due_at = case when i.health_status = 'unhealthy'
      then $6::timestamptz + least($9 * power(2, least(i.probe_failures, 40)), $10) * interval '1 millisecond'
      else i.probe_due_at end
  from pick where i.id = pick.id
  returning ${VIEW_COLUMNS}`;

export class LeaseRepository {
  constructor(private readonly pool: SqlPool) {}

  async loadCandidates(brandId: string, providerName: string): Promise<CandidateRow[]> {
    return (await this.pool.query<CandidateRow>({ name: 'keypool_lease_candidates', text: CANDIDATES_SQL, values: [brandId, providerName] })).rows;
  }

  /** Counts one lease against the best eligible key; null when none is eligible. `probe`: the key was unhealthy. */
  async leaseBest(a: LeaseAttempt): Promise<{ record: IntegrationRecord; encrypted: string; probe: boolean } | null> {
    const { rows } = await this.pool.query<Record<string, unknown>>({
      name: 'keypool_lease',
      text: LEASE_SQL,
      values: [a.brandId, a.providerName, a.model, a.minuteStart, a.today, a.now, a.dayKey, a.monthKey, a.probeBaseMs, a.probeMaxMs],
    });
    if (rows.length === 0) return null;
    const row = rows[0];
    return { record: integrationFromRow(row), encrypted: String(row.credentials_encrypted), probe: row.health_status === 'unhealthy' };
  }
}

export interface HealthRow {
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
}

const REPORT_SQL = `with cur as (
    select id,
      case when spend_day = $1::date then spend_today + $2::numeric else $3::numeric end as new_today,
      case when spend_month_start = $4::date then spend_month + $5::numeric else $6::numeric end as new_month
    from integration where id = $7
  ), judged as (
    select cur.*, (i.spend_limit_amount is not null
      and (case when i.spend_limit_period = 'daily' then cur.new_today else cur.new_month end) >= i.spend_limit_amount) as exceeded
    from cur join integration i on i.id = cur.id
  )
  update integration i set
    health_status = $8, consecutive_failures = $9, probe_failures = $10, cooldown_until = $11, probe_due_at = $12,
    spend_today = judged.new_today, spend_day = $13::date,
    spend_month = judged.new_month, spend_month_start = $14::date,
    spend_limit_exceeded = judged.exceeded,
    spend_exceeded_period = case when judged.exceeded then (case when i.spend_limit_period = 'daily' then $15 else $16 end) else null end,
    updated_at = $17
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
      `select health_status, consecutive_failures, probe_failures, cooldown_until, probe_due_at,
        spend_limit_exceeded, spend_exceeded_period, spend_limit_period
       from integration where id = $1 and brand_id = $2 for update`,
      [integrationId, brandId],
    );
    return rows[0] ?? null;
  }

  async write(integrationId: number, w: ReportWrite): Promise<IntegrationRecord> {
    const { rows } = await this.tx.query<Record<string, unknown>>({ name: 'keypool_report', text: REPORT_SQL, values: [
      w.today, w.costUsd, w.costUsd, w.monthStart, w.costUsd, w.costUsd, integrationId,
      w.healthStatus, w.consecutiveFailures, w.probeFailures, w.cooldownUntil, w.probeDueAt,
      w.today, w.monthStart, w.dayKey, w.monthKey, w.now,
    ] });
    return integrationFromRow(rows[0]);
  }

  /** Reported leases older than any live lease can go: their tokens have expired. */
  async purgeReportedBefore(cutoff: Date): Promise<void> {
    await this.tx.query('delete from reported_lease where reported_at < $1', [cutoff]);
  }
}
