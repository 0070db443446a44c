/**
 * The pool functions' named inputs (see pool-functions.sql.ts): a batch's
 * reports and leases, the instant it runs at, and the rules, each one JSON
 * document whose field names the SQL reads, instead of 34 positional arrays.
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

export interface LeaseItem {
  brandId: string;
  providerName: string;
  model: string | null;
  batch: boolean;
  /** Keys this lease must not be (the gateway's failover never retries a key it just tried). */
  exclude: readonly number[];
}

export interface PoolRules {
  probeBaseMs: number;
  probeMaxMs: number;
  degradedAfter: number;
  unhealthyAfter: number;
  rateLimitCooldownMs: number;
  /** Providers whose billing API tells when credits are back. */
  creditProviders: readonly string[];
  /** The environment variables a key may refer to that are set now. */
  envAvailable: () => string[];
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
}


export interface PoolInput {
  reports: string;
  leases: string;
  at: string;
  rules: string;
}

export function poolInput(reports: readonly ReportItem[], leases: readonly LeaseItem[], t: PoolTime, rules: PoolRules, seed: number): PoolInput {
  return {
    reports: JSON.stringify(reports.map((r) => ({
      lease: r.leaseUuid, key: r.integrationId, brand: r.brandId, node: r.nodeId, model: r.model, success: r.success,
      status_code: r.statusCode, error_type: r.errorType, retry_after: r.retryAfterSeconds, probe: r.probe,
      // A decimal string: exact to the micro-dollar (a JSON number could be read as a float).
      cost: r.costUsd, prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, latency_ms: r.latencyMs, first_token_ms: r.firstTokenMs,
    }))),
    leases: JSON.stringify(leases.map((l) => ({ brand: l.brandId, provider: l.providerName, model: l.model, batch: l.batch, exclude: l.exclude }))),
    at: JSON.stringify({
      now: t.now.toISOString(), minute: t.minuteStart.toISOString(), today: t.today, month_start: t.monthStart,
      day_key: t.dayKey, month_key: t.monthKey, seed,
    }),
    rules: JSON.stringify({
      degraded_after: rules.degradedAfter, unhealthy_after: rules.unhealthyAfter, rate_limit_ms: rules.rateLimitCooldownMs,
      probe_base_ms: rules.probeBaseMs, probe_max_ms: rules.probeMaxMs, credit_providers: rules.creditProviders, env_available: rules.envAvailable(),
    }),
  };
}
