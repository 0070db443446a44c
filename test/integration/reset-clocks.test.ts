/**
 * Reset clocks: a key's daily windows (its daily limit, its token daily limit, its daily count)
 * turn at midnight in its zone: Gemini's at midnight in Los Angeles unless set, every other
 * provider's at midnight UTC, any key's in the IANA zone it names. Two instances lease from one
 * database; the refusal names the zone's midnight as the time to retry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TestApp, type TwoInstances } from '../support/harness.js';

// 23:30 in Los Angeles (PDT, UTC-7) on 9 March; 06:30 UTC on 10 March.
const clock = new ManualClock('2026-03-10T06:30:00Z');
let a: TestApp;
let b: TestApp;
let token: string;
let instances: TwoInstances;
beforeAll(async () => {
  instances = await startTwoInstances('Reset clocks', clock);
  ({ a, b, token } = instances);
});
afterAll(() => instances.close());

const lease = (t: TestApp, provider: string, extra: Record<string, unknown> = {}) =>
  t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider, ...extra } });
const create = async (body: Record<string, unknown>) => {
  const res = await a.rest('POST', '/api/v1/integrations', { token, body });
  expect(res.status).toBe(201);
  return res.body.integration;
};

it('gives a key its provider\'s zone, takes an IANA zone, and refuses anything else', async () => {
  const gemini = await create({ provider_name: 'gemini', credentials: { api_key: 'AIzaSyZoneTest000000000000000000000000' }, daily_limit: 2, token_daily_limit: 1000 });
  expect(gemini.daily_reset_zone).toBe('America/Los_Angeles');
  const groq = await create({ provider_name: 'groq', credentials: { api_key: 'gsk_zone_test_0123456789abcdef' }, daily_limit: 2 });
  expect(groq.daily_reset_zone).toBe('UTC');
  const bad = await a.rest('PATCH', `/api/v1/integrations/${groq.id}`, { token, body: { daily_reset_zone: 'Mars/Olympus_Mons' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error).toBe('daily_reset_zone must be an IANA time zone, e.g. America/Los_Angeles or UTC');
  const gql = await a.gql(`mutation($id: Int!) { updateIntegration(id: $id, input: { dailyResetZone: "nowhere" }) { id } }`, { id: groq.id }, token);
  expect(gql.errors?.[0].message).toBe('dailyResetZone must be an IANA time zone, e.g. America/Los_Angeles or UTC');
});

it('turns a Gemini key\'s day at midnight in Los Angeles, and a Groq key\'s at midnight UTC, on every instance', async () => {
  for (const t of [a, b]) expect((await lease(t, 'gemini', { estimated_tokens: 100 })).status).toBe(200);
  for (const t of [a, b]) expect((await lease(t, 'groq')).status).toBe(200);
  const gemini = await lease(b, 'gemini');
  expect(gemini.status).toBe(429);
  expect(gemini.body.skipped[0]).toMatchObject({ reason: 'daily_limit', until: '2026-03-10T07:00:00Z' });
  expect(gemini.headers.get('retry-after')).toBe('1800');
  const groq = await lease(a, 'groq');
  expect(groq.body.skipped[0]).toMatchObject({ reason: 'daily_limit', until: '2026-03-11T00:00:00Z' });
  // Midnight in Los Angeles: a new day for the Gemini key (its counts start over), not for the Groq key.
  clock.advance(31 * 60_000);
  const list = (await a.rest('GET', '/api/v1/integrations?provider_name=gemini', { token })).body.integrations[0];
  expect(list).toMatchObject({ daily_count: 0, token_daily_count: 0 });
  for (const t of [b, a]) expect((await lease(t, 'gemini')).status).toBe(200);
  expect((await lease(a, 'gemini')).status).toBe(429);
  expect((await lease(b, 'groq')).status).toBe(429);
});

it('moves a key to another zone', async () => {
  const key = await create({ provider_name: 'mistral', credentials: { api_key: 'mistral-zone-test-0123456789' }, daily_limit: 1, daily_reset_zone: 'Asia/Tokyo' });
  expect(key.daily_reset_zone).toBe('Asia/Tokyo');
  expect((await lease(a, 'mistral')).status).toBe(200);
  const refused = await lease(b, 'mistral');
  // 07:01 UTC is 16:01 in Tokyo: its next midnight is 15:00 UTC.
  expect(refused.body.skipped[0]).toMatchObject({ reason: 'daily_limit', until: '2026-03-10T15:00:00Z' });
});
