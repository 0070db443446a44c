/**
 * A key's request limits as the pool enforces them: the configured limit, or the one its
 * provider's headers last stated when that is tighter (a configured limit is a ceiling that what
 * the provider says can only tighten); null where neither says. The database's claims take the
 * same (least(minute_limit, observed_minute_limit) in keypool_settle).
 */
import type { IntegrationRecord } from '../keys/index.js';

export type LimitFields = Pick<IntegrationRecord, 'minuteLimit' | 'dailyLimit' | 'observedMinuteLimit' | 'observedDailyLimit'>;

const tighter = (configured: number | null | undefined, observed: number | null | undefined): number | null =>
  configured === null || configured === undefined ? observed ?? null : observed === null || observed === undefined ? configured : Math.min(configured, observed);

export function effectiveLimits(k: LimitFields): { minute: number | null; day: number | null } {
  return { minute: tighter(k.minuteLimit, k.observedMinuteLimit), day: tighter(k.dailyLimit, k.observedDailyLimit) };
}
