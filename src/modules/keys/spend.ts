/**
 * Spend periods: a spend limit is exceeded within one UTC day or month; the
 * next period re-arms it (no cron: the stored period simply stops matching).
 */
import type { SpendLimitPeriod } from '../keys/integration.entity.js';

export function spendPeriodKey(period: SpendLimitPeriod | string, now: Date): string {
  return period === 'daily' ? now.toISOString().slice(0, 10) : now.toISOString().slice(0, 7);
}

/** Whether the stored exceeded flag still holds at `now`. */
export function isSpendExceeded(flag: boolean, exceededPeriod: string | null, period: string, now: Date): boolean {
  return flag && exceededPeriod === spendPeriodKey(period, now);
}
