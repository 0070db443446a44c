/**
 * The pool's hot path in SQL. A lease is one conditional UPDATE that
 * re-checks every limit on the locked row, so no limit is overshot by any
 * number of callers on any number of instances; a report is one transaction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { IntegrationSchema, type IntegrationEntity } from '../integrations/index.js';

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
  integrationId: number;
  brandId: string;
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
  from integration where brand_id = ? and provider_name = ? order by id`;

const LEASE_SQL = `update integration set
    minute_count = case when minute_window = ? then minute_count + 1 else 1 end,
    minute_window = ?,
    daily_count = case when day_window = ?::date then daily_count + 1 else 1 end,
    day_window = ?::date,
    last_used_at = ?,
    updated_at = ?,
    probe_due_at = case when health_status = 'unhealthy'
      then ?::timestamptz + least(? * power(2, least(probe_failures, 40)), ?) * interval '1 millisecond'
      else probe_due_at end
  where id = ? and brand_id = ? and is_active
    and (minute_limit is null or minute_window is distinct from ? or minute_count < minute_limit)
    and (daily_limit is null or day_window is distinct from ?::date or daily_count < daily_limit)
    and (cooldown_until is null or cooldown_until <= ?)
    and (health_status <> 'unhealthy' or probe_due_at <= ?)
    and not (spend_limit_exceeded and spend_limit_action = 'block'
      and spend_exceeded_period = case when spend_limit_period = 'daily' then ? else ? end)
  returning *`;

export class LeaseRepository {
  constructor(private readonly em: EntityManager) {}

  loadCandidates(brandId: string, providerName: string): Promise<CandidateRow[]> {
    return this.em.getConnection().execute<CandidateRow[]>(CANDIDATES_SQL, [brandId, providerName]);
  }

  /** Counts one lease against the key if it is still eligible; null when it no longer is. */
  async tryLease(a: LeaseAttempt): Promise<{ entity: IntegrationEntity; encrypted: string } | null> {
    const rows = await this.em.getConnection().execute<Record<string, unknown>[]>(LEASE_SQL, [
      a.minuteStart, a.minuteStart, a.today, a.today, a.now, a.now,
      a.now, a.probeBaseMs, a.probeMaxMs,
      a.integrationId, a.brandId,
      a.minuteStart, a.today, a.now, a.now, a.dayKey, a.monthKey,
    ]);
    if (rows.length === 0) return null;
    const row = rows[0];
    return { entity: this.em.fork().map(IntegrationSchema, row), encrypted: String(row.credentials_encrypted) };
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
      case when spend_day = ?::date then spend_today + ?::numeric else ?::numeric end as new_today,
      case when spend_month_start = ?::date then spend_month + ?::numeric else ?::numeric end as new_month
    from integration where id = ?
  ), judged as (
    select cur.*, (i.spend_limit_amount is not null
      and (case when i.spend_limit_period = 'daily' then cur.new_today else cur.new_month end) >= i.spend_limit_amount) as exceeded
    from cur join integration i on i.id = cur.id
  )
  update integration i set
    health_status = ?, consecutive_failures = ?, probe_failures = ?, cooldown_until = ?, probe_due_at = ?,
    spend_today = judged.new_today, spend_day = ?::date,
    spend_month = judged.new_month, spend_month_start = ?::date,
    spend_limit_exceeded = judged.exceeded,
    spend_exceeded_period = case when judged.exceeded then (case when i.spend_limit_period = 'daily' then ? else ? end) else null end,
    updated_at = ?
  from judged where i.id = judged.id
  returning i.*`;

/** Statements of one report, run inside the caller's transaction. */
export class ReportStatements {
  constructor(private readonly tx: EntityManager) {}

  /** False when the lease was reported before. */
  async markReported(leaseUuid: string, integrationId: number, now: Date): Promise<boolean> {
    const rows = await this.tx.execute<unknown[]>(
      'insert into reported_lease (lease_id, integration_id, reported_at) values (?, ?, ?) on conflict do nothing returning lease_id',
      [leaseUuid, integrationId, now],
    );
    return rows.length === 1;
  }

  async lockHealth(integrationId: number, brandId: string): Promise<HealthRow | null> {
    const rows = await this.tx.execute<HealthRow[]>(
      `select health_status, consecutive_failures, probe_failures, cooldown_until, probe_due_at,
        spend_limit_exceeded, spend_exceeded_period, spend_limit_period
       from integration where id = ? and brand_id = ? for update`,
      [integrationId, brandId],
    );
    return rows[0] ?? null;
  }

  async write(integrationId: number, w: ReportWrite): Promise<IntegrationEntity> {
    const rows = await this.tx.execute<Record<string, unknown>[]>(REPORT_SQL, [
      w.today, w.costUsd, w.costUsd, w.monthStart, w.costUsd, w.costUsd, integrationId,
      w.healthStatus, w.consecutiveFailures, w.probeFailures, w.cooldownUntil, w.probeDueAt,
      w.today, w.monthStart, w.dayKey, w.monthKey, w.now,
    ]);
    return this.tx.fork().map(IntegrationSchema, rows[0]);
  }

  /** Reported leases older than any live lease can go: their tokens have expired. */
  async purgeReportedBefore(cutoff: Date): Promise<void> {
    await this.tx.execute('delete from reported_lease where reported_at < ?', [cutoff]);
  }
}
