import { dayIn } from './reset-clock.js';

/**
 * Request windows: minute_count and daily_count count leases in the current
 * UTC minute and the key's day (in its reset zone: reset-clock.ts). A counter whose window has passed reads as 0, so
 * windows reset by themselves, without a cron.
 */
export const utcMinuteStart = (now: Date) => new Date(Math.floor(now.getTime() / 60_000) * 60_000);

/** The UTC day as YYYY-MM-DD (PostgreSQL `date`). */
export const utcDay = (now: Date) => now.toISOString().slice(0, 10);

/** The first day of the UTC month as YYYY-MM-DD. */
export const utcMonthStart = (now: Date) => `${now.toISOString().slice(0, 7)}-01`;

export const nextUtcMinute = (now: Date) => new Date(utcMinuteStart(now).getTime() + 60_000);

export const nextUtcDay = (now: Date) => new Date(`${utcDay(now)}T00:00:00.000Z`).getTime() + 86_400_000;

export interface WindowedCounters {
  minuteCount: number;
  minuteWindow: Date | null;
  dailyCount: number;
  dayWindow: string | null;
}

/** The counters as they stand at `now` (the day's in the key's reset zone). */
export function currentCounts(c: WindowedCounters, now: Date, zone?: string | null): { minuteCount: number; dailyCount: number } {
  const minuteCurrent = c.minuteWindow !== null && c.minuteWindow.getTime() === utcMinuteStart(now).getTime();
  return {
    minuteCount: minuteCurrent ? c.minuteCount : 0,
    dailyCount: c.dayWindow === dayIn(zone, now) ? c.dailyCount : 0,
  };
}
