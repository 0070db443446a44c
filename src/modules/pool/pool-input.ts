/**
 * The pool functions' named inputs (see pool-functions.sql.ts): a batch's
 * reports, allowance claims, usage counts and allowance given back, the
 * instant it runs at, and the rules, each one JSON document whose field names
 * the SQL reads (instead of positional arrays).
 */

/** One instant of the pool's clock, with the windows the rules count in. */
export interface PoolTime {
  now: Date;
  minuteStart: Date;
  today: string;
  monthStart: string;
  dayKey: string;
  monthKey: string;
}

export interface PoolRules {
  probeBaseMs: number;
  probeMaxMs: number;
  degradedAfter: number;
  unhealthyAfter: number;
  rateLimitCooldownMs: number;
  /** Providers whose billing API tells when credits are back. */
  creditProviders: readonly string[];
}

export interface ReportItem {
  leaseUuid: string;
  integrationId: number;
  brandId: string;
  nodeId: string | null;
  model: string | null;
  success: boolean;
  statusCode: number | null;
  errorType: string | null;
  retryAfterSeconds: number | null;
  probe: boolean;
  costUsd: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number | null;
  /** Time to the first streamed byte of the answer (null: not streamed, or not said). */
  firstTokenMs: number | null;
  /**
   * A plain success (its key seen healthy, with no failure counted and no `block` spend limit):
   * appended with no lock on its key and folded later (keypool_append, keypool_fold), not applied at once.
   */
  append: boolean;
  /** What the provider's answer settles (provider-signals.ts; null: the status and error type decide). */
  outcomeClass: string | null;
  /** Until when the provider said the key should rest (it only ever extends a rest). */
  restUntil: Date | null;
  /** What the provider said, for the health event. */
  detail: string | null;
  /** Request limits the provider's headers state for the key, per minute and per day (null: not stated). */
  statedMinuteLimit: number | null;
  statedDailyLimit: number | null;
  /** Whether the report said its tokens (if not, a reservation's estimate stands). */
  tokensGiven: boolean;
  /** The tokens the lease reserved, and the windows it reserved them in (null: none reserved). */
  reserved: Reservation | null;
  /** The lease is open under the key's concurrency limit until this report. */
  open: boolean;
}

/** Tokens a lease reserved of its key's token limits (and its quota group's), in the minute and the key's day it was granted in. */
export interface Reservation {
  tokens: number;
  minute: Date;
  day: string;
  /** The key's quota group when the lease was granted (its tokens are reconciled there too). */
  group?: string | null;
}

/** A lease of a key with token or concurrency limits, counted on its own: its request, its estimated tokens, and (under a concurrency limit) the open lease. */
export interface ReserveItem {
  integrationId: number;
  /** The estimate: the input, and the output cap the database clamps to the tightest token limit of the key and its group. */
  input: number;
  output: number;
  leaseUuid: string;
  expiresAt: Date;
}


/** A claim of allowance for one key: `n` leases of the current minute and day, or (probe) its due recovery probe. */
export interface ClaimItem {
  integrationId: number;
  n: number;
  probe: boolean;
}

/** Leases granted from claimed allowance, written to the key's usage: those of its latest minute, and of the day. */
export interface CountItem {
  integrationId: number;
  minute: Date;
  minuteN: number;
  day: string;
  dayN: number;
  lastUsedAt: Date;
}

/** Allowance given back: `minuteN` of the minute it was claimed in, `dayN` of the day. */
export interface ReturnItem {
  integrationId: number;
  minute: Date;
  minuteN: number;
  day: string;
  dayN: number;
}

export interface PoolInput {
  /** Every key the batch touches, once: the statement locks them first, in key order. */
  keys: number[];
  reports: string;
  claims: string;
  reserves: string;
  counts: string;
  returns: string;
  at: string;
  rules: string;
}

export interface SettleWork {
  reports: readonly ReportItem[];
  claims: readonly ClaimItem[];
  reserves: readonly ReserveItem[];
  counts: readonly CountItem[];
  returns: readonly ReturnItem[];
}

export function poolInput(work: SettleWork, t: PoolTime, rules: PoolRules): PoolInput {
  // An appended report locks nothing.
  const keys = new Set<number>();
  for (const items of [work.reports.filter((r) => !r.append), work.claims, work.reserves, work.counts, work.returns]) for (const item of items) keys.add(item.integrationId);
  return {
    keys: [...keys],
    reports: JSON.stringify(work.reports.map((r) => {
      const usage = {
        lease: r.leaseUuid, key: r.integrationId, brand: r.brandId, node: r.nodeId, model: r.model,
        // A decimal string: exact to the micro-dollar (a JSON number could be read as a float).
        cost: r.costUsd, prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, latency_ms: r.latencyMs, first_token_ms: r.firstTokenMs,
      };
      // An appended report carries only what keypool_append reads (a plain success: no signal, no reservation).
      if (r.append) return { ...usage, append: true };
      return {
        ...usage, success: r.success, status_code: r.statusCode, error_type: r.errorType, retry_after: r.retryAfterSeconds, probe: r.probe,
        append: false, class: r.outcomeClass, rest_until: r.restUntil?.toISOString() ?? null, detail: r.detail,
        observed_minute: r.statedMinuteLimit, observed_day: r.statedDailyLimit, tokens_given: r.tokensGiven,
        reserved: r.reserved?.tokens ?? null, reserve_minute: r.reserved?.minute.toISOString() ?? null, reserve_day: r.reserved?.day ?? null, open: r.open,
        quota_group: r.reserved?.group ?? null,
      };
    })),
    claims: JSON.stringify(work.claims.map((c) => ({ key: c.integrationId, n: c.n, probe: c.probe }))),
    reserves: JSON.stringify(work.reserves.map((r) => ({
      key: r.integrationId, input: r.input, output: r.output, lease: r.leaseUuid, expires_at: r.expiresAt.toISOString(),
    }))),
    counts: JSON.stringify(work.counts.map((c) => ({
      key: c.integrationId, minute: c.minute.toISOString(), minute_n: c.minuteN, day: c.day, day_n: c.dayN, last_used: c.lastUsedAt.toISOString(),
    }))),
    returns: JSON.stringify(work.returns.map((r) => ({ key: r.integrationId, minute: r.minute.toISOString(), minute_n: r.minuteN, day: r.day, day_n: r.dayN }))),
    at: poolAt(t),
    rules: JSON.stringify({
      degraded_after: rules.degradedAfter, unhealthy_after: rules.unhealthyAfter, rate_limit_ms: rules.rateLimitCooldownMs,
      probe_base_ms: rules.probeBaseMs, probe_max_ms: rules.probeMaxMs, credit_providers: rules.creditProviders, appended_spend: true,
    }),
  };
}

/** The instant a statement runs at, with the windows the rules count in (p_at). */
export function poolAt(t: PoolTime): string {
  return JSON.stringify({
    now: t.now.toISOString(), minute: t.minuteStart.toISOString(), today: t.today, month_start: t.monthStart, day_key: t.dayKey, month_key: t.monthKey,
  });
}
