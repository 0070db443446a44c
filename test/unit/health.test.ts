import { describe, expect, it } from 'vitest';
import type { HealthConfig } from '../../src/config/config.js';
import { applyOutcome, probeCooldownMs, type HealthState } from '../../src/modules/leases/health.js';

const config: HealthConfig = { degradedAfter: 3, unhealthyAfter: 6, probeCooldownMs: 30_000, probeCooldownMaxMs: 3_600_000, rateLimitCooldownMs: 60_000 };
const now = new Date('2026-02-26T15:00:00Z');
const healthy: HealthState = { healthStatus: 'healthy', consecutiveFailures: 0, probeFailures: 0, cooldownUntil: null, probeDueAt: null };
const after = (ms: number) => new Date(now.getTime() + ms);

function failTimes(n: number, outcome = { success: false, statusCode: 503, probe: false }) {
  let state = healthy;
  const reasons: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const d = applyOutcome(state, outcome, config, now);
    state = d.next;
    reasons.push(d.reason);
  }
  return { state, reasons };
}

describe('applyOutcome', () => {
  it('degrades after 3 server failures and makes the key unhealthy after 6, with a probe due in 30 s', () => {
    expect(failTimes(2).state.healthStatus).toBe('healthy');
    const three = failTimes(3);
    expect(three.state).toMatchObject({ healthStatus: 'degraded', consecutiveFailures: 3 });
    expect(three.reasons[2]).toBe('3 consecutive failures (last: HTTP 503)');
    const six = failTimes(6);
    expect(six.state).toMatchObject({ healthStatus: 'unhealthy', consecutiveFailures: 6, probeDueAt: after(30_000) });
    expect(six.reasons.filter((r) => r !== null)).toHaveLength(2);
  });

  it('counts timeouts and network errors as server-side failures', () => {
    expect(failTimes(3, { success: false, errorType: 'timeout', probe: false } as never).state.healthStatus).toBe('degraded');
    expect(failTimes(6, { success: false, errorType: 'network', probe: false } as never).state.healthStatus).toBe('unhealthy');
  });

  it('makes a key unhealthy at once on 401 or 403', () => {
    for (const statusCode of [401, 403]) {
      const d = applyOutcome(healthy, { success: false, statusCode, probe: false }, config, now);
      expect(d.next).toMatchObject({ healthStatus: 'unhealthy', probeDueAt: after(30_000) });
      expect(d.reason).toBe(`provider rejected the key (HTTP ${statusCode})`);
    }
  });

  it('cools a key down on 429 for Retry-After, or 60 s, without touching health', () => {
    const withRetry = applyOutcome(healthy, { success: false, statusCode: 429, retryAfterSeconds: 17, probe: false }, config, now);
    expect(withRetry).toEqual({ next: { ...healthy, cooldownUntil: after(17_000) }, outcome: 'rate_limited', reason: null });
    expect(applyOutcome(healthy, { success: false, statusCode: 429, probe: false }, config, now).next.cooldownUntil).toEqual(after(60_000));
  });

  it('changes nothing on other 4xx: the caller was wrong, not the key', () => {
    const degraded = failTimes(3).state;
    expect(applyOutcome(degraded, { success: false, statusCode: 400, probe: false }, config, now)).toEqual({ next: degraded, outcome: 'caller_error', reason: null });
  });

  it('heals on success and resets the failure count', () => {
    const d = applyOutcome(failTimes(4).state, { success: true, probe: false }, config, now);
    expect(d.next).toMatchObject({ healthStatus: 'healthy', consecutiveFailures: 0, probeFailures: 0, probeDueAt: null });
    expect(d.reason).toBe('request succeeded');
  });

  it('doubles the probe cooldown on each failed probe, capped at an hour, and a successful probe heals', () => {
    let state = failTimes(6).state;
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      state = applyOutcome(state, { success: false, statusCode: 500, probe: true }, config, now).next;
      waits.push(state.probeDueAt!.getTime() - now.getTime());
    }
    expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    const healed = applyOutcome(state, { success: true, probe: true }, config, now);
    expect(healed.next.healthStatus).toBe('healthy');
    expect(healed.reason).toBe('recovery probe succeeded');
    expect(probeCooldownMs(0, config)).toBe(30_000);
  });
});
