/**
 * Checking a key with its provider before it joins the pool (KEYPOOL_VALIDATE_KEYS=on): the
 * provider's free call (OpenAI-compatible `GET /models`, OpenRouter `GET /v1/key`, Anthropic's
 * models list with x-api-key), a dead key refused with a 400 in each dialect naming the provider's
 * answer (never the key), a provider that gives no clear answer not keeping a key out, and nothing
 * called when the check is off. Against a local provider that speaks OpenAI's wire format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { testConfig } from '../support/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let fake: FakeOpenAi;
let t: TestApp;
let token: string;
let seq = 0;
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  const providers = ['groq', 'openrouter', 'anthropic', 'google_ai', 'mistral'];
  t = await createTestApp({
    logLines,
    config: {
      logLevel: 'warn',
      keyCheck: { enabled: true, timeoutMs: 500 },
      gateway: { ...testConfig().gateway, baseUrls: Object.fromEntries(providers.map((p) => [p, fake.url])) },
    },
  });
  ({ token } = await t.createBrand('Checked keys'));
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const newKey = (provider: string) => `${provider}-check-${++seq}-0123456789abcdef`;
const add = (provider: string, apiKey: string) =>
  t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: provider, credentials: { api_key: apiKey } } });
const callsWith = (apiKey: string) => fake.requests.filter((r) => r.key === apiKey);

describe('KEYPOOL_VALIDATE_KEYS=on', () => {
  it('adds a key its provider accepts, after one free call with the key', async () => {
    const key = newKey('groq');
    const res = await add('groq', key);
    expect(res.status).toBe(201);
    expect(callsWith(key).map((r) => r.path)).toEqual(['/v1/models']);
    expect(callsWith(key)[0].headers.authorization).toBe(`Bearer ${key}`);
  });

  it('checks OpenRouter keys with GET /v1/key and Anthropic keys with x-api-key', async () => {
    const router = newKey('openrouter');
    expect((await add('openrouter', router)).status).toBe(201);
    expect(callsWith(router).map((r) => r.path)).toEqual(['/v1/key']);
    const claude = newKey('anthropic');
    expect((await add('anthropic', claude)).status).toBe(201);
    const [call] = callsWith(claude);
    expect(call.path).toBe('/v1/models');
    expect(call.headers['x-api-key']).toBe(claude);
    expect(call.headers['anthropic-version']).toBeDefined();
    expect(call.headers.authorization).toBeUndefined();
  });

  it('refuses a dead key with a 400 that names the provider\'s answer, never the key, and stores nothing', async () => {
    const key = newKey('groq');
    // The provider's message repeats the key, as some do.
    fake.behave(key, { kind: 'status', status: 401, body: { error: { message: `Invalid API Key: ${key}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const res = await add('groq', key);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: 'Groq refused this key when keypool checked it (HTTP 401: Invalid API Key: [the key])' });
    expect(JSON.stringify(res.body)).not.toContain(key);
    expect(logLines.join('')).not.toContain(key);
    const list = await t.rest('GET', '/api/v1/integrations?provider_name=groq', { token });
    expect(JSON.stringify(list.body)).not.toContain(key.slice(-6));
  });

  it('refuses Gemini\'s API_KEY_INVALID (a 400) and a 403', async () => {
    const gemini = newKey('google_ai');
    fake.behave(gemini, { kind: 'status', status: 400, body: [{ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } }] });
    const res = await add('google_ai', gemini);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/refused this key when keypool checked it \(HTTP 400: API key not valid\. Please pass a valid API key\.\)$/);
    const suspended = newKey('mistral');
    fake.behave(suspended, { kind: 'status', status: 403, body: { message: 'This account has been suspended' } });
    expect((await add('mistral', suspended)).body.error).toBe('Mistral refused this key when keypool checked it (HTTP 403: This account has been suspended)');
  });

  it('answers in the dialect of the route: GraphQL and Bifrost', async () => {
    const key = newKey('groq');
    fake.behave(key, { kind: 'status', status: 401, body: { error: { message: 'Invalid API Key' } } });
    const gql = await t.gql(`mutation($input: CreateIntegrationInput!) { createIntegration(input: $input) { id } }`,
      { input: { providerName: 'groq', credentials: { api_key: key } } }, token);
    expect(gql.errors?.[0]).toMatchObject({ message: 'Groq refused this key when keypool checked it (HTTP 401: Invalid API Key)', extensions: { code: 'BAD_USER_INPUT' } });
    const bifrost = await t.rest('POST', '/api/providers/groq/keys', { token, body: { name: 'checked', value: key, weight: 1 } });
    expect(bifrost.status).toBe(400);
    expect(JSON.stringify(bifrost.body)).toContain('Groq refused this key when keypool checked it (HTTP 401: Invalid API Key)');
    expect(JSON.stringify(bifrost.body)).not.toContain(key);
  });

  it('adds the key when the provider gives no clear answer (a 503, a 429, no answer in time), and says so in the log', async () => {
    for (const behaviour of [{ kind: 'status', status: 503 }, { kind: 'status', status: 429 }, { kind: 'slow', delayMs: 2000 }] as const) {
      const key = newKey('groq');
      fake.behave(key, behaviour);
      const res = await add('groq', key);
      expect(res.status).toBe(201);
    }
    expect(logLines.join('')).toMatch(/a new groq key was added unchecked: groq answered HTTP 503/);
    expect(logLines.join('')).toMatch(/a new groq key was added unchecked: groq did not answer in time/);
  });

  it('adds keys of providers without a free call unchecked', async () => {
    const before = fake.requests.length;
    const res = await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'fal_ai', credentials: { api_key: newKey('fal') } } });
    expect(res.status).toBe(201);
    expect(fake.requests.length).toBe(before);
  });
});

describe('KEYPOOL_VALIDATE_KEYS=off (the default)', () => {
  it('calls no provider when a key is added', async () => {
    const off = await createTestApp({ databaseUrl: t.databaseUrl, config: { jwtSecrets: t.config.jwtSecrets, encryptionKeys: t.config.encryptionKeys,
      gateway: { ...testConfig().gateway, baseUrls: { groq: fake.url } } } });
    try {
      const key = newKey('groq');
      fake.behave(key, { kind: 'status', status: 401 });
      const res = await off.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: key } } });
      expect(res.status).toBe(201);
      expect(callsWith(key)).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
