/**
 * Limits a provider states in its own headers tighten the pool's (never loosen them): Groq's
 * `x-ratelimit-limit-requests` is its requests per day, so a key whose report says 3 gets three
 * leases that day however many instances lease it, and a configured limit stays a ceiling.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TestApp, type TwoInstances } from '../support/harness.js';

const clock = new ManualClock('2026-03-10T12:00:00Z');
let a: TestApp;
let b: TestApp;
let token: string;
let instances: TwoInstances;
beforeAll(async () => {
  instances = await startTwoInstances('Stated limits', clock);
  ({ a, b, token } = instances);
});
afterAll(() => instances.close());

const lease = (t: TestApp, provider: string) => t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider } });
const limitsOf = async (id: number) =>
  ((await a.gql(`query($id: Int!) { integration(id: $id) { dailyLimit observedDailyLimit observedMinuteLimit } }`, { id }, token)).data as { integration: unknown }).integration;

it('holds a key to the daily limit its provider states, across instances', async () => {
  const id = (await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: 'groq-stated-0-0123456789' } } })).body.integration.id;
  const first = await lease(a, 'groq');
  expect(first.status).toBe(200);
  const res = await a.rest('POST', '/api/v1/integrations/usage', {
    token, body: { lease_id: first.body.lease.lease_id, success: true, response_headers: { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '8h' } },
  });
  expect(res.status).toBe(200);
  expect(await limitsOf(id)).toEqual({ dailyLimit: null, observedDailyLimit: 3, observedMinuteLimit: null });
  // Two more today, through either instance; then the day is spent.
  const second = await lease(b, 'groq');
  expect(second.status).toBe(200);
  expect((await lease(a, 'groq')).status).toBe(200);
  for (const t of [a, b]) {
    const refused = await lease(t, 'groq');
    expect(refused.status).toBe(429);
    expect(refused.body.skipped).toEqual([{ integration_id: id, reason: 'daily_limit', until: '2026-03-11T00:00:00Z' }]);
  }
});

it('keeps a configured limit as the ceiling when the provider states a looser one', async () => {
  const id = (await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'openai', credentials: { api_key: 'sk-stated-0123456789abcdef' }, minute_limit: 2 } })).body.integration.id;
  const first = await lease(a, 'openai');
  await a.rest('POST', '/api/v1/integrations/usage', { token, body: { lease_id: first.body.lease.lease_id, success: true, response_headers: { 'x-ratelimit-limit-requests': '500' } } });
  expect(await limitsOf(id)).toMatchObject({ observedMinuteLimit: 500 });
  expect((await lease(b, 'openai')).status).toBe(200);
  expect((await lease(a, 'openai')).status).toBe(429);
});
