/**
 * Capacity: per provider, what is left this minute and today (requests and tokens), every key and
 * every quota group counted once, and when today's runs out at today's rate; over REST and
 * GraphQL, with leases from two instances.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TestApp, type TwoInstances } from '../support/harness.js';

// Ten minutes into the UTC day.
const clock = new ManualClock('2026-03-10T00:10:00Z');
let a: TestApp;
let b: TestApp;
let token: string;
let instances: TwoInstances;
beforeAll(async () => {
  instances = await startTwoInstances('Capacity', clock);
  ({ a, b, token } = instances);
});
afterAll(() => instances.close());

let seq = 0;
const addKey = async (provider: string, settings: Record<string, unknown>) =>
  (await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: provider, credentials: { api_key: `cap-${provider}-${seq++}-0123456789abcdef` }, ...settings } })).body.integration.id as number;
const lease = (t: TestApp, provider: string, extra: Record<string, unknown> = {}) =>
  t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider, ...extra } });
const capacity = async (provider: string) => (await a.rest('GET', '/api/v1/capacity', { token })).body.providers.find((p: { provider_name: string }) => p.provider_name === provider);

it('counts a quota group once, however many of its keys there are', async () => {
  await addKey('groq', { minute_limit: 10, daily_limit: 100 });
  await addKey('groq', { minute_limit: 20, daily_limit: 200 });
  await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'groq-org', daily_limit: 50, minute_limit: 5 } });
  await addKey('groq', { daily_limit: 40, quota_group: 'groq-org' });
  await addKey('groq', { daily_limit: 40, quota_group: 'groq-org' });
  const before = await capacity('groq');
  // 100 + 200 + the group's 50 (not its keys' 80); this minute 10 + 20 + the group's 5 (its keys have none of their own).
  expect(before).toMatchObject({
    keys: 4,
    requests_today: { limit: 350, used: 0, remaining: 350, resets_at: '2026-03-11T00:00:00Z' },
    requests_this_minute: { limit: 35, used: 0, remaining: 35, resets_at: '2026-03-10T00:11:00Z' },
    tokens_today: { limit: null, remaining: null },
  });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => lease(i % 2 ? a : b, 'groq')));
  expect(results.every((r) => r.status === 200)).toBe(true);
  const after = await capacity('groq');
  // Claims count what every instance took (a slice held and not yet granted counts as used until it goes back).
  expect(after.requests_this_minute.used).toBeGreaterThanOrEqual(8);
  expect(after.requests_this_minute.remaining).toBe(35 - after.requests_this_minute.used);
});

it('says when today runs out at today\'s rate, over REST and GraphQL', async () => {
  await addKey('mistral', { daily_limit: 10, token_daily_limit: 10_000 });
  for (let i = 0; i < 5; i++) {
    const granted = await lease(i % 2 ? a : b, 'mistral', { estimated_tokens: 200 });
    expect(granted.status).toBe(200);
  }
  await a.app.services.leases.writeGrantedCounts();
  await b.app.services.leases.writeGrantedCounts();
  // 5 requests in the day's first 10 minutes: 0.5 a minute, and 5 left: out at 00:20; 1,000 tokens of 10,000: out at 01:40.
  expect(await capacity('mistral')).toMatchObject({
    requests_today: { limit: 10, used: 5, remaining: 5 },
    tokens_today: { limit: 10_000, used: 1000, remaining: 9000 },
    requests_per_minute: 0.5,
    tokens_per_minute: 100,
    requests_run_out_at: '2026-03-10T00:20:00Z',
    tokens_run_out_at: '2026-03-10T01:40:00Z',
  });
  const gql = await a.gql('{ capacity { providerName requestsToday { remaining } requestsRunOutAt tokensThisMinute { limit } } }', {}, token);
  expect(gql.errors).toBeUndefined();
  expect((gql.data as { capacity: unknown[] }).capacity).toContainEqual({
    providerName: 'mistral', requestsToday: { remaining: 5 }, requestsRunOutAt: '2026-03-10T00:20:00.000Z', tokensThisMinute: { limit: null },
  });
});

it('leaves an unlimited provider unlimited', async () => {
  await addKey('cohere', {});
  expect(await capacity('cohere')).toMatchObject({ requests_today: { limit: null, remaining: null }, requests_run_out_at: null });
});
