/** The REST twins of leaseKey and reportKeyUsage: v1 bodies, v1 errors, nothing half-written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMessage } from '../support/expect-message.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;
let keyId: number;

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand());
  keyId = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'openrouter', credentials: { api_key: 'sk-or-v1-routes-0123456789' } }, token })).body.integration.id;
});
afterAll(() => t.close());

const lease = (body: unknown, tok: string | null = token) => t.rest('POST', '/api/v1/integrations/lease', { body, token: tok });
const usage = (body: unknown) => t.rest('POST', '/api/v1/integrations/usage', { body, token });

describe('POST /api/v1/integrations/lease and /usage', () => {
  it('leases, reports with snake_case fields, and answers the key as it now stands', async () => {
    const leased = await lease({ provider_name: 'openrouter', model: 'openai/gpt-4o-mini' });
    expect(leased.status).toBe(200);
    expect(leased.body.lease).toMatchObject({ integration_id: keyId, provider_name: 'openrouter', credentials: { api_key: 'sk-or-v1-routes-0123456789' } });
    const reported = await usage({
      lease_id: leased.body.lease.lease_id, success: true, status_code: 200, latency_ms: 812, cost_usd: 0.0042, prompt_tokens: 120, completion_tokens: 48,
    });
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({ success: true, integration: { id: keyId, health_status: 'healthy', spend_today: 0.0042, spend_month: 0.0042 } });
    expect(JSON.stringify(reported.body)).not.toContain('sk-or-v1-routes-0123456789');
    const again = await usage({ lease_id: leased.body.lease.lease_id, success: true });
    expect(again).toMatchObject({ status: 409, body: { success: false, error: 'This lease was already reported' } });
  });

  it.each([
    ['no provider_name', {}, 'provider_name is required'],
    ['an unknown provider', { provider_name: 'skynet' }, /^Invalid provider_name\. Supported: openrouter/],
    ['an empty model', { provider_name: 'openrouter', model: '' }, 'model must be 1 to 255 characters'],
    ['a node_id that is not a UUID', { provider_name: 'openrouter', node_id: 'node-1' }, 'node_id must be a UUID'],
    ['an unknown field', { provider_name: 'openrouter', region: 'eu' }, /^Unknown field: region/],
  ])('refuses a lease with %s', async (_case, body, message) => {
    const res = await lease(body);
    expect(res.status).toBe(400);
    expectMessage(res.body.error, message);
  });

  it('answers a lease for a provider without keys with 404, and without a token with 401', async () => {
    expect(await lease({ provider_name: 'ai21' })).toMatchObject({ status: 404, body: { success: false, error: expect.stringContaining('has no ai21 keys') } });
    expect((await lease({ provider_name: 'openrouter' }, null)).status).toBe(401);
  });

  it.each([
    ['no success', { lease_id: 'kpl_x.y' }, 'success is required'],
    ['"yes" for success', { lease_id: 'kpl_x.y', success: 'yes' }, 'success must be a boolean (true or false)'],
    ['no lease_id', { success: true }, 'lease_id is required'],
    ['a string status_code', { lease_id: 'kpl_x.y', success: false, status_code: '500' }, 'status_code must be a whole number from 100 to 599'],
    ['an unknown error_type', { lease_id: 'kpl_x.y', success: false, error_type: 'gremlins' }, 'error_type must be one of timeout, network, server_error, rate_limited, auth_error, client_error'],
    ['a negative cost', { lease_id: 'kpl_x.y', success: true, cost_usd: -0.5 }, /^cost_usd must be a non-negative amount/],
    ['fractional tokens', { lease_id: 'kpl_x.y', success: true, prompt_tokens: 1.5 }, 'prompt_tokens must be a whole number from 0 to 100000000'],
    ['success with a 5xx', { lease_id: 'kpl_x.y', success: true, status_code: 503 }, 'status_code 503 contradicts success: true'],
    ['a negative time to first token', { lease_id: 'kpl_x.y', success: true, time_to_first_token_ms: -1 }, 'time_to_first_token_ms must be a whole number from 0 to 86400000'],
    ['a first token after the answer', { lease_id: 'kpl_x.y', success: true, latency_ms: 100, time_to_first_token_ms: 101 }, 'time_to_first_token_ms cannot be more than latency_ms'],
  ])('refuses a report with %s', async (_case, body, message) => {
    const res = await usage(body);
    expect(res.status).toBe(400);
    expectMessage(res.body.error, message);
  });

  it('answers an unknown or forged lease with 404 and changes nothing', async () => {
    const before = (await t.rest('GET', `/api/v1/integrations/${keyId}`, { token })).body.integration;
    const res = await usage({ lease_id: 'kpl_eyJ1IjoiZm9yZ2VkIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', success: false, status_code: 401 });
    expect(res).toMatchObject({ status: 404, body: { success: false, error: 'Lease not found or expired' } });
    expect((await t.rest('GET', `/api/v1/integrations/${keyId}`, { token })).body.integration).toEqual(before);
  });

  it('answers a body without a JSON content type with 415', async () => {
    const res = await t.rest('POST', '/api/v1/integrations/lease', { rawBody: 'provider_name=groq', token, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res).toMatchObject({ status: 415, body: { success: false, error: 'Content-Type must be application/json' } });
  });
});
