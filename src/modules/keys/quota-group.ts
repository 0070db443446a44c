/**
 * Quota groups: keys that share one provider quota (a Gemini project, an OpenRouter account)
 * are put in a named group of their brand; the group carries the request and token limits every
 * member draws from (the pool counts them in keypool_reserve, on the group's row, exactly across
 * instances), with its own reset zone for its daily windows. Members keep their own limits too.
 * A key joins a group by naming it (quotaGroup); deleting a group leaves its keys ungrouped.
 *
 * This file: the group as every transport sees it, its input's checks, and its SQL.
 */
import { AppError, field } from '../../platform/errors/app-error.js';
import type { Queryable } from '../../platform/db/sql-pool.js';
import { toDate as asDate } from '../../platform/time/dates.js';
import { isQuotaGroupName, QUOTA_GROUP_NAME_RULE } from './integration-input.js';
import { countInDay, countInMinute, isResetZone } from './reset-clock.js';

export interface QuotaGroupView {
  name: string;
  minuteLimit: number | null;
  dailyLimit: number | null;
  tokenMinuteLimit: number | null;
  tokenDailyLimit: number | null;
  dailyResetZone: string;
  /** Requests counted this minute and today (in the group's zone), and tokens likewise: the figures its limits are judged on. */
  minuteCount: number;
  dailyCount: number;
  tokenMinuteCount: number;
  tokenDailyCount: number;
  /** The keys that draw from the group. */
  integrationIds: number[];
  createdAt: Date;
  updatedAt: Date;
  asOf: Date;
}

export interface QuotaGroupSettings {
  minuteLimit?: number | null;
  dailyLimit?: number | null;
  tokenMinuteLimit?: number | null;
  tokenDailyLimit?: number | null;
  dailyResetZone?: string;
}

export interface CreateQuotaGroupInput extends QuotaGroupSettings {
  name: string;
}

const invalid = (message: string) => new AppError('request.invalid', message);
export const quotaGroupNotFound = () => new AppError('quota_group.not_found', 'Quota group not found');
const MAX_LIMIT = 2_147_483_647;
const LIMITS = ['minuteLimit', 'dailyLimit', 'tokenMinuteLimit', 'tokenDailyLimit'] as const;

export function validateQuotaGroupSettings(s: QuotaGroupSettings): void {
  for (const name of LIMITS) {
    const v = s[name];
    if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_LIMIT)) throw invalid(`${field(name)} must be a whole number from 1 to ${MAX_LIMIT}, or null for none`);
  }
  if (s.dailyResetZone !== undefined && !isResetZone(s.dailyResetZone)) throw invalid(`${field('dailyResetZone')} must be an IANA time zone, e.g. America/Los_Angeles or UTC`);
}

export function validateQuotaGroupName(name: unknown): string {
  if (name === undefined || name === null) throw invalid(`${field('name')} is required`);
  if (!isQuotaGroupName(name)) throw invalid(`${field('name')} ${QUOTA_GROUP_NAME_RULE}`);
  return name;
}

const COLUMNS: Record<(typeof LIMITS)[number] | 'dailyResetZone', string> = {
  minuteLimit: 'minute_limit', dailyLimit: 'daily_limit', tokenMinuteLimit: 'token_minute_limit', tokenDailyLimit: 'token_daily_limit', dailyResetZone: 'daily_reset_zone',
};

const SELECT = `select g.*, coalesce((select array_agg(i.id order by i.id) from integration i where i.brand_id = g.brand_id and i.quota_group = g.name), '{}') as members
  from quota_group g`;

export class QuotaGroupRepository {
  async list(db: Queryable, brandId: string, now: Date): Promise<QuotaGroupView[]> {
    const { rows } = await db.query<Record<string, unknown>>(`${SELECT} where g.brand_id = $1 order by g.name`, [brandId]);
    return rows.map((row) => viewOf(row, now));
  }

  async find(db: Queryable, brandId: string, name: string, now: Date): Promise<QuotaGroupView | null> {
    const { rows } = await db.query<Record<string, unknown>>(`${SELECT} where g.brand_id = $1 and g.name = $2`, [brandId, name]);
    return rows[0] ? viewOf(rows[0], now) : null;
  }

  /** Creates the group; null when the brand has one of that name already. */
  async insert(db: Queryable, brandId: string, input: CreateQuotaGroupInput, now: Date): Promise<boolean> {
    const { rowCount } = await db.query(
      `insert into quota_group (brand_id, name, minute_limit, daily_limit, token_minute_limit, token_daily_limit, daily_reset_zone, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $8) on conflict do nothing`,
      [brandId, input.name, input.minuteLimit ?? null, input.dailyLimit ?? null, input.tokenMinuteLimit ?? null, input.tokenDailyLimit ?? null, input.dailyResetZone ?? 'UTC', now],
    );
    return rowCount === 1;
  }

  /** Writes the settings given (undefined: unchanged); false when there is no such group. */
  async update(db: Queryable, brandId: string, name: string, s: QuotaGroupSettings, now: Date): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [brandId, name, now];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof QuotaGroupSettings, string][]) {
      if (s[key] === undefined) continue;
      values.push(s[key]);
      sets.push(`${column} = $${values.length}`);
    }
    const { rowCount } = await db.query(`update quota_group set ${[...sets, 'updated_at = $3'].join(', ')} where brand_id = $1 and name = $2`, values);
    return rowCount === 1;
  }

  async delete(db: Queryable, brandId: string, name: string): Promise<boolean> {
    const { rowCount } = await db.query('delete from quota_group where brand_id = $1 and name = $2', [brandId, name]);
    return rowCount === 1;
  }
}

function viewOf(row: Record<string, unknown>, now: Date): QuotaGroupView {
  const zone = String(row.daily_reset_zone);
  const inMinute = (window: unknown, n: unknown) => countInMinute(window as Date | null, n, now);
  const inDay = (window: unknown, n: unknown) => countInDay(window as Date | string | null, n, zone, now);
  return {
    name: String(row.name),
    minuteLimit: (row.minute_limit as number | null) ?? null,
    dailyLimit: (row.daily_limit as number | null) ?? null,
    tokenMinuteLimit: (row.token_minute_limit as number | null) ?? null,
    tokenDailyLimit: (row.token_daily_limit as number | null) ?? null,
    dailyResetZone: zone,
    minuteCount: inMinute(row.claim_minute, row.minute_claimed),
    dailyCount: inDay(row.claim_day, row.daily_claimed),
    tokenMinuteCount: inMinute(row.token_minute_window, row.token_minute_count),
    tokenDailyCount: inDay(row.token_day_window, row.token_daily_count),
    integrationIds: (row.members as number[]).map(Number),
    createdAt: asDate(row.created_at as Date)!,
    updatedAt: asDate(row.updated_at as Date)!,
    asOf: now,
  };
}
