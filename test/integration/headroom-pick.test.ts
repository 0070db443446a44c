/**
 * The pick prefers the key its provider says has more left: a report's rate-limit headers
 * (`response_headers`) weigh that key's draw until the budget resets. The weighted draw is fixed
 * (every draw 0.5), so without headroom the first key wins every tie.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;
beforeAll(async () => {
  t = await createTestApp({ random: () => 0.5 });
  ({ token } = await t.createBrand('Headroom'));
});
afterAll(() => t.close());

const lease = async () => (await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'cerebras' } })).body.lease;

it('leases the key with more headroom once a report says the other is nearly spent', async () => {
  const ids: number[] = [];
  for (let n = 0; n < 2; n++) {
    ids.push((await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'cerebras', credentials: { api_key: `cerebras-headroom-${n}-0123456789` } } })).body.integration.id);
  }
  const first = await lease();
  expect(first.integration_id).toBe(ids[0]);
  const res = await t.rest('POST', '/api/v1/integrations/usage', {
    token, body: { lease_id: first.lease_id, success: true, response_headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-reset-requests': '50s' } },
  });
  expect(res.status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await lease()).integration_id).toBe(ids[1]);
});
