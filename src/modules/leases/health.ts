/**
 * How a usage report moves a key's health. Pure: takes the key's state, the
 * outcome and `now`, returns the next state and whether it changed.
 * Success heals; 5xx, timeouts and network errors count up (degraded, then
 * unhealthy); 401/403 kill the key at once; 429 only cools it down; other
 * 4xx are the caller's fault and change nothing.
 */
import type { HealthConfig } from '../../config/config.js';
import type { HealthStatus } from '../integrations/index.js';

export const ERROR_TYPES = ['timeout', 'network', 'server_error', 'rate_limited', 'auth_error', 'client_error'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export interface HealthState {
  healthStatus: HealthStatus;
  consecutiveFailures: number;
  probeFailures: number;
  cooldownUntil: Date | null;
  probeDueAt: Date | null;
}

export interface Outcome {
  success: boolean;
  statusCode?: number;
  errorType?: ErrorType;
  retryAfterSeconds?: number;
  /** The lease was the key's recovery probe. */
  probe: boolean;
}

export type OutcomeClass = 'success' | 'server_failure' | 'auth_failure' | 'rate_limited' | 'caller_error';

export interface HealthDecision {
  next: HealthState;
  outcome: OutcomeClass;
  /** Set when healthStatus changed: why, for the event. */
  reason: string | null;
}

export function classify(o: Outcome): OutcomeClass {
  if (o.success) return 'success';
  if (o.statusCode === 429 || o.errorType === 'rate_limited') return 'rate_limited';
  if (o.statusCode === 401 || o.statusCode === 403 || o.errorType === 'auth_error') return 'auth_failure';
  if (o.statusCode !== undefined && o.statusCode >= 400 && o.statusCode < 500) return 'caller_error';
  if (o.errorType === 'client_error') return 'caller_error';
  return 'server_failure';
}

/** The wait before the next probe: base, doubling per failed probe, capped. */
export function probeCooldownMs(probeFailures: number, config: HealthConfig): number {
  return Math.min(config.probeCooldownMs * 2 ** Math.min(probeFailures, 40), config.probeCooldownMaxMs);
}

function describe(o: Outcome): string {
  if (o.statusCode !== undefined) return `HTTP ${o.statusCode}`;
  return o.errorType ?? 'unknown error';
}

export function applyOutcome(state: HealthState, o: Outcome, config: HealthConfig, now: Date): HealthDecision {
  const outcome = classify(o);
  const at = (ms: number) => new Date(now.getTime() + ms);
  let next: HealthState = { ...state };
  let reason: string;
  switch (outcome) {
    case 'success':
      next = { ...next, healthStatus: 'healthy', consecutiveFailures: 0, probeFailures: 0, probeDueAt: null };
      reason = o.probe ? 'recovery probe succeeded' : 'request succeeded';
      break;
    case 'rate_limited':
      next.cooldownUntil = at((o.retryAfterSeconds ?? config.rateLimitCooldownMs / 1000) * 1000);
      return { next, outcome, reason: null };
    case 'caller_error':
      return { next: state, outcome, reason: null };
    case 'auth_failure':
    case 'server_failure': {
      const failures = state.consecutiveFailures + 1;
      const probeFailures = o.probe ? state.probeFailures + 1 : state.probeFailures;
      let status: HealthStatus = state.healthStatus;
      if (outcome === 'auth_failure' || failures >= config.unhealthyAfter) status = 'unhealthy';
      else if (failures >= config.degradedAfter) status = 'degraded';
      next = { ...next, healthStatus: status, consecutiveFailures: failures, probeFailures };
      if (status === 'unhealthy' && (state.healthStatus !== 'unhealthy' || o.probe)) {
        next.probeDueAt = at(probeCooldownMs(o.probe ? probeFailures : 0, config));
      }
      reason =
        outcome === 'auth_failure'
          ? `provider rejected the key (${describe(o)})`
          : `${failures} consecutive failure${failures > 1 ? 's' : ''} (last: ${describe(o)})${o.probe ? ', recovery probe failed' : ''}`;
      break;
    }
  }
  return { next, outcome, reason: next.healthStatus !== state.healthStatus ? reason : null };
}
