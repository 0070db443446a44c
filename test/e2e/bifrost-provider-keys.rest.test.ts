/**
 * The Bifrost-compatible provider-key API (docs/api/bifrost-provider-keys-create.md):
 * Bifrost's shapes, messages and status codes, minus its known bugs; one store
 * with Integrations v1 and GraphQL; custom and keyless providers; environment
 * references that can never read the server's own variables.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { collectEvents } from '../support/events.js';

let t: TestApp;
let token: string;
let brandId: string;
/** The environment the app reads "env.NAME" references from; tests change it. */
const env: Record<string, string | undefined> = { KP_TEST_GROQ_KEY: 'gsk_from_the_environment_0123456789', KP_TEST_GONE: 'gsk_gone_later_0123456789' };
const ALLOWED = ['KP_TEST_GROQ_KEY', 'KP_TEST_GONE', 'KP_TEST_NEVER_SET'];
/** Every variable keypool itself reads (or libpq would): none may ever be referenced. */
const SERVER_VARIABLES = ['KEYPOOL_ADMIN_TOKEN', 'KEYPOOL_ENCRYPTION_KEYS', 'KEYPOOL_JWT_SECRET', 'KEYPOOL_METRICS_TOKEN', 'KEYPOOL_DATA_DIR', 'DATABASE_URL', 'PGPASSWORD'];

beforeAll(async () => {
  t = await createTestApp({ config: { envReferences: { allowlist: ALLOWED, lookup: (name) => (ALLOWED.includes(name) ? env[name] : undefined) } } });
  ({ token, brandId } = await t.createBrand('Bifrost brand'));
});
afterAll(() => t.close());

const api = (method: string, path: string, body?: unknown, tok = token) => t.rest(method, `/api/providers${path}`, { body, token: tok });
const bifrostError = (status: number, message: string | RegExp) => ({
  status,
  body: { is_bifrost_error: false, status_code: status, error: { message }, extra_fields: {} },
});
const expectError = (res: { status: number; body: any }, status: number, message: string | RegExp) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ is_bifrost_error: false, status_code: status, extra_fields: {} });
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else expect(res.body.error.message).toMatch(message);
};
const lease = (body: Record<string, unknown>, tok = token) => t.rest('POST', '/api/v1/integrations/lease', { body, token: tok });
let unique = 0;
const secret = (prefix: string) => `${prefix}${Date.now().toString(36)}${++unique}abcdefghijklmnop`;

describe('POST /api/providers/{provider}/keys (bifrost-provider-keys-create.md)', () => {
  it('stores the key and answers 200 with it: a UUID id, enabled by default, weight 1, every secret redacted', async () => {
    const value = secret('gsk_doc_');
    const res = await api('POST', '/groq/keys', { name: 'doc example', value, models: ['llama-3.1-8b-instant'], blacklisted_models: [] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      name: 'doc example',
      value: { value: `${value.slice(0, 4)}${'*'.repeat(24)}${value.slice(-4)}`, env_var: '', from_env: false },
      models: ['llama-3.1-8b-instant'],
      blacklisted_models: [],
      weight: 1,
      enabled: true,
      use_for_batch_api: false,
      // Bifrost's status vocabulary (not used yet: unknown); keypool's health in its own field. No
      // config_hash: Bifrost sends one only for keys synced from its config.json.
      status: 'unknown',
      health_status: 'healthy',
    });
    expect(JSON.stringify(res.body)).not.toContain(value);
    const read = await api('GET', `/groq/keys/${res.body.id}`);
    expect(read).toMatchObject({ status: 200, body: res.body });
  });

  it('round-trips the document\'s Key fields, Azure key config included, and keeps a given id', async () => {
    const body = {
      id: 'azure-east-1',
      name: 'azure east',
      value: secret('azure_'),
      models: ['gpt-4o', 'gpt-4o-mini'],
      blacklisted_models: ['o1'],
      weight: 2.5,
      azure_key_config: {
        endpoint: { value: 'https://east.openai.azure.com', env_var: '', from_env: false },
        deployments: { 'gpt-4o': 'gpt4o-east' },
        api_version: '2024-10-21',
        client_id: 'client-id-0001',
        scopes: ['https://cognitiveservices.azure.com/.default'],
      },
      enabled: false,
      use_for_batch_api: true,
    };
    const res = await api('POST', '/azure/keys', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      id: 'azure-east-1',
      name: 'azure east',
      models: ['gpt-4o', 'gpt-4o-mini'],
      blacklisted_models: ['o1'],
      weight: 2.5,
      enabled: false,
      use_for_batch_api: true,
      azure_key_config: {
        // Settings (the endpoint, the API version) are shown; secrets are redacted.
        endpoint: { value: 'https://east.openai.azure.com', env_var: '', from_env: false },
        deployments: { 'gpt-4o': 'gpt4o-east' },
        api_version: { value: '2024-10-21', env_var: '', from_env: false },
        client_id: { value: `clie${'*'.repeat(24)}0001`, env_var: '', from_env: false },
        scopes: ['https://cognitiveservices.azure.com/.default'],
      },
    });
    // Enabled again through v1, it leases with the key config in plaintext, under Bifrost's name.
    const v1 = await t.rest('GET', '/api/v1/integrations?provider_name=azure', { token });
    const row = v1.body.integrations.find((i: any) => i.key_id === 'azure-east-1');
    await t.rest('PATCH', `/api/v1/integrations/${row.id}`, { body: { is_active: true }, token });
    const leased = await lease({ provider_name: 'azure', model: 'gpt-4o', batch: true });
    expect(leased.status, JSON.stringify(leased.body)).toBe(200);
    expect(leased.body.lease.credentials).toEqual({
      api_key: body.value,
      azure_key_config: {
        endpoint: 'https://east.openai.azure.com',
        deployments: { 'gpt-4o': 'gpt4o-east' },
        api_version: '2024-10-21',
        client_id: 'client-id-0001',
        scopes: ['https://cognitiveservices.azure.com/.default'],
      },
    });
  });

  it('generates an id for an empty one, and refuses a given id that is taken', async () => {
    const res = await api('POST', '/groq/keys', { id: '', value: secret('gsk_emptyid_') });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const taken = await api('POST', '/mistral/keys', { id: res.body.id, value: secret('mistral_') });
    expectError(taken, 409, 'A key with this id already exists');
  });

  it.each([
    ['an empty value', '/openai/keys', { value: '' }, 400, 'Key value must not be empty'],
    ['no value', '/openai/keys', { name: 'nothing' }, 400, 'Key value must not be empty'],
    ['a value of spaces', '/openai/keys', { value: '   ' }, 400, 'Key value must not be empty'],
    ['an Azure key without endpoint', '/azure/keys', { value: '' }, 400, 'azure_key_config.endpoint is required for Azure keys'],
    ['a vLLM key without url', '/vllm/keys', { vllm_key_config: { model_name: 'x' } }, 400, 'vllm_key_config.url is required for VLLM keys'],
    ['an Ollama key without url', '/ollama/keys', {}, 400, 'ollama_key_config.url is required for Ollama keys'],
    ['an SGL key without url', '/sgl/keys', { sgl_key_config: {} }, 400, 'sgl_key_config.url is required for SGL keys'],
    ['a wildcard among others in the blacklist', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', blacklisted_models: ['*', 'gpt-4o'] }, 400,
      "Invalid blacklisted_models: wildcard '*' cannot be used with other values in the blacklist"],
    ['a duplicate in the blacklist', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', blacklisted_models: ['o1', 'O1'] }, 400, "Invalid blacklisted_models: duplicate value 'O1' in blacklist"],
    ['a wildcard among others in the models', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', models: ['gpt-4o', '*'] }, 400,
      "Invalid models: wildcard '*' cannot be used with other values in the whitelist"],
    ['a duplicate in the models', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', models: ['gpt-4o', 'gpt-4o'] }, 400, "Invalid models: duplicate value 'gpt-4o' in whitelist"],
    ['a negative weight', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', weight: -1 }, 400, 'weight must be a finite number of at least 0'],
    ['a string weight', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', weight: '2' }, 400, 'weight must be a finite number of at least 0'],
    ['another provider\'s key config', '/openai/keys', { value: 'sk-xxxxxxxxxxxx', azure_key_config: { endpoint: 'https://x' } }, 400, 'azure_key_config is not accepted for openai keys'],
    ['a masked placeholder as value', '/openai/keys', { value: `sk-1${'*'.repeat(24)}abcd` }, 400, 'masked preview cannot be used for value without a stored value'],
    ['a value of the wrong type', '/openai/keys', { value: 42 }, 400, 'value must be a string, "env.NAME", or {"value", "env_var", "from_env"}'],
    ['an unknown provider', '/skynet/keys', { value: 'x' }, 404, 'Provider not found: not found'],
  ])('refuses %s with Bifrost\'s message', async (_what, path, body, status, message) => {
    expectError(await api('POST', path, body), status, message);
  });

  it('answers malformed JSON with 400 "Invalid JSON: …"', async () => {
    const res = await t.rest('POST', '/api/providers/openai/keys', { rawBody: '{"value": ', token, headers: { 'content-type': 'application/json' } });
    expectError(res, 400, /^Invalid JSON: /);
  });

  it('defaults weight to 1 (Bifrost stores 0, and such a key is never picked) and accepts weight 0 when asked', async () => {
    const omitted = await api('POST', '/cerebras/keys', { value: secret('csk-w1') });
    expect(omitted.body.weight).toBe(1);
    const zero = await api('POST', '/cerebras/keys', { value: secret('csk-w0'), weight: 0 });
    expect(zero.body.weight).toBe(0);
  });

  it('answers 409 for a name used by any key of the brand (Bifrost 1.5.1 answers 500), and the v1 409 for a duplicate value', async () => {
    const value = secret('gsk_dupe_');
    expect((await api('POST', '/groq/keys', { name: 'shared-name', value })).status).toBe(200);
    expectError(await api('POST', '/openai/keys', { name: 'shared-name', value: secret('sk-') }), 409, 'API key names must be unique across providers. Choose a different name');
    expectError(await api('POST', '/groq/keys', { name: 'other-name', value }), 409, 'A key with this credential already exists for this provider');
  });

  it('lets exactly one of 50 concurrent creates with one name through; the others get 409', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api('POST', `/${i % 2 ? 'groq' : 'mistral'}/keys`, { name: 'contended', value: secret(`race${i}_`) })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.error.message).toBe('API key names must be unique across providers. Choose a different name');
    }
  });
});

describe('listing, replacing and deleting keys', () => {
  it('lists a provider\'s keys oldest first with the total', async () => {
    const brand = await t.createBrand('List order');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api('POST', '/together/keys', { name: `k${i}`, value: secret(`tg${i}_`) }, brand.token)).body.id);
    const res = await api('GET', '/together/keys', undefined, brand.token);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(4);
    expect(res.body.keys.map((k: any) => k.id)).toEqual(ids);
    expect((await api('GET', '/groq/keys', undefined, brand.token)).body).toEqual({ keys: [], total: 0 });
  });

  it('updates what a PUT carries and keeps what it leaves out, the secret sent back as its rendering included', async () => {
    const value = secret('gsk_put_');
    const created = (await api('POST', '/groq/keys', { name: 'put me', value, models: ['a'], weight: 3, use_for_batch_api: true })).body;
    const replaced = await api('PUT', `/groq/keys/${created.id}`, { value: created.value, blacklisted_models: ['b'] });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.body).toMatchObject({
      id: created.id, name: 'put me', value: created.value, models: ['a'], blacklisted_models: ['b'], weight: 3, enabled: true, use_for_batch_api: true,
    });
    // The stored secret is the original one: a lease hands it out.
    const row = (await t.rest('GET', '/api/v1/integrations?provider_name=groq&limit=100', { token })).body.integrations.find((i: any) => i.key_id === created.id);
    await t.rest('PATCH', `/api/v1/integrations/${row.id}`, { body: { is_primary: true }, token });
    const leased = await lease({ provider_name: 'groq', model: 'a' });
    expect(leased.body.lease.credentials).toEqual({ api_key: value });
    await t.rest('PATCH', `/api/v1/integrations/${row.id}`, { body: { is_primary: false }, token });
  });

  it('keeps the stored secret for a stale masked rendering or an empty value, as Bifrost does, and takes a new value', async () => {
    const value = secret('gsk_mask_');
    const created = (await api('POST', '/groq/keys', { value })).body;
    // A rendering of another (older) value, then an empty one: neither is a secret, so the stored one stays.
    for (const stale of [`abcd${'*'.repeat(24)}wxyz`, '********', '']) {
      const kept = await api('PUT', `/groq/keys/${created.id}`, { value: stale });
      expect(kept.status, JSON.stringify(kept.body)).toBe(200);
      expect(kept.body.value).toEqual(created.value);
    }
    const v1 = (await t.rest('GET', '/api/v1/integrations?provider_name=groq&limit=100', { token })).body.integrations.find((i: any) => i.key_id === created.id);
    expect(v1.key_preview).toEqual({ api_key: `${value.slice(0, 4)}...${value.slice(-3)}` });
    const fresh = secret('gsk_new_');
    const res = await api('PUT', `/groq/keys/${created.id}`, { value: fresh, name: 'renamed' });
    expect(res.body).toMatchObject({ name: 'renamed', value: { value: `${fresh.slice(0, 4)}${'*'.repeat(24)}${fresh.slice(-4)}` } });
  });

  it('answers 404 "Provider key not found: not found" for a key of another provider or none, and deletes with the deleted key', async () => {
    const created = (await api('POST', '/groq/keys', { value: secret('gsk_del_') })).body;
    expectError(await api('GET', `/mistral/keys/${created.id}`), 404, 'Provider key not found: not found');
    expectError(await api('PUT', '/groq/keys/nope', { value: 'gsk_0123456789' }), 404, 'Provider key not found: not found');
    const deleted = await api('DELETE', `/groq/keys/${created.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { id: created.id, value: created.value } });
    expectError(await api('DELETE', `/groq/keys/${created.id}`), 404, 'Provider key not found: not found');
    expectError(await api('GET', `/groq/keys/${created.id}`), 404, 'Provider key not found: not found');
  });
});

describe('one store for both dialects and GraphQL', () => {
  it('shows a Bifrost key in v1 and GraphQL, and a v1 key in Bifrost; each dialect updates, leases and deletes the other\'s keys', async () => {
    const brand = await t.createBrand('One store');
    const value = secret('fw_');
    const events = collectEvents(t);
    const bifrost = (await api('POST', '/fireworks/keys', { name: 'from bifrost', value, models: ['Llama-3'] }, brand.token)).body;
    const v1List = await t.rest('GET', '/api/v1/integrations', { token: brand.token });
    expect(v1List.body.integrations).toEqual([
      expect.objectContaining({ key_id: bifrost.id, key_label: 'from bifrost', is_active: true, models: ['Llama-3'], weight: 1, key_preview: { api_key: `${value.slice(0, 4)}...${value.slice(-3)}` } }),
    ]);
    const id = v1List.body.integrations[0].id;
    const gql = await t.gql('{ integrations { items { id keyId keyLabel models useForBatchApi } } }', {}, brand.token);
    expect(gql.data).toEqual({ integrations: { items: [{ id, keyId: bifrost.id, keyLabel: 'from bifrost', models: ['Llama-3'], useForBatchApi: false }] } });

    // v1 disables, Bifrost reads it; the model list compares case-insensitively when leasing.
    await t.rest('PATCH', `/api/v1/integrations/${id}`, { body: { is_active: false }, token: brand.token });
    expect((await api('GET', `/fireworks/keys/${bifrost.id}`, undefined, brand.token)).body.enabled).toBe(false);
    await t.rest('PATCH', `/api/v1/integrations/${id}`, { body: { is_active: true }, token: brand.token });
    const leased = await lease({ provider_name: 'fireworks', model: 'llama-3' }, brand.token);
    expect(leased.body.lease).toMatchObject({ integration_id: id, credentials: { api_key: value } });
    expect((await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leased.body.lease.lease_id, success: false, status_code: 503 }, token: brand.token })).status).toBe(200);
    // keypool's health in its own field; Bifrost's status says the key has served.
    expect((await api('GET', `/fireworks/keys/${bifrost.id}`, undefined, brand.token)).body).toMatchObject({ status: 'success', health_status: 'healthy' });

    // A v1 key in the Bifrost dialect; sent back as read, it keeps the secret.
    const v1Value = secret('fw_v1_');
    const v1Key = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'fireworks', credentials: { api_key: v1Value }, key_label: 'from v1' }, token: brand.token })).body.integration;
    const asBifrost = (await api('GET', '/fireworks/keys', undefined, brand.token)).body.keys.find((k: any) => k.id === v1Key.key_id);
    expect(asBifrost).toMatchObject({ name: 'from v1', value: { value: `${v1Value.slice(0, 4)}${'*'.repeat(24)}${v1Value.slice(-4)}`, from_env: false } });
    const put = await api('PUT', `/fireworks/keys/${v1Key.key_id}`, { ...asBifrost, weight: 0 }, brand.token);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await t.rest('PATCH', `/api/v1/integrations/${id}`, { body: { is_active: false }, token: brand.token });
    expect((await lease({ provider_name: 'fireworks' }, brand.token)).body.lease.credentials).toEqual({ api_key: v1Value });

    // Deleted through v1, gone from Bifrost; deleted through Bifrost, gone from v1.
    await t.rest('DELETE', `/api/v1/integrations/${id}`, { token: brand.token });
    expectError(await api('GET', `/fireworks/keys/${bifrost.id}`, undefined, brand.token), 404, 'Provider key not found: not found');
    await api('DELETE', `/fireworks/keys/${v1Key.key_id}`, undefined, brand.token);
    expect((await t.rest('GET', '/api/v1/integrations', { token: brand.token })).body.total).toBe(0);

    const seen = await events.settled(brand.brandId);
    const changes = seen.filter((e) => e.brandId === brand.brandId && e.type === 'integration.changed').map((e) => `${e.type === 'integration.changed' ? e.kind : ''} ${e.integration.keyId}`);
    expect(changes).toEqual(expect.arrayContaining([`CREATED ${bifrost.id}`, `DELETED ${bifrost.id}`, `CREATED ${v1Key.key_id}`, `UPDATED ${v1Key.key_id}`, `DELETED ${v1Key.key_id}`]));
  });

  it('renders a key stored before Bifrost renderings existed by its v1 preview, and keeps its secret when that is sent back', async () => {
    const brand = await t.createBrand('Legacy');
    const value = secret('legacy_');
    const created = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'ai21', credentials: { api_key: value } }, token: brand.token })).body.integration;
    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    await db.query('update integration set key_view = null where id = $1', [created.id]);
    await db.end();
    const read = (await api('GET', `/ai21/keys/${created.key_id}`, undefined, brand.token)).body;
    expect(read.value).toEqual({ value: created.key_preview.api_key, env_var: '', from_env: false });
    expect((await api('PUT', `/ai21/keys/${created.key_id}`, read, brand.token)).status).toBe(200);
    expect((await lease({ provider_name: 'ai21' }, brand.token)).body.lease.credentials).toEqual({ api_key: value });
  });

  it('follows the models rules when leasing: ["*"] or none = every model, [] = no model, a blacklisted "*" blocks all', async () => {
    const brand = await t.createBrand('Models');
    const make = async (models: unknown, blacklisted?: string[]) =>
      (await api('POST', '/sambanova/keys', { value: secret('sn_'), models, ...(blacklisted && { blacklisted_models: blacklisted }) }, brand.token)).body;
    const none = await make([]);
    const blockAll = await make(['*'], ['*']);
    const leased = await lease({ provider_name: 'sambanova', model: 'Any-Model' }, brand.token);
    expect(leased.status, JSON.stringify(leased.body)).toBe(429);
    expect(leased.body.skipped.map((s: any) => s.reason)).toEqual(['model_not_allowed', 'model_not_allowed']);
    expect(none.models).toEqual([]);
    expect(blockAll).toMatchObject({ models: ['*'], blacklisted_models: ['*'] });
    const all = await make(['*']);
    expect((await lease({ provider_name: 'sambanova', model: 'Any-Model' }, brand.token)).body.lease.integration_id).toBeDefined();
    expect(all.models).toEqual(['*']);
  });

  it('gives a batch lease only keys marked use_for_batch_api, and says why the others were skipped', async () => {
    const brand = await t.createBrand('Batch');
    await api('POST', '/huggingface/keys', { value: secret('hf_plain_') }, brand.token);
    const refused = await lease({ provider_name: 'huggingface', batch: true }, brand.token);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/not a batch key \(use_for_batch_api is false\)/);
    const batchKey = (await api('POST', '/huggingface/keys', { value: secret('hf_batch_'), use_for_batch_api: true }, brand.token)).body;
    for (let i = 0; i < 5; i++) {
      const res = await lease({ provider_name: 'huggingface', batch: true }, brand.token);
      expect(res.body.lease.integration_id).toBe((await t.rest('GET', '/api/v1/integrations', { token: brand.token })).body.integrations.find((x: any) => x.key_id === batchKey.id).id);
    }
  });
});

describe('providers', () => {
  it('lists Bifrost\'s standard providers and those the brand configured or keyed, by name, with the total, and its own custom ones', async () => {
    const brand = await t.createBrand('Provider list');
    const before = await api('GET', '', undefined, brand.token);
    expect(before.status).toBe(200);
    const names = before.body.providers.map((p: any) => p.name);
    expect(names).toEqual([...names].sort());
    expect(before.body.total).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['openrouter', 'groq', 'openai', 'anthropic', 'azure', 'bedrock', 'vertex', 'ollama', 'vllm']));
    // keypool's other catalog providers appear once the brand uses one.
    expect(names).not.toContain('cloudflare');
    await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'cloudflare', credentials: { api_key: secret('cf_'), account_id: 'acct-1' } }, token: brand.token });
    const keyed = (await api('GET', '', undefined, brand.token)).body;
    expect(keyed.providers.map((p: any) => p.name)).toContain('cloudflare');
    expect(keyed.total).toBe(before.body.total + 1);
    expect(before.body.providers.find((p: any) => p.name === 'groq')).toMatchObject({
      name: 'groq', network_config: { base_url: '', default_request_timeout_in_seconds: 30 }, concurrency_and_buffer_size: { concurrency: 1000, buffer_size: 5000 }, provider_status: 'active',
    });
    const created = await api('POST', '', { provider: 'acme-llm', custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'https://llm.acme.test/v1/' } }, brand.token);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({
      name: 'acme-llm',
      network_config: { base_url: 'https://llm.acme.test/v1' },
      custom_provider_config: { base_provider_type: 'openai', is_key_less: false },
    });
    const after = await api('GET', '', undefined, brand.token);
    expect(after.body.total).toBe(before.body.total + 2);
    expect((await api('GET', '/acme-llm', undefined, brand.token)).body.name).toBe('acme-llm');
    // Another brand does not see it, cannot change it, cannot delete it or add keys to it.
    expectError(await api('GET', '/acme-llm'), 404, 'Provider not found: not found');
    expectError(await api('PUT', '/acme-llm', { network_config: { base_url: 'http://evil.test' } }), 404, 'Provider not found: not found');
    expectError(await api('DELETE', '/acme-llm'), 404, 'Provider not found: not found');
    expectError(await api('POST', '/acme-llm/keys', { value: 'sk-0123456789' }), 404, 'Provider not found: not found');
    expect((await api('GET', '')).body.providers.map((p: any) => p.name)).not.toContain('acme-llm');
    expect((await api('GET', '/acme-llm', undefined, brand.token)).body.network_config.base_url).toBe('https://llm.acme.test/v1');
  });

  it.each([
    ['a custom provider named like a standard one', { provider: 'openai', custom_provider_config: { base_provider_type: 'openai' } }, 'Custom provider cannot be same as a standard provider'],
    ['a base type that is not a standard provider', { provider: 'mine', custom_provider_config: { base_provider_type: 'skynet' }, network_config: { base_url: 'http://x.test' } },
      'custom_provider_config.base_provider_type must be a standard provider (one of GET /api/providers that is not custom)'],
    ['a keyless Bedrock-based provider', { provider: 'mine', custom_provider_config: { base_provider_type: 'bedrock', is_key_less: true }, network_config: { base_url: 'http://x.test' } },
      'Bedrock-based custom providers cannot be keyless'],
    ['a custom provider without base URL', { provider: 'mine', custom_provider_config: { base_provider_type: 'openai' } }, 'network_config.base_url is required for a custom provider'],
    ['a base URL that is not http(s)', { provider: 'mine', custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'file:///etc/passwd' } },
      'network_config.base_url must be an http or https URL'],
    ['an unknown provider without custom config', { provider: 'mine' }, 'custom_provider_config is required: the name is not a standard provider\'s'],
    ['a proxy, which keypool does not do', { provider: 'groq', proxy_config: { type: 'http' } }, 'proxy_config is not supported by keypool (send null or leave it out)'],
    ['more than 32 extra headers', { provider: 'groq', network_config: { extra_headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-h${i}`, 'v'])) } },
      'network_config.extra_headers may hold at most 32 headers'],
    ['an extra header that splits a line', { provider: 'groq', network_config: { extra_headers: { 'x-ok': 'v', 'x-team': 'a\r\nx-injected: 1' } } },
      'network_config.extra_headers entry 2 is not a valid HTTP header: a name of letters, digits and !#$%&\'*+.^_`|~- (at most 128), a value without line breaks'],
    ['an extra header name with a space', { provider: 'groq', network_config: { extra_headers: { 'x team': 'v' } } },
      'network_config.extra_headers entry 1 is not a valid HTTP header: a name of letters, digits and !#$%&\'*+.^_`|~- (at most 128), a value without line breaks'],
    ['extra headers over 8 KiB', { provider: 'groq', network_config: { extra_headers: { 'x-a': 'v'.repeat(5000), 'x-b': 'v'.repeat(5000) } } },
      'network_config.extra_headers may hold at most 8192 bytes of names and values'],
  ])('refuses %s', async (_what, body, message) => {
    expectError(await api('POST', '', body), 400, message);
  });

  it('makes a keyless provider lease its base URL with no credential, tracks its health, and refuses key writes', async () => {
    const brand = await t.createBrand('Keyless');
    const created = await api('POST', '', {
      provider: 'office-ollama', custom_provider_config: { base_provider_type: 'ollama', is_key_less: true }, network_config: { base_url: 'http://10.1.2.3:11434' },
    }, brand.token);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await api('GET', '/office-ollama/keys', undefined, brand.token)).body).toEqual({ keys: [], total: 0 });
    expect(await api('POST', '/office-ollama/keys', { value: 'x' }, brand.token)).toMatchObject(bifrostError(400, 'Cannot add keys to a keyless provider'));
    expect(await api('PUT', '/office-ollama/keys/x', { value: 'x' }, brand.token)).toMatchObject(bifrostError(400, 'Cannot update keys on a keyless provider'));
    expect(await api('DELETE', '/office-ollama/keys/x', undefined, brand.token)).toMatchObject(bifrostError(400, 'Cannot delete keys on a keyless provider'));
    const v1 = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'office-ollama', credentials: { api_key: 'x' } }, token: brand.token });
    expect(v1).toMatchObject({ status: 400, body: { success: false, error: 'Cannot add keys to a keyless provider' } });

    const leased = await lease({ provider_name: 'office-ollama' }, brand.token);
    expect(leased.status, JSON.stringify(leased.body)).toBe(200);
    expect(leased.body.lease).toMatchObject({ credentials: {}, base_url: 'http://10.1.2.3:11434', provider_name: 'office-ollama' });
    const report = await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leased.body.lease.lease_id, success: false, status_code: 401 }, token: brand.token });
    expect(report.body.integration).toMatchObject({ health_status: 'unhealthy', provider_name: 'office-ollama' });

    // A keyless provider cannot be made keyed while it is keyless; deleting it removes its endpoint.
    const deleted = await api('DELETE', '/office-ollama', undefined, brand.token);
    expect(deleted.status).toBe(200);
    expect((await t.rest('GET', '/api/v1/integrations', { token: brand.token })).body.total).toBe(0);
    const gone = await lease({ provider_name: 'office-ollama' }, brand.token);
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatch(/^Invalid provider_name\. Supported: openrouter, .*deepseek$/);
  });

  it('deletes a custom provider\'s keys with it, and takes keys of a keyed custom provider in every dialect', async () => {
    const brand = await t.createBrand('Custom keys');
    await api('POST', '', { provider: 'acme', custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'https://acme.test' } }, brand.token);
    const key = await api('POST', '/acme/keys', { value: secret('sk-acme-') }, brand.token);
    expect(key.status, JSON.stringify(key.body)).toBe(200);
    const v1 = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'acme', credentials: { api_key: secret('sk-acme-v1-') } }, token: brand.token });
    expect(v1.status).toBe(201);
    expect(v1.body.integration.provider_label).toBe('acme');
    expect((await lease({ provider_name: 'acme' }, brand.token)).body.lease.base_url).toBe('https://acme.test');
    const updated = await api('PUT', '/acme', { custom_provider_config: { base_provider_type: 'openai', is_key_less: true } }, brand.token);
    expectError(updated, 400, 'Cannot make a provider keyless while it has keys: delete its keys first');
    await api('DELETE', '/acme', undefined, brand.token);
    expect((await t.rest('GET', '/api/v1/integrations', { token: brand.token })).body.total).toBe(0);
    expectError(await api('GET', '/acme/keys', undefined, brand.token), 404, 'Provider not found: not found');
  });

  it('keeps a standard provider\'s network settings per brand and hands its base URL out with each lease', async () => {
    const brand = await t.createBrand('Network');
    const put = await api('PUT', '/groq', { network_config: { base_url: 'http://127.0.0.1:9999/openai', max_retries: 2 } }, brand.token);
    expect(put.body.network_config).toMatchObject({ base_url: 'http://127.0.0.1:9999/openai', max_retries: 2 });
    await api('POST', '/groq/keys', { value: secret('gsk_net_') }, brand.token);
    expect((await lease({ provider_name: 'groq' }, brand.token)).body.lease.base_url).toBe('http://127.0.0.1:9999/openai');
    expect((await api('GET', '/groq')).body.network_config.base_url).toBe('');
  });
});

describe('environment references', () => {
  it('stores "env.NAME" as a reference, renders it as one, and resolves it only when leasing', async () => {
    const brand = await t.createBrand('Env');
    const res = await api('POST', '/groq/keys', { value: 'env.KP_TEST_GROQ_KEY' }, brand.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.value).toEqual({ value: '', env_var: 'env.KP_TEST_GROQ_KEY', from_env: true });
    const v1 = (await t.rest('GET', '/api/v1/integrations', { token: brand.token })).body.integrations[0];
    expect(v1.key_preview).toEqual({ api_key: 'env.KP_TEST_GROQ_KEY' });
    expect((await lease({ provider_name: 'groq' }, brand.token)).body.lease.credentials).toEqual({ api_key: env.KP_TEST_GROQ_KEY });
    // Sent back as rendered, it stays a reference.
    const put = await api('PUT', `/groq/keys/${res.body.id}`, res.body, brand.token);
    expect(put.body.value).toEqual(res.body.value);
  });

  it('skips a key whose variable disappeared, with the reason', async () => {
    const brand = await t.createBrand('Env gone');
    const object = { value: '', env_var: 'env.KP_TEST_GONE', from_env: true };
    expect((await api('POST', '/groq/keys', { value: object }, brand.token)).status).toBe(200);
    delete env.KP_TEST_GONE;
    const res = await lease({ provider_name: 'groq' }, brand.token);
    expect(res.status).toBe(429);
    expect(res.body.error).toMatch(/environment variable KP_TEST_GONE is unset/);
    expect(res.body.skipped).toEqual([expect.objectContaining({ reason: 'environment_unset', variable: 'KP_TEST_GONE' })]);
  });

  it('refuses a variable the operator did not allow, and an allowed one that is unset', async () => {
    expectError(await api('POST', '/groq/keys', { value: 'env.HOME' }), 400, 'the environment variable referred to is not allowed; the operator can add it to KEYPOOL_ENV_ALLOWLIST');
    expectError(await api('POST', '/groq/keys', { value: 'env.KP_TEST_NEVER_SET' }), 400, 'environment variable KP_TEST_NEVER_SET is unset');
    expectError(await api('POST', '/groq/keys', { value: 'env.not a name' }), 400, 'value does not name a valid environment variable ("env.NAME": a letter or "_", then letters, digits or "_")');
  });

  it.each(SERVER_VARIABLES)('never lets a key read %s: not at create, not via PUT, not in a key config, not through v1 or GraphQL', async (name) => {
    const message = `environment variable ${name} is keypool's own and can never be referenced`;
    expectError(await api('POST', '/groq/keys', { value: `env.${name}` }), 400, message);
    expectError(await api('POST', '/groq/keys', { value: { value: '', env_var: `env.${name}`, from_env: true } }), 400, message);
    expectError(await api('POST', '/azure/keys', { value: 'azure-key-0123456789', azure_key_config: { endpoint: `env.${name}` } }), 400, message);
    const key = (await api('POST', '/groq/keys', { value: secret('gsk_serverenv_') })).body;
    expectError(await api('PUT', `/groq/keys/${key.id}`, { value: `env.${name}` }), 400, message);
    const v1 = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: `env.${name}` } }, token });
    expect(v1).toMatchObject({ status: 400, body: { success: false, error: message } });
    const gql = await t.gql(`mutation { createIntegration(input: { providerName: "groq", credentials: { api_key: "env.${name}" } }) { id } }`, {}, token);
    expect(gql.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('isolation between brands', () => {
  it('shows, changes and deletes nothing of another brand\'s keys on any route', async () => {
    const other = await t.createBrand('Other brand');
    const mine = (await api('POST', '/groq/keys', { name: 'private to brand A', value: secret('gsk_iso_') })).body;
    expect((await api('GET', '/groq/keys', undefined, other.token)).body).toEqual({ keys: [], total: 0 });
    for (const [method, body] of [['GET', undefined], ['PUT', { value: 'gsk_0123456789abc' }], ['DELETE', undefined]] as const) {
      expectError(await api(method, `/groq/keys/${mine.id}`, body, other.token), 404, 'Provider key not found: not found');
    }
    // The name belongs to brand A only: brand B may use it.
    expect((await api('POST', '/groq/keys', { name: 'private to brand A', value: secret('gsk_iso_b_') }, other.token)).status).toBe(200);
    expect((await api('GET', `/groq/keys/${mine.id}`)).body.name).toBe('private to brand A');
    expectError(await api('GET', '/groq/keys', undefined, 'not-a-token'), 401, /^Invalid client token/);
  });
});

describe('hostile input on the Bifrost routes', () => {
  it.each([
    ['a NUL in the key id', 'GET', '/groq/keys/a%00b', undefined, 400, 'key_id must not contain NUL characters (\\u0000)'],
    ['a 1,000-character key id', 'GET', `/groq/keys/${'k'.repeat(1000)}`, undefined, 404, 'Provider key not found: not found'],
    ['a 10,000-character key id', 'GET', `/groq/keys/${'k'.repeat(10_000)}`, undefined, 400, 'A path segment is longer than 1024 characters'],
    ['a malformed percent-encoding', 'GET', '/groq/keys/%E0%A4%A', undefined, 400, 'The URL is malformed (bad percent-encoding)'],
    ['a NUL in the provider', 'GET', '/gr%00oq/keys', undefined, 400, 'provider must not contain NUL characters (\\u0000)'],
    ['a non-ASCII provider', 'DELETE', '/gr%C3%B6q', undefined, 404, 'Provider not found: not found'],
    ['an array body', 'POST', '/groq/keys', [], 400, 'Request body must be a JSON object'],
    ['a NUL in a value', 'POST', '/groq/keys', { value: 'gsk_\u0000abcdefghijk' }, 400, /NUL/],
    ['a string network_config', 'PUT', '/groq', { network_config: 'fast' }, 400, 'network_config must be an object'],
    ['a negative retry count', 'PUT', '/groq', { network_config: { max_retries: -1 } }, 400, 'network_config.max_retries must be a whole number from 0 to 100'],
    ['an env var object without a name', 'POST', '/groq/keys', { value: { from_env: true } }, 400, 'value.env_var is required when from_env is true'],
    ['a secret object without a string value', 'POST', '/groq/keys', { value: { value: 7 } }, 400, 'value must be a string, "env.NAME", or {"value", "env_var", "from_env"}'],
  ] as const)('answers %s with a clear 4xx in Bifrost\'s envelope', async (_what, method, path, body, status, message) => {
    const res = await api(method, path, body);
    expectError(res, status, message);
  });
});

