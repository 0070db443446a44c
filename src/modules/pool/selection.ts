/**
 * The pool's selection rule, as pure functions over the keys an instance
 * holds in memory (the key book): why a key cannot serve a lease now (the
 * first reason that applies, in the documented order), when it frees up by
 * itself, and which eligible key is picked. No I/O, no clock, no randomness of
 * its own: time comes in a PoolTime, the weighted draw as numbers in [0, 1).
 *
 * The minute and daily limits are judged on the allowance every instance has
 * claimed of them (as the database last said) plus what this instance holds
 * unused: a key with room is eligible here, and the claim that follows is
 * what keeps the limit exact.
 */
import { dayIn, modelAllowed, nextDayStart, utcMinuteStart, type IntegrationRecord } from '../keys/index.js';
import { toDate, toDay } from '../../platform/time/dates.js';
import { effectiveLimits } from './effective-limits.js';
import type { SkipReason } from './lease-errors.js';
import type { PoolTime } from './pool-input.js';

/** What a lease asks of a key. */
export interface LeaseAsk {
  model: string | null;
  batch: boolean;
  /** The allow-listed environment variables that are set now. */
  envAvailable: ReadonlySet<string>;
  /** The tokens the request may use (null: not said): reserved of a key's token limits. */
  tokens?: TokenEstimate | null;
}

/**
 * A request's estimated tokens: its input, and the output it may produce (its max_tokens, or the
 * gateway's default). The output part is clamped to what a key's token limits allow.
 */
export interface TokenEstimate {
  input: number;
  output: number;
}

/**
 * The pool's time as a key's windows count it: its day is the day in its reset zone (the same
 * object for a key that resets at UTC midnight).
 */
export function timeOf(k: Pick<IntegrationRecord, 'dailyResetZone'>, t: PoolTime): PoolTime {
  const zone = k.dailyResetZone;
  return !zone || zone === 'UTC' ? t : { ...t, today: dayIn(zone, t.now) };
}

/** Whether a key's leases are counted one by one in the database (token or concurrency limits, a quota group), never from a held slice. */
export const isMetered = (k: IntegrationRecord) =>
  (k.tokenMinuteLimit ?? null) !== null || (k.tokenDailyLimit ?? null) !== null || (k.concurrencyLimit ?? null) !== null || (k.quotaGroup ?? null) !== null;

/** The tokens a lease of the key reserves: the input, and the output clamped to what is left of the key's tightest token limit. */
export function reservationOf(k: IntegrationRecord, tokens: TokenEstimate | null | undefined): number {
  if (!tokens) return 0;
  const limits = [k.tokenMinuteLimit, k.tokenDailyLimit].filter((l): l is number => l !== null && l !== undefined);
  if (limits.length === 0) return tokens.input + tokens.output;
  return tokens.input + Math.min(tokens.output, Math.max(0, Math.min(...limits) - tokens.input));
}

/** Tokens counted of the key in the current minute and day (a past window reads as 0). */
export function tokensOf(k: IntegrationRecord, t: PoolTime): { minute: number; day: number } {
  const minute = toDate(k.tokenMinuteWindow ?? null);
  return {
    minute: minute !== null && minute.getTime() === t.minuteStart.getTime() ? Number(k.tokenMinuteCount ?? 0) : 0,
    day: toDay(k.tokenDayWindow) === t.today ? Number(k.tokenDailyCount ?? 0) : 0,
  };
}

/** Whether a token budget has no room for `need`: spent, or too small for it. */
const tokensShort = (limit: number | null | undefined, used: number, need: number) =>
  limit !== null && limit !== undefined && (used >= limit || need > limit - used);

/** A key as selection sees it: the stored record, and the leases this instance may still grant from its claimed allowance. */
export interface PoolKey {
  record: IntegrationRecord;
  /** Leases this instance holds for the key in the current minute (claimed, not yet granted). */
  held: number;
  /** What the provider last said is left of the key's budgets, as a factor of its draw's weight (headroom.ts; 1 when unknown). */
  headroom?: number;
}

/** Allowance claimed of the key's limits in the current minute and day (a past window reads as 0). */
export function claimedOf(k: IntegrationRecord, t: PoolTime): { minute: number; day: number } {
  const minute = toDate(k.claimMinute ?? null);
  return {
    minute: minute !== null && minute.getTime() === t.minuteStart.getTime() ? (k.minuteClaimed ?? 0) : 0,
    day: toDay(k.claimDay) === t.today ? (k.dailyClaimed ?? 0) : 0,
  };
}

const isAfter = (v: unknown, now: Date) => {
  const d = toDate(v as Date | string | null | undefined);
  return d !== null && d.getTime() > now.getTime();
};

/**
 * Why the key cannot serve the lease at `t` (null: it can). Checked in this order, the first
 * that applies is the reason: inactive; credential unreadable; not a batch key (for a batch
 * lease); an environment variable it refers to is unavailable; out of credits (a 402) until its
 * time, or until a billing sync; the model not allowed; unhealthy until its recovery probe is
 * due; cooling down after a 429; spend-blocked in the current period; the minute limit, then the
 * daily limit, claimed in full in the current window (what this instance holds counts as room);
 * the token minute limit, then the token daily limit, without room for the lease's tokens. (The
 * concurrency limit is judged by the lease's claim, which counts the open leases.)
 */
export function skipReason(key: PoolKey, ask: LeaseAsk, at: PoolTime): SkipReason | null {
  const k = key.record;
  const t = timeOf(k, at);
  if (!k.isActive) return 'inactive';
  if (k.credentialError) return 'credential_unreadable';
  if (ask.batch && !k.useForBatchApi) return 'not_batch';
  if ((k.envRefs ?? []).some((name) => !ask.envAvailable.has(name))) return 'environment_unset';
  if (k.outOfCreditsAt && (k.outOfCreditsUntil === null || k.outOfCreditsUntil === undefined || isAfter(k.outOfCreditsUntil, t.now))) return 'out_of_credits';
  if (ask.model !== null && !modelAllowed(k.models, k.blacklistedModels, ask.model)) return 'model_not_allowed';
  if (k.healthStatus === 'unhealthy' && (k.probeDueAt === null || k.probeDueAt === undefined || isAfter(k.probeDueAt, t.now))) return 'unhealthy';
  if (isAfter(k.cooldownUntil, t.now)) return 'cooling_down';
  if (k.spendLimitExceeded && k.spendLimitAction === 'block'
    && k.spendExceededPeriod === (k.spendLimitPeriod === 'daily' ? t.dayKey : t.monthKey)) return 'spend_blocked';
  if (key.held > 0) return null;
  const claimed = claimedOf(k, t);
  const limits = effectiveLimits(k);
  if (limits.minute !== null && claimed.minute >= limits.minute) return 'minute_limit';
  if (limits.day !== null && claimed.day >= limits.day) return 'daily_limit';
  if (!isMetered(k)) return null;
  const need = reservationOf(k, ask.tokens);
  const used = tokensOf(k, t);
  if (tokensShort(k.tokenMinuteLimit, used.minute, need)) return 'token_minute_limit';
  if (tokensShort(k.tokenDailyLimit, used.day, need)) return 'token_daily_limit';
  // Open leases are counted by the database (the lease's claim): expiries free them up there.
  return null;
}

/** When a skipped key frees up by itself (null: never, or not until something else happens). */
export function skipUntil(key: PoolKey, reason: SkipReason, t: PoolTime, ask?: LeaseAsk): Date | null {
  const k = key.record;
  switch (reason) {
    case 'out_of_credits':
      return toDate(k.outOfCreditsUntil ?? null);
    case 'unhealthy':
      return toDate(k.probeDueAt ?? null);
    case 'cooling_down':
      return toDate(k.cooldownUntil ?? null);
    case 'spend_blocked': {
      const next = k.spendLimitPeriod === 'daily'
        ? new Date(`${t.today}T00:00:00.000Z`).getTime() + 86_400_000
        : Date.UTC(t.now.getUTCFullYear(), t.now.getUTCMonth() + 1, 1);
      return new Date(next);
    }
    case 'minute_limit':
      return new Date(utcMinuteStart(t.now).getTime() + 60_000);
    case 'daily_limit':
      return nextDayStart(k.dailyResetZone, t.now);
    // An estimate larger than the whole limit never fits.
    case 'token_minute_limit':
      return reservationOf(k, ask?.tokens) > (k.tokenMinuteLimit ?? 0) ? null : new Date(utcMinuteStart(t.now).getTime() + 60_000);
    case 'token_daily_limit':
      return reservationOf(k, ask?.tokens) > (k.tokenDailyLimit ?? 0) ? null : nextDayStart(k.dailyResetZone, t.now);
    default:
      return null;
  }
}

/** A due recovery probe: an unhealthy key that is eligible (its probe time has come) is tried before any other. */
export const isProbe = (k: IntegrationRecord) => k.healthStatus === 'unhealthy';

/**
 * The eligible key to lease, in the pool's order: a due recovery probe first, positive weights
 * before zero, priority, healthy before degraded, then weighted random (Efraimidis–Spirakis: the
 * largest ln(1 - u) / weight), each weight taken times the key's headroom, so a key its provider
 * says has more left is preferred. `draw()` gives one uniform draw in [0, 1) per candidate, in order.
 */
export function pickKey<K extends PoolKey>(eligible: readonly K[], draw: () => number): K | null {
  let best: K | null = null;
  let bestRank: number[] = [];
  for (const key of eligible) {
    const k = key.record;
    const weight = Number(k.weight);
    const random = weight > 0 ? Math.log(1 - draw()) / (weight * (key.headroom ?? 1)) : Number.NEGATIVE_INFINITY;
    const rank = [isProbe(k) ? 1 : 0, weight > 0 ? 1 : 0, k.priority, k.healthStatus === 'degraded' ? 0 : 1, random];
    if (best === null || compareRanks(rank, bestRank) > 0) {
      best = key;
      bestRank = rank;
    }
  }
  return best;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? 1 : -1;
  return 0;
}
