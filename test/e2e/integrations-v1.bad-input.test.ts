/** Every bad input is a 400 `{success:false, error}` that names the field, and writes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMessage } from '../support/expect-message.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;
let existingId: number;

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand());
  existingId = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_existing_0123456789' } }, token })).body.integration.id;
});
afterAll(() => t.close());

const total = async () => (await t.rest('GET', '/api/v1/integrations', { token })).body.total as number;
const base = { provider_name: 'openrouter', credentials: { api_key: 'sk-or-v1-badinput0123456789' } };

describe('POST /api/v1/integrations with bad input', () => {
  it.each([
    ['missing credentials', { provider_name: 'openrouter' }, 'credentials is required'],
    ['null credentials', { ...base, credentials: null }, 'credentials is required'],
    ['string credentials', { ...base, credentials: 'sk-or-v1-x' }, 'credentials must be an object, e.g. {"api_key": "..."}'],
    ['array credentials', { ...base, credentials: ['x'] }, 'credentials must be an object, e.g. {"api_key": "..."}'],
    ['empty credentials', { ...base, credentials: {} }, 'credentials must not be empty'],
    ['missing api_key', { ...base, credentials: { token: 'x' } }, 'credentials.token is not a credential field of openrouter (expected: api_key)'],
    ['missing account_id', { provider_name: 'cloudflare', credentials: { api_key: 'cf-0123456789' } }, 'credentials.account_id is required for cloudflare'],
    ['empty api_key', { ...base, credentials: { api_key: '  ' } }, 'credentials.api_key must be a non-empty string'],
    ['numeric api_key', { ...base, credentials: { api_key: 42 } }, 'credentials.api_key must be a non-empty string'],
    ['missing provider_name (neither shape: the route dispatches on it)', { credentials: { api_key: 'x' } }, /^Body must be one of two shapes/],
    ['numeric provider_name', { ...base, provider_name: 7 }, 'provider_name must be a string'],
    ['a string for a limit', { ...base, daily_limit: '100' }, 'daily_limit must be a whole number from 1 to 2147483647, or null for unlimited'],
    ['a negative limit', { ...base, minute_limit: -1 }, 'minute_limit must be a whole number from 1 to 2147483647, or null for unlimited'],
    ['a fractional limit', { ...base, daily_limit: 1.5 }, 'daily_limit must be a whole number from 1 to 2147483647, or null for unlimited'],
    ['"yes" for a boolean', { ...base, is_primary: 'yes' }, 'is_primary must be a boolean (true or false)'],
    ['a negative spend amount', { ...base, spend_limit_amount: -5 }, 'spend_limit_amount must be a non-negative amount in USD (at most 12 digits and 8 decimal places)'],
    ['a string spend amount', { ...base, spend_limit_amount: '500' }, 'spend_limit_amount must be a number'],
    ['an unknown period', { ...base, spend_limit_period: 'weekly' }, "spend_limit_period must be 'daily' or 'monthly'"],
    ['an unknown action', { ...base, spend_limit_action: 'panic' }, "spend_limit_action must be 'warn' or 'block'"],
    ['a label over 255 characters', { ...base, key_label: 'x'.repeat(256) }, 'key_label must be at most 255 characters'],
    ['a numeric label', { ...base, key_label: 5 }, 'key_label must be a string'],
    ['an unknown field', { ...base, colour: 'blue' }, /^Unknown field: colour \(accepted: provider_name, credentials/],
    ['both body shapes', { ...base, node_id: '550e8400-e29b-41d4-a716-446655440000' }, /^Body must be one of two shapes/],
    ['neither body shape', { name: 'x' }, /^Body must be one of two shapes/],
  ])('rejects %s', async (_case, body, message) => {
    const before = await total();
    const res = await t.rest('POST', '/api/v1/integrations', { body, token });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expectMessage(res.body.error, message);
    expect(await total()).toBe(before);
  });

  it('rejects a body that is not a JSON object', async () => {
    for (const body of [[1, 2], 'text', 42, null]) {
      const res = await t.rest('POST', '/api/v1/integrations', { body, token });
      expect(res).toMatchObject({ status: 400, body: { success: false, error: 'Request body must be a JSON object' } });
    }
  });

  it('rejects malformed JSON with a 400 in the v1 body', async () => {
    const res = await t.rest('POST', '/api/v1/integrations', { rawBody: '{"provider_name": ', token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: expect.stringMatching(/^Malformed JSON body/) });
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const res = await t.rest('POST', '/api/v1/integrations', { body: { ...base, key_label: 'x'.repeat(1024 * 1024) }, token });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ success: false, error: 'Request body is larger than the limit of 1048576 bytes (1 MiB)' });
  });
});

describe('PATCH, GET and DELETE with bad input', () => {
  it.each([
    ['an unknown field', { colour: 'blue' }, /^Unknown field: colour \(accepted: key_label, is_active/],
    ['null for is_active', { is_active: null }, 'is_active must not be null'],
    ['a string for a limit', { minute_limit: 'ten' }, 'minute_limit must be a whole number from 1 to 2147483647, or null for unlimited'],
    ['"yes" for is_active', { is_active: 'yes' }, 'is_active must be a boolean (true or false)'],
    ['an unknown period', { spend_limit_period: 'weekly' }, "spend_limit_period must be 'daily' or 'monthly'"],
  ])('PATCH rejects %s and changes nothing', async (_case, body, message) => {
    const before = (await t.rest('GET', `/api/v1/integrations/${existingId}`, { token })).body.integration;
    const res = await t.rest('PATCH', `/api/v1/integrations/${existingId}`, { body, token });
    expect(res.status).toBe(400);
    expectMessage(res.body.error, message);
    expect((await t.rest('GET', `/api/v1/integrations/${existingId}`, { token })).body.integration).toEqual(before);
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999'])('answers 400 for the non-numeric or out-of-range id %s', async (id) => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await t.rest(method, `/api/v1/integrations/${id}`, { token, ...(method === 'PATCH' && { body: {} }) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'id must be a positive integer' });
    }
  });

  it.each([
    ['health_status=wobbly', 'health_status must be one of healthy, degraded, unhealthy'],
    ['provider_name=skynet', /^Invalid provider_name\. Supported: openrouter/],
    ['is_active=yes', 'is_active must be true or false'],
    ['limit=101', 'limit must be a whole number from 1 to 100'],
    ['limit=0', 'limit must be a whole number from 1 to 100'],
    ['limit=ten', 'limit must be a whole number'],
    ['offset=-1', 'offset must be a whole number'],
    ['colour=blue', /^Unknown query parameter: colour/],
  ])('GET list answers 400 for %s', async (query, message) => {
    const res = await t.rest('GET', `/api/v1/integrations?${query}`, { token });
    expect(res.status).toBe(400);
    expectMessage(res.body.error, message);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await t.rest('GET', '/api/v1/nothing-here', { token });
    expect(res).toMatchObject({ status: 404, body: { success: false, error: 'Route not found: GET /api/v1/nothing-here' } });
  });
});
