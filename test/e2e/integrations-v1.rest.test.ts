/**
 * The Integrations v1 documents (docs/api/integrations-*.md): every
 * example request sent as written, responses compared field by field to the
 * documented ones (ids and times aside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand('Docs brand'));
});
afterAll(() => t.close());

const create = (body: unknown, tok = token) => t.rest('POST', '/api/v1/integrations', { body, token: tok });
const without = (o: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

// The documented example, with a full-length key in place of the elided "sk-or-v1-abc123..."
const DOC_CREATE = {
  provider_name: 'openrouter',
  credentials: { api_key: 'sk-or-v1-abc123def456abc123' },
  key_label: 'Production OpenRouter',
  is_primary: true,
  daily_limit: 10000,
  minute_limit: 100,
  spend_limit_amount: 500.0,
  spend_limit_period: 'monthly',
  spend_limit_action: 'warn',
};

describe('POST /api/v1/integrations (integrations-create.md)', () => {
  let created: Record<string, unknown>;

  it('creates the documented example and answers 201 with the documented integration', async () => {
    const res = await create(DOC_CREATE);
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    created = res.body.integration;
    expect(without(created, 'id', 'created_at', 'updated_at')).toMatchObject({
      provider_name: 'openrouter',
      provider_label: 'OpenRouter',
      key_label: 'Production OpenRouter',
      is_active: true,
      is_primary: true,
      priority: 10,
      daily_limit: 10000,
      daily_count: 0,
      minute_limit: 100,
      minute_count: 0,
      health_status: 'healthy',
      consecutive_failures: 0,
      spend_limit_amount: 500,
      spend_limit_period: 'monthly',
      spend_limit_action: 'warn',
      spend_limit_exceeded: false,
      key_preview: { api_key: 'sk-o...123' },
    });
    expect(created.id).toEqual(expect.any(Number));
    expect(created.created_at).toMatch(ISO_SECONDS);
  });

  it('masks the example key exactly as written too ("sk-or-v1-abc123..." ends in dots)', async () => {
    const res = await create({ provider_name: 'openrouter', credentials: { api_key: 'sk-or-v1-abc123...' } });
    expect(res.body.integration.key_preview).toEqual({ api_key: 'sk-o......' });
  });

  it('applies the documented defaults: not primary (priority 0), monthly, warn, healthy, unlimited', async () => {
    const res = await create({ provider_name: 'groq', credentials: { api_key: 'gsk_defaults_0000000000xyz' } });
    expect(res.status).toBe(201);
    expect(res.body.integration).toMatchObject({
      is_primary: false, priority: 0, is_active: true, spend_limit_period: 'monthly', spend_limit_action: 'warn',
      daily_limit: null, minute_limit: null, spend_limit_amount: null, key_label: null, health_status: 'healthy',
      last_used_at: null, cached_balance: null, cached_usage_today: null, cached_usage_month: null, billing_synced_at: null,
    });
  });

  it('accepts cloudflare with its account_id', async () => {
    const res = await create({ provider_name: 'cloudflare', credentials: { api_key: 'cf-token-0123456789abcdef', account_id: 'acct-0123456789' } });
    expect(res.status).toBe(201);
    expect(res.body.integration.provider_label).toBe('Cloudflare Workers AI');
    expect(Object.keys(res.body.integration.key_preview)).toEqual(['api_key', 'account_id']);
  });

  it('answers 409 with the documented message for a duplicate credential', async () => {
    const res = await create({ ...DOC_CREATE, key_label: 'again' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ success: false, error: 'A key with this credential already exists for this provider' });
  });

  it('answers 400 with the whole supported list for an unknown provider', async () => {
    const res = await create({ provider_name: 'skynet', credentials: { api_key: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      error:
        'Invalid provider_name. Supported: openrouter, groq, mistral, google_ai, fal_ai, cerebras, together, cohere, cloudflare, nvidia_nim, fireworks, ' +
        'sambanova, huggingface, github_models, ai21, baseten, openai, anthropic, azure, bedrock, vertex, gemini, ollama, sgl, vllm, replicate, xai, ' +
        'perplexity, parasail, nebius, elevenlabs, runway, deepseek',
    });
  });
});

describe('GET /api/v1/integrations (integrations-list.md)', () => {
  it('lists the brand\'s keys with every documented field, and the page envelope', async () => {
    const res = await t.rest('GET', '/api/v1/integrations', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, total: res.body.integrations.length, limit: 50, offset: 0 });
    const documented = [
      'id', 'provider_name', 'provider_label', 'key_label', 'is_active', 'is_primary', 'priority', 'daily_limit', 'daily_count',
      'minute_limit', 'minute_count', 'health_status', 'consecutive_failures', 'last_used_at', 'spend_limit_amount', 'spend_limit_period',
      'spend_limit_action', 'spend_limit_exceeded', 'cached_balance', 'cached_usage_today', 'cached_usage_month', 'cached_currency',
      'billing_synced_at', 'key_preview', 'created_at', 'updated_at',
    ];
    for (const integration of res.body.integrations) expect(Object.keys(integration)).toEqual(expect.arrayContaining(documented));
    const ids = res.body.integrations.map((i: { id: number }) => i.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('filters by provider (the documented example)', async () => {
    const res = await t.rest('GET', '/api/v1/integrations?provider_name=openrouter', { token });
    expect(res.body.integrations.length).toBeGreaterThan(0);
    expect(res.body.integrations.every((i: { provider_name: string }) => i.provider_name === 'openrouter')).toBe(true);
  });

  it('filters by health status (the documented example) and by is_active', async () => {
    expect((await t.rest('GET', '/api/v1/integrations?health_status=unhealthy', { token })).body).toMatchObject({ integrations: [], total: 0 });
    const healthy = await t.rest('GET', '/api/v1/integrations?health_status=healthy&is_active=true', { token });
    expect(healthy.body.total).toBeGreaterThan(0);
    expect((await t.rest('GET', '/api/v1/integrations?is_active=false', { token })).body.total).toBe(0);
  });

  it('pages with limit and offset', async () => {
    const all = (await t.rest('GET', '/api/v1/integrations', { token })).body;
    const page = (await t.rest('GET', '/api/v1/integrations?limit=1&offset=1', { token })).body;
    expect(page).toMatchObject({ total: all.total, limit: 1, offset: 1 });
    expect(page.integrations.map((i: { id: number }) => i.id)).toEqual([all.integrations[1].id]);
  });
});

describe('PATCH /api/v1/integrations/{id} (integrations-update.md)', () => {
  let id: number;
  beforeAll(async () => {
    id = (await create({ provider_name: 'mistral', credentials: { api_key: 'mistral-update-0123456789' }, is_primary: false })).body.integration.id;
  });
  const patch = (body: unknown) => t.rest('PATCH', `/api/v1/integrations/${id}`, { body, token });

  it('updates limits (documented example)', async () => {
    const res = await patch({ daily_limit: 20000, minute_limit: 200 });
    expect(res.status).toBe(200);
    expect(res.body.integration).toMatchObject({ daily_limit: 20000, minute_limit: 200, provider_name: 'mistral' });
    expect(res.body.integration.updated_at).toMatch(ISO_SECONDS);
  });

  it('disables a key (documented example)', async () => {
    expect((await patch({ is_active: false })).body.integration.is_active).toBe(false);
  });

  it('sets a spend limit (documented example)', async () => {
    const res = await patch({ spend_limit_amount: 1000.0, spend_limit_period: 'monthly', spend_limit_action: 'block' });
    expect(res.body.integration).toMatchObject({ spend_limit_amount: 1000, spend_limit_period: 'monthly', spend_limit_action: 'block' });
  });

  it('makes a key primary and back, with priority following (documented example)', async () => {
    expect((await patch({ is_primary: true })).body.integration).toMatchObject({ is_primary: true, priority: 10 });
    expect((await patch({ is_primary: false })).body.integration).toMatchObject({ is_primary: false, priority: 0 });
  });

  it('clears a limit with null', async () => {
    expect((await patch({ daily_limit: null })).body.integration.daily_limit).toBeNull();
  });

  it('refuses to change provider_name or credentials', async () => {
    const res = await patch({ provider_name: 'groq' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('provider_name cannot be updated. To change it, delete the integration and create a new one');
    expect((await patch({ credentials: { api_key: 'x' } })).body.error).toMatch(/^credentials cannot be updated/);
  });

  it('answers the documented 400 for an invalid spend_limit_action', async () => {
    const res = await patch({ spend_limit_action: 'explode' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: "spend_limit_action must be 'warn' or 'block'" });
  });

  it('answers the documented 404 for a missing integration', async () => {
    const res = await t.rest('PATCH', '/api/v1/integrations/999999', { body: { is_active: true }, token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ success: false, error: 'Integration not found' });
  });
});

describe('GET and DELETE /api/v1/integrations/{id}', () => {
  it('gets one integration, deletes it, and then it is gone', async () => {
    const id = (await create({ provider_name: 'cohere', credentials: { api_key: 'cohere-delete-0123456789' } })).body.integration.id;
    const got = await t.rest('GET', `/api/v1/integrations/${id}`, { token });
    expect(got.body).toMatchObject({ success: true, integration: { id, provider_name: 'cohere' } });
    expect(await t.rest('DELETE', `/api/v1/integrations/${id}`, { token })).toMatchObject({ status: 200, body: { success: true } });
    expect(await t.rest('GET', `/api/v1/integrations/${id}`, { token })).toMatchObject({ status: 404, body: { success: false, error: 'Integration not found' } });
    expect((await t.rest('DELETE', `/api/v1/integrations/${id}`, { token })).status).toBe(404);
  });
});

describe('authentication on the v1 routes', () => {
  it.each([
    ['no header', undefined, /Missing Authorization header/],
    ['a malformed token', 'garbage', /Invalid client token: token is malformed/],
  ])('answers 401 with the v1 error body for %s', async (_case, tok, message) => {
    const res = await t.rest('GET', '/api/v1/integrations', { token: tok });
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
    expect(res.body.error).toMatch(message);
  });

  it('answers 403 to the admin token, which is not scoped to a brand', async () => {
    const res = await t.rest('GET', '/api/v1/integrations', { token: t.adminToken });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/brand client token/);
  });
});
