/**
 * Bifrost's own clients, unmodified, against keypool: the web UI's API layer
 * (ui/lib/store/apis/baseApi.ts and providersApi.ts in maximhq/bifrost: every
 * request with `Content-Type: application/json`, DELETE included, bodies as
 * the UI's forms build them, read-modify-write of what GET returned) and the
 * Newman collection tests/e2e/api/collections/bifrost-api-management.postman_collection.json
 * (its requests, and its test scripts' assertions). Then what a team moving
 * from Bifrost also does by habit: curl -d without a Content-Type, partial key
 * rotations, newer key fields, the UI served from another origin, and the
 * network options its Network form sets, honoured by the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';

let t: TestApp;
let fake: FakeOpenAi;
let token: string;
let brandId: string;
let unique = 0;
const next = () => `${Date.now().toString(36)}${++unique}`;
const secret = (prefix: string) => `${prefix}${next()}abcdefghijklmnop`;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp();
  ({ token, brandId } = await t.createBrand('Bifrost clients'));
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

interface Sent {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * A request as Bifrost's UI makes it (baseApi's fetchBaseQuery, behind a proxy that adds the
 * token): `Content-Type: application/json` on every request, the body JSON when there is one.
 */
async function ui(method: string, path: string, body?: unknown, tok = token): Promise<Sent> {
  const res = await fetch(`${t.url}/api${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The envelope every Bifrost error has, its status_code the HTTP status (the collection's error assertion). */
function expectBifrostError(res: Sent, status: number, message?: string | RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({ is_bifrost_error: false, status_code: status, error: { message: expect.any(String) }, extra_fields: {} });
  if (message !== undefined) expect(res.body.error.message).toMatch(message);
}

/** The collection's assertProviderResponse: a name, non-empty network and concurrency objects, a provider_status string. */
function assertProviderResponse(body: any, name: string) {
  expect(body.name).toBe(name);
  for (const field of ['network_config', 'concurrency_and_buffer_size']) {
    expect(typeof body[field], field).toBe('object');
    expect(Object.keys(body[field]).length, field).toBeGreaterThan(0);
  }
  expect(typeof body.provider_status).toBe('string');
  expect(body.provider_status.length).toBeGreaterThan(0);
}

/** What Bifrost's UI Network form sends: every option, most at their defaults. */
const UI_NETWORK_CONFIG = {
  base_url: '',
  extra_headers: {},
  default_request_timeout_in_seconds: 30,
  max_retries: 0,
  retry_backoff_initial: 500,
  retry_backoff_max: 5000,
  insecure_skip_verify: false,
  ca_cert_pem: { value: '', env_var: '', from_env: false },
  stream_idle_timeout_in_seconds: 60,
  max_conns_per_host: 5000,
  enforce_http2: false,
  beta_header_overrides: {},
};

describe('the web UI\'s API layer (providersApi.ts)', () => {
  it('adds a custom provider from the Add provider form, reads it, saves the Network form over it, and deletes it with a bodiless DELETE', async () => {
    const name = `ui-provider-${next()}`;
    const created = await ui('POST', '/providers', {
      provider: name,
      custom_provider_config: { base_provider_type: 'openai', is_key_less: false, allowed_requests: { chat_completion: true, chat_completion_stream: true, embedding: true } },
      network_config: { ...UI_NETWORK_CONFIG, base_url: 'https://llm.example.test' },
      concurrency_and_buffer_size: { concurrency: 1000, buffer_size: 5000 },
      proxy_config: { type: 'none', url: '', username: '', password: '' },
      send_back_raw_request: false,
      send_back_raw_response: false,
      store_raw_request_response: false,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    assertProviderResponse(created.body, name);
    // Unset members of custom_provider_config are left out, as Bifrost leaves them out.
    expect(created.body.custom_provider_config).toEqual({ base_provider_type: 'openai', is_key_less: false, allowed_requests: { chat_completion: true, chat_completion_stream: true, embedding: true } });

    // The Network form: the provider as read, every option changed, saved as the UI saves it ({ name, ...body } -> body).
    const { name: _name, ...read } = (await ui('GET', `/providers/${encodeURIComponent(name)}`)).body;
    const network = {
      ...read.network_config,
      default_request_timeout_in_seconds: 45,
      max_retries: 2,
      retry_backoff_initial: '250ms',
      retry_backoff_max: '2s',
      insecure_skip_verify: true,
      stream_idle_timeout_in_seconds: 90,
      max_conns_per_host: 64,
      enforce_http2: true,
      beta_header_overrides: { 'redact-thinking-': false },
      extra_headers: { 'x-team': 'search' },
    };
    const saved = await ui('PUT', `/providers/${encodeURIComponent(name)}`, { ...read, network_config: network });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const expected = {
      base_url: 'https://llm.example.test', extra_headers: { 'x-team': 'search' }, default_request_timeout_in_seconds: 45, max_retries: 2,
      retry_backoff_initial: 250, retry_backoff_max: 2000, insecure_skip_verify: true, stream_idle_timeout_in_seconds: 90, max_conns_per_host: 64,
      enforce_http2: true, beta_header_overrides: { 'redact-thinking-': false },
    };
    expect(saved.body.network_config).toEqual(expected);
    expect((await ui('GET', `/providers/${encodeURIComponent(name)}`)).body.network_config).toEqual(expected);

    // The UI's DELETE carries Content-Type: application/json and no body.
    const deleted = await ui('DELETE', `/providers/${encodeURIComponent(name)}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.name).toBe(name);
    expect((await ui('GET', '/providers')).body.providers.map((p: any) => p.name)).not.toContain(name);
  });

  it('adds, reads back, saves and deletes a key as the key form does, aliases included; the secret read back masked stays the stored one', async () => {
    const value = secret('sk-ui-');
    const form = {
      name: `ui key ${next()}`,
      value: { value, env_var: '', from_env: false },
      models: ['*'],
      blacklisted_models: [],
      weight: 1,
      enabled: true,
      use_for_batch_api: false,
      aliases: {},
    };
    const created = await ui('POST', '/providers/openai/keys', form);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ name: form.name, models: ['*'], enabled: true, status: 'unknown', health_status: 'healthy' });
    expect(created.body).not.toHaveProperty('config_hash');
    // aliases: null is taken too (an older form).
    const withNull = await ui('POST', '/providers/openai/keys', { ...form, name: `ui key ${next()}`, value: { value: secret('sk-ui-null-'), env_var: '', from_env: false }, aliases: null });
    expect(withNull.status, JSON.stringify(withNull.body)).toBe(200);

    // Edit: the key as listed, with new aliases and weight, saved whole (its value is the masked rendering).
    const listed = (await ui('GET', '/providers/openai/keys')).body.keys.find((k: any) => k.id === created.body.id);
    const edited = await ui('PUT', `/providers/openai/keys/${encodeURIComponent(listed.id)}`, { ...listed, weight: 2, aliases: { 'gpt-4o': 'gpt-4o-2024-08-06' } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ weight: 2, aliases: { 'gpt-4o': 'gpt-4o-2024-08-06' }, value: created.body.value });
    const v1 = (await t.rest('GET', '/api/v1/integrations?provider_name=openai&limit=100', { token })).body.integrations.find((k: any) => k.key_id === created.body.id);
    expect(v1.key_preview).toEqual({ api_key: `${value.slice(0, 4)}...${value.slice(-3)}` });

    // The virtual-key pages list every key of every provider.
    const all = await ui('GET', '/keys');
    expect(all.status).toBe(200);
    expect(all.body).toEqual(expect.arrayContaining([{ key_id: created.body.id, name: form.name, provider: 'openai', models: ['*'] }]));
    expect(JSON.stringify(all.body)).not.toContain(value);

    const deleted = await ui('DELETE', `/providers/openai/keys/${encodeURIComponent(created.body.id)}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await ui('GET', '/keys')).body.map((k: any) => k.key_id)).not.toContain(created.body.id);
  });

  it('answers every /api route Bifrost has and keypool does not in Bifrost\'s envelope, and /api/v1 in keypool\'s own', async () => {
    expectBifrostError(await ui('GET', '/models?limit=5'), 404);
    expectBifrostError(await ui('GET', '/governance/virtual-keys'), 404);
    const v1 = await ui('GET', '/v1/nothing-here');
    expect(v1.status).toBe(404);
    expect(v1.body).not.toHaveProperty('is_bifrost_error');
  });

  it('tolerates a trailing slash', async () => {
    expect((await ui('GET', '/providers/')).status).toBe(200);
    expect((await ui('GET', '/providers/groq/keys/')).status).toBe(200);
    expect((await ui('GET', '/keys/')).status).toBe(200);
  });
});

describe('the Newman collection (bifrost-api-management)', () => {
  const collectionProvider = `custom-${next()}`;

  it('runs List, Add, Get, Update and Delete Provider and List Keys with the collection\'s own assertions', async () => {
    const list = await ui('GET', '/providers');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body.providers)).toBe(true);
    expect(list.body.total).toBe(list.body.providers.length);

    const add = await ui('POST', '/providers', {
      provider: collectionProvider,
      custom_provider_config: { base_provider_type: 'openai', is_key_less: true },
      network_config: { base_url: 'https://api.openai.com/', default_request_timeout_in_seconds: 30, max_retries: 0, retry_backoff_initial: 500, retry_backoff_max: 5000 },
      keys: [],
    });
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    for (const field of ['name', 'network_config', 'concurrency_and_buffer_size', 'provider_status']) expect(add.body[field], field).not.toBeNull();
    assertProviderResponse(add.body, collectionProvider);

    const get = await ui('GET', `/providers/${collectionProvider}`);
    expect(get.status).toBe(200);
    assertProviderResponse(get.body, collectionProvider);

    const update = await ui('PUT', `/providers/${collectionProvider}`, {
      name: collectionProvider,
      keys: [],
      network_config: { base_url: 'https://api.openai.com/', default_request_timeout_in_seconds: 30, max_retries: 0, retry_backoff_initial: 500, retry_backoff_max: 5000 },
      concurrency_and_buffer_size: { concurrency: 1000, buffer_size: 5000 },
      proxy_config: null,
      send_back_raw_request: false,
      send_back_raw_response: false,
      custom_provider_config: { is_key_less: true, base_provider_type: 'openai' },
      provider_status: 'active',
    });
    expect(update.status, JSON.stringify(update.body)).toBe(200);
    assertProviderResponse(update.body, collectionProvider);

    const keys = await ui('GET', '/keys');
    expect(keys.status).toBe(200);
    expect(Array.isArray(keys.body)).toBe(true);

    const del = await ui('DELETE', `/providers/${collectionProvider}`);
    expect(del.status).toBe(200);
    expect(del.body.name).toBe(collectionProvider);
    for (const field of ['network_config', 'concurrency_and_buffer_size']) expect(Object.keys(del.body[field]).length).toBeGreaterThan(0);
  });

  it('answers the coverage probes on a provider that does not exist with 2xx or a 4xx in the envelope', async () => {
    const probes: [string, string, unknown?][] = [
      ['GET', '/providers/coverage-probe-provider/keys'],
      ['POST', '/providers/coverage-probe-provider/keys', { name: 'coverage-probe-key', value: 'coverage-probe-value' }],
      ['GET', '/providers/coverage-probe-provider/keys/coverage-probe-key'],
      ['PUT', '/providers/coverage-probe-provider/keys/coverage-probe-key', { name: 'coverage-probe-key', value: 'coverage-probe-value' }],
      ['DELETE', '/providers/coverage-probe-provider/keys/coverage-probe-key'],
    ];
    for (const [method, path, body] of probes) {
      const res = await ui(method, path, body);
      if (res.status >= 300) expectBifrostError(res, 404, 'Provider not found: not found');
      else expect(res.status).toBe(200);
    }
  });

  it('refuses keys on the provider routes with Bifrost\'s message, as Bifrost does', async () => {
    const res = await ui('POST', '/providers', {
      provider: `custom-${next()}`, custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'https://x.example.test' },
      keys: [{ name: 'k', value: 'sk-0123456789abcdef' }],
    });
    expectBifrostError(res, 400, 'keys are not accepted on this endpoint; use POST/PUT /api/providers/{provider}/keys[/{key_id}] to manage keys');
  });
});

describe('how scripts send bodies', () => {
  it('reads a JSON body sent with curl -d (form-urlencoded), without any Content-Type, or as text/plain', async () => {
    for (const contentType of ['application/x-www-form-urlencoded', null, 'text/plain; charset=utf-8']) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (contentType) headers['content-type'] = contentType;
      const value = secret('gsk_curl_');
      const res = await fetch(`${t.url}/api/providers/groq/keys`, { method: 'POST', headers, body: new TextEncoder().encode(JSON.stringify({ name: `curl ${next()}`, value })) });
      const body = await res.json() as any;
      expect(res.status, `${contentType}: ${JSON.stringify(body)}`).toBe(200);
      expect(body.value.value).toBe(`${value.slice(0, 4)}${'*'.repeat(24)}${value.slice(-4)}`);
    }
  });

  it('still answers a body that is not JSON with Bifrost\'s "Invalid JSON"', async () => {
    const res = await fetch(`${t.url}/api/providers/groq/keys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=a&value=b' });
    expectBifrostError({ status: res.status, headers: res.headers, body: await res.json() }, 400, /^Invalid JSON: /);
  });

  it('ignores the fields it does not know, as Bifrost does, and names them in keypool-ignored-fields; a known field with a bad value is still refused', async () => {
    const res = await ui('POST', '/providers/groq/keys', { name: `unknown ${next()}`, value: { value: secret('gsk_unk_'), env_var: '', from_env: false, note: 'x' }, colour: 'red', network: 1 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('keypool-ignored-fields')).toBe('value.note, colour, network');
    // A key pasted where a field name goes (as long as real keys are) is counted, never repeated.
    const pastedKey = `gsk_${'AbCdEfGh12'.repeat(5)}xy`;
    const pasted = await ui('POST', '/providers/groq/keys', { name: `pasted ${next()}`, value: secret('gsk_ok_'), [pastedKey]: true });
    expect(pasted.status).toBe(200);
    expect(pasted.headers.get('keypool-ignored-fields')).toBe('1 more');
    expectBifrostError(await ui('POST', '/providers/groq/keys', { value: secret('gsk_w_'), weight: 'heavy', colour: 'red' }), 400, 'weight must be a finite number of at least 0');
    expectBifrostError(await ui('PUT', '/providers/groq', { network_config: { max_conns_per_host: 20_000 } }), 400, 'network_config.max_conns_per_host must be a whole number from 0 to 10000');
    expectBifrostError(await ui('PUT', '/providers/groq', { network_config: { allow_private_network: true } }), 400, /KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS/);
    expectBifrostError(await ui('PUT', '/providers/groq', { proxy_config: { type: 'http', url: 'http://proxy.test' } }), 400, 'proxy_config is not supported by keypool (send null or leave it out)');
    expectBifrostError(await ui('PUT', '/providers/groq', { network_config: { retry_backoff_initial: 'soon' } }), 400, 'network_config.retry_backoff_initial must be whole milliseconds or a duration such as "500ms", "5s" or "1m"');
  });
});

describe('a partial key PUT keeps what it leaves out', () => {
  it('rotates a restricted, disabled key with { name, value }: it stays restricted and disabled, with its weight and config', async () => {
    const first = secret('sk-rot-1-');
    const created = (await ui('POST', '/providers/azure/keys', {
      name: `rotate ${next()}`, value: first, models: ['gpt-4o'], blacklisted_models: ['o1'], weight: 3, enabled: false, use_for_batch_api: true,
      aliases: { 'gpt-4o': 'east-gpt4o' },
      azure_key_config: { endpoint: 'https://east.openai.azure.com', api_version: '2024-10-21', deployments: { 'gpt-4o': 'east-gpt4o' }, client_secret: 'azure-client-secret-0001' },
    })).body;
    const second = secret('sk-rot-2-');
    const rotated = await ui('PUT', `/providers/azure/keys/${created.id}`, { name: created.name, value: second });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body).toMatchObject({
      models: ['gpt-4o'], blacklisted_models: ['o1'], weight: 3, enabled: false, use_for_batch_api: true, aliases: { 'gpt-4o': 'east-gpt4o' },
      azure_key_config: { endpoint: { value: 'https://east.openai.azure.com' }, api_version: { value: '2024-10-21' }, client_secret: created.azure_key_config.client_secret },
      value: { value: `${second.slice(0, 4)}${'*'.repeat(24)}${second.slice(-4)}` },
    });
    // A key config sent changes only the fields it names.
    const moved = await ui('PUT', `/providers/azure/keys/${created.id}`, { azure_key_config: { endpoint: { value: 'https://west.openai.azure.com', env_var: '', from_env: false } } });
    expect(moved.body.azure_key_config).toMatchObject({ endpoint: { value: 'https://west.openai.azure.com' }, api_version: { value: '2024-10-21' }, deployments: { 'gpt-4o': 'east-gpt4o' } });
    // Enabled explicitly, it leases with the new value and the config kept.
    await ui('PUT', `/providers/azure/keys/${created.id}`, { enabled: true });
    const lease = await t.app.services.leases.leaseKey(brandId, { providerName: 'azure', model: 'gpt-4o', batch: true, excludeIntegrationIds: [] }, null);
    expect(lease.kind).toBe('leased');
    if (lease.kind === 'leased') {
      expect(lease.lease.credentials).toEqual({
        api_key: second,
        azure_key_config: { endpoint: 'https://west.openai.azure.com', api_version: '2024-10-21', deployments: { 'gpt-4o': 'east-gpt4o' }, client_secret: 'azure-client-secret-0001' },
      });
    }
  });
});

describe('newer key fields and Bifrost\'s renderings', () => {
  it('stores Bedrock\'s role_arn, external_id and session_name and Replicate\'s use_deployments_endpoint; settings are shown, secrets masked', async () => {
    const bedrock = await ui('POST', '/providers/bedrock/keys', {
      name: `bedrock ${next()}`, value: '',
      bedrock_key_config: {
        region: { value: 'us-east-1', env_var: '', from_env: false }, role_arn: 'arn:aws:iam::123456789012:role/keypool', external_id: 'external-id-secret-0001',
        session_name: 'keypool-session', access_key: 'AKIAEXAMPLEKEY00001', secret_key: 'secret-key-value-000000000001',
      },
    });
    expect(bedrock.status, JSON.stringify(bedrock.body)).toBe(200);
    expect(bedrock.body.bedrock_key_config).toMatchObject({
      region: { value: 'us-east-1', env_var: '', from_env: false },
      role_arn: { value: 'arn:aws:iam::123456789012:role/keypool', env_var: '', from_env: false },
      session_name: { value: 'keypool-session', env_var: '', from_env: false },
      external_id: { value: `exte${'*'.repeat(24)}0001` },
      secret_key: { value: `secr${'*'.repeat(24)}0001` },
    });
    const replicate = await ui('POST', '/providers/replicate/keys', {
      name: `replicate ${next()}`, value: secret('r8_'), replicate_key_config: { use_deployments_endpoint: true, deployments: { flux: 'acme/flux' } },
    });
    expect(replicate.status, JSON.stringify(replicate.body)).toBe(200);
    expect(replicate.body.replicate_key_config).toEqual({ use_deployments_endpoint: true, deployments: { flux: 'acme/flux' } });
    const vertex = await ui('POST', '/providers/vertex/keys', {
      name: `vertex ${next()}`, value: '', vertex_key_config: { project_id: 'acme-prod', region: 'europe-west4', auth_credentials: '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----x"}' },
    });
    expect(vertex.status, JSON.stringify(vertex.body)).toBe(200);
    expect(vertex.body.vertex_key_config).toMatchObject({ project_id: { value: 'acme-prod' }, region: { value: 'europe-west4' } });
    expect(JSON.stringify(vertex.body)).not.toContain('BEGIN PRIVATE KEY');
  });

  it('says unknown, then success once the key served, then list_models_failed once keypool takes it out, with keypool\'s health beside', async () => {
    const brand = await t.createBrand(`status ${next()}`);
    const key = (await ui('POST', '/providers/groq/keys', { name: 'status key', value: secret('gsk_status_') }, brand.token)).body;
    expect(key).toMatchObject({ status: 'unknown', health_status: 'healthy' });
    expect(key).not.toHaveProperty('description');
    const cycle = async (success: boolean) => {
      const leased = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token: brand.token });
      expect(leased.status, JSON.stringify(leased.body)).toBe(200);
      await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leased.body.lease.lease_id, success, status_code: success ? 200 : 503 }, token: brand.token });
    };
    await cycle(true);
    expect((await ui('GET', `/providers/groq/keys/${key.id}`, undefined, brand.token)).body).toMatchObject({ status: 'success', health_status: 'healthy' });
    for (let i = 0; i < t.config.health.unhealthyAfter; i++) await cycle(false);
    const failed = (await ui('GET', `/providers/groq/keys/${key.id}`, undefined, brand.token)).body;
    expect(failed).toMatchObject({ status: 'list_models_failed', health_status: 'unhealthy', description: expect.stringContaining('HTTP 503') });
    expect(failed).not.toHaveProperty('config_hash');
  });
});

describe('providers as Bifrost lists them', () => {
  it('lists Bifrost\'s standard providers and the brand\'s own; a deleted provider disappears until it is configured again', async () => {
    const brand = await t.createBrand(`list ${next()}`);
    const names = async () => (await ui('GET', '/providers', undefined, brand.token)).body.providers.map((p: any) => p.name);
    const first = await names();
    expect(first).toEqual(expect.arrayContaining(['openai', 'anthropic', 'groq', 'mistral', 'gemini', 'bedrock', 'vertex', 'azure', 'openrouter', 'cerebras']));
    expect(first).not.toContain('fal_ai');
    expect((await ui('DELETE', '/providers/anthropic', undefined, brand.token)).status).toBe(200);
    expect(await names()).not.toContain('anthropic');
    // Still a provider keypool knows: configuring it lists it again.
    expect((await ui('PUT', '/providers/anthropic', { network_config: { default_request_timeout_in_seconds: 90 } }, brand.token)).status).toBe(200);
    expect(await names()).toContain('anthropic');
  });

  it('creates a custom provider that a PUT names and does not exist yet (Bifrost\'s upsert); without custom_provider_config it is a 404', async () => {
    const name = `upsert-${next()}`;
    const put = await ui('PUT', `/providers/${name}`, { custom_provider_config: { base_provider_type: 'anthropic' }, network_config: { base_url: 'https://claude.example.test' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    assertProviderResponse(put.body, name);
    expect((await ui('GET', `/providers/${name}`)).body.custom_provider_config).toEqual({ base_provider_type: 'anthropic', is_key_less: false });
    expectBifrostError(await ui('PUT', `/providers/nothing-${next()}`, { network_config: { max_retries: 1 } }), 404, 'Provider not found: not found');
  });
});

describe('the UI on another origin', () => {
  it('answers preflights and allows credentials for the listed origins only; without a list there are no CORS headers', async () => {
    const withCors = await createTestApp({ config: { corsOrigins: ['http://bifrost-ui.test:3000'] } });
    try {
      const preflight = (origin: string, url: string) => fetch(`${url}/api/providers/groq`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,authorization' },
      });
      const allowed = await preflight('http://bifrost-ui.test:3000', withCors.url);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://bifrost-ui.test:3000');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const other = await preflight('http://evil.test', withCors.url);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const brand = await withCors.createBrand('cors');
      const read = await fetch(`${withCors.url}/api/providers`, { headers: { origin: 'http://bifrost-ui.test:3000', authorization: `Bearer ${brand.token}` } });
      expect(read.status).toBe(200);
      expect(read.headers.get('access-control-allow-origin')).toBe('http://bifrost-ui.test:3000');
      expect(read.headers.get('access-control-expose-headers')).toContain('keypool-ignored-fields');
      // An unauthenticated call from an allowed origin is still refused: CORS opens the door to the browser, not to the API.
      expect((await fetch(`${withCors.url}/api/providers`, { headers: { origin: 'http://bifrost-ui.test:3000' } })).status).toBe(401);
    } finally {
      await withCors.close();
    }
    const plain = await fetch(`${t.url}/api/providers`, { headers: { origin: 'http://bifrost-ui.test:3000', authorization: `Bearer ${token}` } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the network options the gateway honours', () => {
  /** A brand with a custom provider at the fake upstream, its network settings, and keys (the first primary). */
  async function setUp(network: Record<string, unknown>, keyCount: number, keyFields: Record<string, unknown> = {}) {
    const brand = await t.createBrand(`network ${next()}`);
    const provider = `acme-${next()}`;
    const created = await ui('POST', '/providers', {
      provider, custom_provider_config: { base_provider_type: 'openai' }, network_config: { ...UI_NETWORK_CONFIG, base_url: fake.origin, ...network },
    }, brand.token);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const keys: string[] = [];
    for (let i = 0; i < keyCount; i++) {
      const value = secret(`sk-net-${i}-`);
      keys.push(value);
      const key = await ui('POST', `/providers/${provider}/keys`, { name: `${provider} ${i}`, value, ...keyFields }, brand.token);
      expect(key.status, JSON.stringify(key.body)).toBe(200);
      if (i === 0) {
        const row = (await t.rest('GET', `/api/v1/integrations?provider_name=${provider}`, { token: brand.token })).body.integrations.find((k: any) => k.key_id === key.body.id);
        await t.rest('PATCH', `/api/v1/integrations/${row.id}`, { body: { is_primary: true }, token: brand.token });
      }
    }
    const chat = (body: Record<string, unknown> = {}) => fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${brand.token}` },
      body: JSON.stringify({ model: `${provider}/gpt-4o`, messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    return { keys, chat };
  }
  const requestsWith = (keys: string[]) => fake.requests.filter((r) => keys.includes(r.key));

  it('sends a key\'s alias for the model, and the provider\'s extra headers', async () => {
    const { keys, chat } = await setUp({ extra_headers: { 'x-team': 'search' } }, 1, { aliases: { 'gpt-4o': 'acme-gpt-4o-deployment' } });
    const res = await chat();
    expect(res.status, await res.clone().text()).toBe(200);
    expect(requestsWith(keys).at(-1)).toMatchObject({ body: { model: 'acme-gpt-4o-deployment' }, headers: expect.objectContaining({ 'x-team': 'search' }) });
  });

  it('makes max_retries + 1 attempts, each on another key, where keypool alone makes KEYPOOL_GATEWAY_MAX_ATTEMPTS', async () => {
    const plain = await setUp({}, 5);
    for (const key of plain.keys) fake.behave(key, { kind: 'status', status: 503 });
    expect((await plain.chat()).status).toBe(503);
    expect(requestsWith(plain.keys)).toHaveLength(t.config.gateway.maxAttempts);

    const retrying = await setUp({ max_retries: 4, retry_backoff_initial: 10, retry_backoff_max: 20 }, 5);
    for (const key of retrying.keys) fake.behave(key, { kind: 'status', status: 503 });
    expect((await retrying.chat()).status).toBe(503);
    expect(new Set(requestsWith(retrying.keys).map((r) => r.key)).size).toBe(5);
  });

  it('gives up on an attempt after default_request_timeout_in_seconds and tries the next key', async () => {
    const slow = { kind: 'slow', delayMs: 2500 } as const;
    const patient = await setUp({}, 2);
    fake.behave(patient.keys[0], slow);
    const waited = await patient.chat();
    expect(waited.status).toBe(200);
    expect(requestsWith(patient.keys).map((r) => r.key)).toEqual([patient.keys[0]]);

    const brisk = await setUp({ default_request_timeout_in_seconds: 1 }, 2);
    fake.behave(brisk.keys[0], slow);
    const failedOver = await brisk.chat();
    expect(failedOver.status).toBe(200);
    expect(requestsWith(brisk.keys).map((r) => r.key)).toEqual(brisk.keys);
  });

  it('ends a stream that stays silent longer than stream_idle_timeout_in_seconds', async () => {
    const pause = { kind: 'ok', restAfterMs: 2500 } as const;
    const patient = await setUp({}, 1);
    fake.behave(patient.keys[0], pause);
    expect(await (await patient.chat({ stream: true })).text()).toContain('data: [DONE]');

    const brisk = await setUp({ stream_idle_timeout_in_seconds: 1 }, 1);
    fake.behave(brisk.keys[0], pause);
    const cut = await brisk.chat({ stream: true });
    expect(cut.status).toBe(200);
    const text = await cut.text().catch(() => '');
    expect(text).not.toContain('data: [DONE]');
  });
});
