/**
 * Capacity: per provider of a brand, what is left of its limits this minute and today, requests
 * and tokens, and, at today's rate so far, when today's runs out. Pure: the service reads the keys
 * and groups, this adds them up.
 *
 * Each key counts once (its limits: the configured ones, tightened by those its provider stated;
 * its use: what every instance has claimed of them). A quota group counts once however many of
 * its keys serve the provider: what is left of it is the smaller of the group's own remainder and
 * its keys' together, so a group's keys are never counted as extra capacity. A key or group
 * without a limit of a window leaves that window unlimited (null).
 */
import { countInDay, countInMinute, nextDayStart, utcMinuteStart, type IntegrationRecord, type QuotaGroupView } from '../keys/index.js';
import { effectiveLimits } from './effective-limits.js';

/** One window's figures: its limit (null: none), what is used, what is left (null: unlimited), and when it next resets. */
export interface Budget {
  limit: number | null;
  used: number;
  remaining: number | null;
  resetsAt: Date;
}

export interface ProviderCapacity {
  providerName: string;
  /** Active keys with a readable credential. */
  keys: number;
  requestsThisMinute: Budget;
  requestsToday: Budget;
  tokensThisMinute: Budget;
  tokensToday: Budget;
  /** Today's average so far, per minute. */
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** When today's requests (tokens) run out at that rate; null when they last until the daily reset, or are unlimited. */
  requestsRunOutAt: Date | null;
  tokensRunOutAt: Date | null;
}

/** A holder of limits in one window: a key, or a group (over its keys of the provider). */
interface Held {
  limit: number | null;
  used: number;
}

const INF = Number.POSITIVE_INFINITY;
const finite = (n: number) => (Number.isFinite(n) ? n : null);

/** Adds up holders: limits and what is left (each holder's at least 0), unlimited when one holder is. */
function total(holders: Held[], resetsAt: Date): Budget {
  let limit = 0;
  let used = 0;
  let remaining = 0;
  for (const h of holders) {
    used += h.used;
    limit += h.limit ?? INF;
    remaining += h.limit === null ? INF : Math.max(0, h.limit - h.used);
  }
  return { limit: holders.length === 0 ? 0 : finite(limit), used, remaining: holders.length === 0 ? 0 : finite(remaining), resetsAt };
}

/** A group over its keys of the provider: the smaller of its own remainder and theirs together. */
function groupHeld(group: Held, members: Held[]): Held {
  const keys = total(members, new Date(0));
  const groupLeft = group.limit === null ? INF : Math.max(0, group.limit - group.used);
  const left = Math.min(groupLeft, keys.remaining ?? INF);
  if (!Number.isFinite(left)) return { limit: null, used: Math.max(group.used, keys.used) };
  const used = Math.max(group.used, keys.used);
  return { limit: used + left, used };
}

interface Window {
  key: (k: IntegrationRecord, now: Date) => Held;
  group: (g: QuotaGroupView) => Held;
}


const WINDOWS: Record<'requestsThisMinute' | 'requestsToday' | 'tokensThisMinute' | 'tokensToday', Window> = {
  requestsThisMinute: {
    key: (k, now) => ({ limit: effectiveLimits(k).minute, used: countInMinute(k.claimMinute, k.minuteClaimed, now) }),
    group: (g) => ({ limit: g.minuteLimit, used: g.minuteCount }),
  },
  requestsToday: {
    key: (k, now) => ({ limit: effectiveLimits(k).day, used: countInDay(k.claimDay, k.dailyClaimed, k.dailyResetZone, now) }),
    group: (g) => ({ limit: g.dailyLimit, used: g.dailyCount }),
  },
  tokensThisMinute: {
    key: (k, now) => ({ limit: k.tokenMinuteLimit ?? null, used: countInMinute(k.tokenMinuteWindow, k.tokenMinuteCount, now) }),
    group: (g) => ({ limit: g.tokenMinuteLimit, used: g.tokenMinuteCount }),
  },
  tokensToday: {
    key: (k, now) => ({ limit: k.tokenDailyLimit ?? null, used: countInDay(k.tokenDayWindow, k.tokenDailyCount, k.dailyResetZone, now) }),
    group: (g) => ({ limit: g.tokenDailyLimit, used: g.tokenDailyCount }),
  },
};

/** Each provider's capacity, by provider name. `keys`: the brand's active keys with readable credentials. */
export function capacityOf(keys: readonly IntegrationRecord[], groups: readonly QuotaGroupView[], now: Date): ProviderCapacity[] {
  const byGroup = new Map(groups.map((g) => [g.name, g]));
  const byProvider = new Map<string, IntegrationRecord[]>();
  for (const k of keys) byProvider.set(k.providerName, [...(byProvider.get(k.providerName) ?? []), k]);
  const nextMinute = new Date(utcMinuteStart(now).getTime() + 60_000);
  return [...byProvider.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([providerName, members]) => {
    const grouped = new Map<string, IntegrationRecord[]>();
    const alone: IntegrationRecord[] = [];
    for (const k of members) {
      const group = k.quotaGroup ? byGroup.get(k.quotaGroup) : undefined;
      if (group) grouped.set(group.name, [...(grouped.get(group.name) ?? []), k]);
      else alone.push(k);
    }
    // The earliest daily reset of any key or group of the provider.
    const dayReset = new Date(Math.min(
      ...alone.map((k) => nextDayStart(k.dailyResetZone, now).getTime()),
      ...[...grouped.keys()].map((name) => nextDayStart(byGroup.get(name)!.dailyResetZone, now).getTime()),
    ));
    const budget = (w: Window, resetsAt: Date) => total([
      ...alone.map((k) => w.key(k, now)),
      ...[...grouped.entries()].map(([name, ks]) => groupHeld(w.group(byGroup.get(name)!), ks.map((k) => w.key(k, now)))),
    ], resetsAt);
    const requestsToday = budget(WINDOWS.requestsToday, dayReset);
    const tokensToday = budget(WINDOWS.tokensToday, dayReset);
    // Today's rate: each key's count of its day over the minutes its day has run.
    const perMinute = (count: (k: IntegrationRecord) => number) => members.reduce((sum, k) => {
      const minutes = Math.max(1, (now.getTime() - (nextDayStart(k.dailyResetZone, now).getTime() - 86_400_000)) / 60_000);
      return sum + count(k) / minutes;
    }, 0);
    const requestsPerMinute = perMinute((k) => countInDay(k.dayWindow, k.dailyCount, k.dailyResetZone, now));
    const tokensPerMinute = perMinute((k) => countInDay(k.tokenDayWindow, k.tokenDailyCount, k.dailyResetZone, now));
    const runOut = (left: number | null, rate: number) => {
      if (left === null || rate <= 0) return null;
      const at = now.getTime() + (left / rate) * 60_000;
      return at < dayReset.getTime() ? new Date(at) : null;
    };
    return {
      providerName, keys: members.length,
      requestsThisMinute: budget(WINDOWS.requestsThisMinute, nextMinute), requestsToday,
      tokensThisMinute: budget(WINDOWS.tokensThisMinute, nextMinute), tokensToday,
      requestsPerMinute: round(requestsPerMinute), tokensPerMinute: round(tokensPerMinute),
      requestsRunOutAt: runOut(requestsToday.remaining, requestsPerMinute), tokensRunOutAt: runOut(tokensToday.remaining, tokensPerMinute),
    };
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
