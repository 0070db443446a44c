/**
 * The routing story of a lease (explain): every key of the provider in the pool's order, the
 * chosen one first, then those eligible, then those skipped with why and until when; over REST
 * and GraphQL, and in short in x-keypool-route on gateway answers (a failover's earlier keys
 * named as tried).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayTestSettings } from '../support/config.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let fake: FakeOpenAi;
let token: string;
const keys: { id: number; apiKey: string }[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp({ config: { gateway: gatewayTestSettings({ baseUrls: { groq: fake.url } }) } });
  ({ token } = await t.createBrand('Routes'));
  for (const [i, settings] of [{ is_primary: true }, {}, {}].entries()) {
    const apiKey = `gsk_route_${i}_0123456789abcdef`;
    const res = await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: apiKey }, ...settings } });
    keys.push({ id: res.body.integration.id, apiKey });
  }
  await t.rest('PATCH', `/api/v1/integrations/${keys[2].id}`, { token, body: { is_active: false } });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

it('explains a REST lease: the chosen key, the eligible ones, the skipped ones with why', async () => {
  const res = await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq', explain: true } });
  expect(res.status).toBe(200);
  expect(res.body.lease.route).toEqual([
    { integration_id: keys[0].id, outcome: 'chosen', reason: null, until: null, priority: 10, weight: 1, health_status: 'healthy', headroom: 1, quota_group: null },
    { integration_id: keys[1].id, outcome: 'eligible', reason: null, until: null, priority: 0, weight: 1, health_status: 'healthy', headroom: 1, quota_group: null },
    { integration_id: keys[2].id, outcome: 'skipped', reason: 'inactive', until: null, priority: 0, weight: 1, health_status: 'healthy', headroom: 1, quota_group: null },
  ]);
  // Without explain, no story (a lease costs nothing more).
  expect((await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq' } })).body.lease).not.toHaveProperty('route');
  expect((await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq', explain: 'yes' } })).body.error).toMatch(/^explain must be a boolean/);
});

it('explains a GraphQL lease', async () => {
  const res = await t.gql('mutation { leaseKey(input: { providerName: "groq", explain: true }) { route { integrationId outcome reason } } }', {}, token);
  expect(res.errors).toBeUndefined();
  expect((res.data as { leaseKey: { route: unknown } }).leaseKey.route).toEqual([
    { integrationId: keys[0].id, outcome: 'chosen', reason: null },
    { integrationId: keys[1].id, outcome: 'eligible', reason: null },
    { integrationId: keys[2].id, outcome: 'skipped', reason: 'inactive' },
  ]);
});

it('tells a gateway caller the route in x-keypool-route, a failover\'s earlier key as tried', async () => {
  const call = () => fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const first = await call();
  expect(first.headers.get('x-keypool-route')).toBe(`#${keys[0].id} chosen; #${keys[1].id} eligible; #${keys[2].id} inactive`);
  fake.behave(keys[0].apiKey, { kind: 'status', status: 503 });
  const failedOver = await call();
  expect(failedOver.status).toBe(200);
  expect(failedOver.headers.get('x-keypool-route')).toBe(`#${keys[0].id} tried; #${keys[1].id} chosen; #${keys[2].id} inactive`);
});

it('keeps every gateway call keypool could not serve with its route, over REST and GraphQL', async () => {
  const call = () => fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
  });
  fake.behave(keys[0].apiKey, { kind: 'status', status: 503 });
  fake.behave(keys[1].apiKey, { kind: 'status', status: 502 });
  const failed = await call();
  expect(failed.status).toBe(502);
  // Then no key can be leased at all.
  await t.rest('PATCH', `/api/v1/integrations/${keys[0].id}`, { token, body: { is_active: false } });
  await t.rest('PATCH', `/api/v1/integrations/${keys[1].id}`, { token, body: { is_active: false } });
  expect((await call()).status).toBe(429);
  await t.app.services.gateway.settled();
  const kept = await t.rest('GET', '/api/v1/gateway-failures', { token });
  expect(kept.body).toMatchObject({ success: true, total: 2 });
  expect(kept.body.failures[0]).toMatchObject({
    endpoint: 'chat/completions', provider_name: 'groq', model: 'llama-3.1-8b-instant', outcome: 'no_key', status: null, attempts: 0,
    route: `#${keys[0].id} inactive; #${keys[1].id} inactive; #${keys[2].id} inactive`,
  });
  expect(kept.body.failures[1]).toMatchObject({ outcome: 'upstream_error', status: 502, attempts: 2, route: `#${keys[0].id} tried; #${keys[1].id} chosen; #${keys[2].id} inactive` });
  const gql = await t.gql<any, Record<string, never>>('{ gatewayFailures(limit: 1) { total items { outcome route } } }', {}, token);
  expect(gql.data.gatewayFailures).toEqual({ total: 2, items: [{ outcome: 'no_key', route: kept.body.failures[0].route }] });
});
