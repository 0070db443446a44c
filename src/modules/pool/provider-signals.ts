/**
 * What a provider's own answer says about a key, read from a report's status, response headers
 * and error body: the class of the outcome (each drives its own action in keypool_health) and,
 * where the provider says so, until when the key should rest.
 *
 * - credential dead: 401 or 403, Gemini's 400 `API_KEY_INVALID`, or an error body that says the
 *   key or account is suspended, deactivated, disabled or revoked: out at once, until a recovery
 *   probe succeeds, with the reason in the health event.
 * - quota exhausted: a 429 whose body says a daily quota is spent (Gemini's `QuotaFailure` with a
 *   `…PerDay…` quota, OpenAI's `insufficient_quota`): resting until the key's next daily reset
 *   (midnight in its reset zone: America/Los_Angeles for Gemini unless set, UTC for the others).
 * - rate limited: a 429 otherwise: resting for the stated delay, the longest of `Retry-After`,
 *   Gemini's `RetryInfo.retryDelay` and the reset of an exhausted `x-ratelimit-*` /
 *   `anthropic-ratelimit-*` budget (the configured cooldown when none says). A rest is only ever
 *   extended, never shortened.
 * - provider overloaded: Anthropic's 529, or a 503 whose body says "overloaded": the provider's
 *   trouble, not the key's, so no penalty on the key; instead every key of the provider in the
 *   brand rests for the stated delay (OVERLOAD_BACKOFF_MS when none is stated).
 * - any other 4xx is the caller's (no penalty), any other 5xx, a timeout or a network error a
 *   failure that counts towards degraded and unhealthy, as before.
 * A success whose headers say a budget is spent (`x-ratelimit-remaining-requests: 0`, …) rests the
 * key until that budget resets, before the provider has to refuse it. And where a provider
 * documents which window its limit header counts, the request limit it states is read too
 * (statedLimits): the pool enforces the tighter of it and the key's configured limit.
 */

import { nextDayStart } from '../keys/index.js';
import { parseProviderBody, providerError, providerMessage } from '../providers/index.js';

export type OutcomeClass = 'credential_dead' | 'quota_exhausted' | 'rate_limited' | 'overloaded';

export interface ReportSignals {
  /** A class the provider's answer settles (null: the status and error type decide, as before). */
  outcomeClass: OutcomeClass | null;
  /** Until when the key rests, as the provider said (null: it said nothing of it). */
  restUntil: Date | null;
  /** What the provider said, for the health event (never the body itself). */
  detail: string | null;
}

export interface ReportFacts {
  /** The catalog provider the key's provider is, or is built on. */
  baseProvider: string;
  /** The IANA zone the key's daily windows reset in (its provider's, unless set). */
  resetZone: string;
  success: boolean;
  statusCode?: number;
  errorType?: string;
  retryAfterSeconds?: number;
  /** Response headers, names lower-cased. */
  headers: Readonly<Record<string, string>>;
  errorBody: string | null;
}

/** Headers keypool reads (the rest of a report's headers are dropped at once). */
export const SIGNAL_HEADER = /^(retry-after|x-ratelimit-(limit|remaining|reset)-(requests|tokens)(-day|-minute)?|anthropic-ratelimit-(requests|tokens|input-tokens|output-tokens)-(limit|remaining|reset))$/;

/**
 * Which header states a provider's request limit per minute or per day, where its documentation
 * says so (the same header means a minute at OpenAI and a day at Groq; a provider not listed is
 * not read).
 */
const STATED_LIMITS: Readonly<Record<string, { minute?: string; day?: string }>> = {
  openai: { minute: 'x-ratelimit-limit-requests' },
  anthropic: { minute: 'anthropic-ratelimit-requests-limit' },
  groq: { day: 'x-ratelimit-limit-requests' },
  cerebras: { day: 'x-ratelimit-limit-requests-day' },
};

/** The request limits a provider's headers state for a key (only where its documentation says which window a header counts). */
export function statedLimits(baseProvider: string, headers: Readonly<Record<string, string>>): { minute: number | null; day: number | null } {
  const known = STATED_LIMITS[baseProvider];
  const read = (name: string | undefined) => {
    if (!known || name === undefined || headers[name] === undefined) return null;
    const value = Number(headers[name]);
    return Number.isSafeInteger(value) && value > 0 && value <= 2_147_483_647 ? value : null;
  };
  return { minute: read(known?.minute), day: read(known?.day) };
}

/** A key or account said to be out for good ("This account has been suspended", "API key revoked"); a disabled model is not. */
const STATE = 'suspended|deactivated|disabled|revoked|banned';
const OWNER = 'api[ _-]?key|key|account|organization|organisation|project';
const DEAD_WORDS = new RegExp(`\\b(?:${OWNER})\\b[^.]{0,40}?\\b(${STATE})\\b|\\b(${STATE})\\b[^.]{0,40}?\\b(?:${OWNER})\\b`, 'i');
const NO_REST: ReportSignals = { outcomeClass: null, restUntil: null, detail: null };
/** How long an overloaded provider rests, every key of it in the brand, when it states no delay. */
export const OVERLOAD_BACKOFF_MS = 5000;
/** The furthest a provider's stated rest is taken (a day and a bit: a daily reset in any zone). */
const MAX_REST_MS = 26 * 3_600_000;

export function readSignals(f: ReportFacts, now: Date): ReportSignals {
  const budgetReset = exhaustedBudgetReset(f.headers, now);
  if (f.success) return budgetReset ? { outcomeClass: null, restUntil: budgetReset, detail: null } : NO_REST;
  const status = f.statusCode;
  const body = parseProviderBody(f.errorBody);
  const text = f.errorBody ?? '';
  if (status === 400 && /API_KEY_INVALID/.test(text)) return { outcomeClass: 'credential_dead', restUntil: null, detail: 'HTTP 400 API_KEY_INVALID' };
  if (status !== undefined && status >= 400 && status < 500 && status !== 429 && DEAD_WORDS.test(providerMessage(body) ?? '')) {
    const said = DEAD_WORDS.exec(providerMessage(body) ?? '')!;
    return { outcomeClass: 'credential_dead', restUntil: null, detail: `HTTP ${status}, the provider says the key or its account is ${(said[1] ?? said[2]).toLowerCase()}` };
  }
  if (status === 401 || status === 403) return { outcomeClass: 'credential_dead', restUntil: null, detail: `HTTP ${status}` };
  if (status === 529 || (status === 503 && /overloaded/i.test(text))) {
    const stated = Math.max(f.retryAfterSeconds !== undefined ? f.retryAfterSeconds * 1000 : 0, retryAfterHeader(f.headers['retry-after'], now) ?? 0);
    return { outcomeClass: 'overloaded', restUntil: new Date(now.getTime() + Math.min(stated || OVERLOAD_BACKOFF_MS, MAX_REST_MS)), detail: `HTTP ${status} overloaded` };
  }
  if (status === 429 || f.errorType === 'rate_limited') {
    if (dailyQuotaSpent(body, text)) return { outcomeClass: 'quota_exhausted', restUntil: nextDayStart(f.resetZone, now), detail: 'daily quota exhausted' };
    const delays = [
      f.retryAfterSeconds !== undefined ? f.retryAfterSeconds * 1000 : null,
      retryAfterHeader(f.headers['retry-after'], now),
      retryInfoDelay(body),
    ].filter((ms): ms is number => ms !== null && ms > 0);
    const stated = delays.length > 0 ? new Date(now.getTime() + Math.min(Math.max(...delays), MAX_REST_MS)) : null;
    const restUntil = [stated, budgetReset].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
    return { outcomeClass: 'rate_limited', restUntil, detail: null };
  }
  return NO_REST;
}

const detailsOf = (body: unknown): Record<string, unknown>[] => {
  const details = providerError(body)?.details;
  return Array.isArray(details) ? details.filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null) : [];
};

function dailyQuotaSpent(body: unknown, text: string): boolean {
  if (providerError(body)?.code === 'insufficient_quota' || providerError(body)?.type === 'insufficient_quota') return true;
  for (const d of detailsOf(body)) {
    if (!String(d['@type'] ?? '').endsWith('QuotaFailure')) continue;
    const violations = Array.isArray(d.violations) ? d.violations : [];
    if (violations.some((v) => /PerDay/i.test(`${(v as { quotaId?: unknown }).quotaId ?? ''} ${(v as { quotaMetric?: unknown }).quotaMetric ?? ''}`))) return true;
  }
  return /quota.*per ?day|daily quota/i.test(providerMessage(body) ?? (body === null ? text.slice(0, 2000) : ''));
}

/** Gemini's `RetryInfo.retryDelay` ("13s", "0.5s"), in milliseconds. */
function retryInfoDelay(body: unknown): number | null {
  for (const d of detailsOf(body)) {
    if (!String(d['@type'] ?? '').endsWith('RetryInfo')) continue;
    const delay = /^(\d+(?:\.\d+)?)s$/.exec(String(d.retryDelay ?? ''));
    if (delay) return Number(delay[1]) * 1000;
  }
  return null;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterHeader(value: string | undefined, now: Date): number | null {
  if (value === undefined) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : at - now.getTime();
}

/** OpenAI's and Groq's durations ("1m30.5s", "20ms", "6s", "2h1m"), in milliseconds. */
export function durationMs(value: string): number | null {
  const parts = [...value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value.trim()) return null;
  const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/** Whether a report carries any header (most carry none: nothing to read). */
export function hasHeaders(headers: Readonly<Record<string, string>>): boolean {
  for (const _ in headers) return true;
  return false;
}

/** One rate-limit budget a provider's headers describe: its size when stated, what is left, when it resets (ms since the epoch). */
export interface Budget {
  limit: number | null;
  remaining: number;
  resetAt: number | null;
}

/**
 * The budgets a report's headers describe: OpenAI's and Groq's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
 * (a reset as a duration, seconds or a date) and Anthropic's `anthropic-ratelimit-*-{limit,remaining,reset}` (a reset as
 * an RFC 3339 instant). A budget without a readable `remaining` is left out.
 */
export function budgetsOf(headers: Readonly<Record<string, string>>, now: Date): Budget[] {
  if (!hasHeaders(headers)) return [];
  const budgets: Budget[] = [];
  const add = (limit: string | undefined, remaining: string | undefined, resetAt: number | null) => {
    const left = Number(remaining);
    if (remaining === undefined || remaining.trim() === '' || !Number.isFinite(left)) return;
    const size = Number(limit);
    budgets.push({ limit: limit !== undefined && size > 0 ? size : null, remaining: left, resetAt });
  };
  for (const d of ['requests', 'tokens']) {
    const reset = headers[`x-ratelimit-reset-${d}`];
    const ms = reset === undefined ? null : durationMs(reset) ?? retryAfterHeader(reset, now);
    add(headers[`x-ratelimit-limit-${d}`], headers[`x-ratelimit-remaining-${d}`], ms === null ? null : now.getTime() + ms);
  }
  for (const d of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    const at = Date.parse(headers[`anthropic-ratelimit-${d}-reset`] ?? '');
    add(headers[`anthropic-ratelimit-${d}-limit`], headers[`anthropic-ratelimit-${d}-remaining`], Number.isNaN(at) ? null : at);
  }
  return budgets;
}

/** When a budget the headers say is spent (nothing remaining) resets: the latest of them, or null. */
function exhaustedBudgetReset(headers: Readonly<Record<string, string>>, now: Date): Date | null {
  let latest: number | null = null;
  for (const b of budgetsOf(headers, now)) {
    if (b.remaining > 0 || b.resetAt === null || b.resetAt <= now.getTime()) continue;
    latest = Math.max(latest ?? 0, Math.min(b.resetAt, now.getTime() + MAX_REST_MS));
  }
  return latest === null ? null : new Date(latest);
}

