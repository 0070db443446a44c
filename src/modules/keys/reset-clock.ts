/**
 * Reset clocks: a key's (or a quota group's) daily windows turn at midnight in its IANA zone,
 * the provider's own instant: Google's Gemini quotas reset at midnight America/Los_Angeles,
 * every other provider's at midnight UTC (the default a new key gets from its provider; a key or
 * group may name another zone). Minute windows are UTC minutes for every key.
 */

import { toDate, toDay } from '../../platform/time/dates.js';

/** The zone a new key's daily windows reset in, by the catalog provider it is (or is built on). */
export const providerResetZone = (baseProvider: string): string =>
  (baseProvider === 'google_ai' || baseProvider === 'gemini' || baseProvider === 'vertex' ? 'America/Los_Angeles' : 'UTC');

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (zone: string) => {
  let f = formatters.get(zone);
  if (!f) formatters.set(zone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f;
};

/** Each zone's day for the last UTC minute asked (every zone's days turn on a UTC minute's start). */
const lastDay = new Map<string, { minute: number; day: string }>();

/** The day (YYYY-MM-DD) `now` falls in, in the zone (UTC when none is named). */
export function dayIn(zone: string | null | undefined, now: Date): string {
  const name = zone || 'UTC';
  const minute = Math.floor(now.getTime() / 60_000);
  const seen = lastDay.get(name);
  if (seen?.minute === minute) return seen.day;
  const day = name === 'UTC' ? now.toISOString().slice(0, 10) : formatter(name).format(now);
  lastDay.set(name, { minute, day });
  return day;
}

/** The instant the zone's next day starts after `now` (DST-correct). */
export function nextDayStart(zone: string | null | undefined, now: Date): Date {
  const [y, m, d] = dayIn(zone, now).split('-').map(Number);
  if (!zone || zone === 'UTC') return new Date(Date.UTC(y, m - 1, d + 1));
  // Midnight of the next local day, at the zone's offset then (found from the offset at a guess, then checked once for a DST change).
  const guess = Date.UTC(y, m - 1, d + 1) - offsetMs(zone, now);
  return new Date(Date.UTC(y, m - 1, d + 1) - offsetMs(zone, new Date(guess)));
}

/** The zone's offset from UTC at an instant, in milliseconds (-8 h for Los Angeles in winter). */
function offsetMs(zone: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3_600_000 + Number(match[3]) * 60_000) : 0;
}

/**
 * Whether a name is an IANA zone both Node and PostgreSQL know (Area/Location, or UTC): what
 * Intl.supportedValuesOf lists (canonical names), and the aliases it accepts that name a region.
 */
export function isResetZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) return false;
  if (name === 'UTC') return true;
  if (!/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A window as stored: a timestamp or a date, as node-postgres gives it. */
type Stored = Date | string | null | undefined;

/** A count kept with the UTC minute it is for: the count while that minute lasts, 0 after. */
export const countInMinute = (window: Stored, count: unknown, now: Date): number =>
  (toDate(window)?.getTime() === Math.floor(now.getTime() / 60_000) * 60_000 ? Number(count ?? 0) : 0);

/** A count kept with the day it is for (in `zone`, UTC when none): the count while that day lasts, 0 after. */
export const countInDay = (window: Stored, count: unknown, zone: string | null | undefined, now: Date): number =>
  (toDay(window) === dayIn(zone, now) ? Number(count ?? 0) : 0);
