/**
 * The OpenAI-compatible gateway against local fake upstreams that speak
 * OpenAI's wire format: plain and streamed completions, embeddings, failover
 * (429, 5xx, timeout, network) and its limits, a 401 taking a key out, no
 * retry once a stream has started, a caller that goes away, tokens and cost
 * landing in spend and the usage ledger, events, auth and isolation, SSRF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import pg from 'pg';
import { collectEvents } from '../support/events.js';
import { gatewayTestSettings } from '../support/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';

let t: TestApp;
let fake: FakeOpenAi;
let keySeq = 0;
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp({
    logLines,
    config: {
      logLevel: 'trace',
      gateway: gatewayTestSettings({
        attemptTimeoutMs: 1_500, maxRequestBytes: 64 * 1024,
        baseUrls: { groq: fake.url, mistral: fake.url, together: fake.url },
        prices: { 'groq/llama-3.1-8b-instant': { prompt: '0.05', completion: '0.08' }, 'mistral/*': { prompt: '2', completion: '6' } },
      }),
    },
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** A brand with keys of one provider; the first key is primary (tried first). */
async function brandWithKeys(provider: string, count: number, settings: Record<string, unknown> = {}) {
  const brand = await t.createBrand(`gateway ${++keySeq}`);
  const keys: { id: number; apiKey: string }[] = [];
  for (let i = 0; i < count; i++) {
    const apiKey = `sk-test-${keySeq}-${i}-${'x'.repeat(16)}`;
    const created = await t.app.services.integrations.createIntegration(brand.brandId, {
      providerName: provider, credentials: { api_key: apiKey }, isPrimary: i === 0, ...settings,
    });
    keys.push({ id: created.id, apiKey });
  }
  return { ...brand, keys };
}

function chat(token: string | null, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
}

async function keyRow(id: number) {
  // Reports of plain successes are appended; a read behind the pool folds them first, as the API's reads do.
  await t.app.services.leases.foldOutcomes();
  const { rows } = await t.app.sqlPool.query('select health_status, consecutive_failures, cooldown_until, trim_scale(spend_today)::text as spend_today, trim_scale(spend_month)::text as spend_month from integration where id = $1', [id]);
  return rows[0];
}

async function ledger(id: number) {
  await t.app.services.leases.foldOutcomes();
  const { rows } = await t.app.sqlPool.query(
    `select requests::int, successes::int, rate_limited::int, server_errors::int, auth_errors::int, client_errors::int, timeouts::int,
      network_errors::int, prompt_tokens::int, completion_tokens::int, trim_scale(cost_usd)::text as cost_usd, latency_reports::int,
      first_token_reports::int, first_token_ms_max, latency_ms_max, model
     from usage_daily where integration_id = $1`,
    [id],
  );
  return rows;
}

const settled = () => t.app.services.gateway.settled();

describe('POST /v1/chat/completions', () => {
  it('forwards a completion with the leased key and reports tokens and cost exactly', async () => {
    const b = await brandWithKeys('groq', 1);
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keypool-integration-id')).toBe(String(b.keys[0].id));
    expect(res.headers.get('x-keypool-attempts')).toBe('1');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json();
    expect(body).toMatchObject({ object: 'chat.completion', model: 'llama-3.1-8b-instant', choices: [{ message: { content: 'Hello there' } }] });
    const upstream = fake.requests.at(-1)!;
    expect(upstream).toMatchObject({ path: '/v1/chat/completions', key: b.keys[0].apiKey, body: { model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] } });
    await settled();
    // 120 × 0.05 / 10^6 + 48 × 0.08 / 10^6
    expect(await keyRow(b.keys[0].id)).toMatchObject({ health_status: 'healthy', spend_month: '0.00000984' });
    expect(await ledger(b.keys[0].id)).toEqual([
      expect.objectContaining({ requests: 1, successes: 1, prompt_tokens: 120, completion_tokens: 48, cost_usd: '0.00000984', latency_reports: 1, first_token_reports: 0, model: 'llama-3.1-8b-instant' }),
    ]);
    expect(JSON.stringify(body)).not.toContain(b.keys[0].apiKey);
  });

  it('streams Server-Sent Events through, asks upstream for usage and keeps its usage chunk from a caller that did not', async () => {
    const b = await brandWithKeys('groq', 1);
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello there');
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    expect(fake.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    await settled();
    expect(await ledger(b.keys[0].id)).toEqual([expect.objectContaining({ successes: 1, prompt_tokens: 120, completion_tokens: 48, cost_usd: '0.00000984', first_token_reports: 1 })]);
  });

  it('reports a streamed answer\'s time to first token beside its latency, in the ledger and the usage routes', async () => {
    const b = await brandWithKeys('groq', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', firstEventAfterMs: 120, restAfterMs: 150 });
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', stream: true, messages: [] });
    expect(await res.text()).toContain('data: [DONE]');
    await settled();
    const [row] = await ledger(b.keys[0].id);
    expect(row).toMatchObject({ successes: 1, latency_reports: 1, first_token_reports: 1 });
    expect(row.first_token_ms_max).toBeGreaterThanOrEqual(110);
    expect(row.latency_ms_max - row.first_token_ms_max).toBeGreaterThanOrEqual(140);
    const rest = await t.rest('GET', '/api/v1/usage?group_by=integration', { token: b.token });
    expect(rest.body.usage).toEqual([expect.objectContaining({ time_to_first_token_ms_avg: row.first_token_ms_max, time_to_first_token_ms_max: row.first_token_ms_max })]);
    const gql = await t.gql('{ usage(groupBy: [INTEGRATION]) { rows { timeToFirstTokenMsAvg latencyMsMax } } }', {}, b.token);
    expect((gql.data as any).usage.rows).toEqual([{ timeToFirstTokenMsAvg: row.first_token_ms_max, latencyMsMax: row.latency_ms_max }]);
  });

  it('passes the usage chunk to a caller that asked for it, and prices by the provider/* entry', async () => {
    const b = await brandWithKeys('mistral', 1);
    const res = await chat(b.token, { model: 'mistral/mistral-small', stream: true, stream_options: { include_usage: true }, messages: [] });
    const text = await res.text();
    expect(text).toContain('"usage":{"prompt_tokens":120,"completion_tokens":48');
    await settled();
    // 120 × 2 / 10^6 + 48 × 6 / 10^6
    expect(await keyRow(b.keys[0].id)).toMatchObject({ spend_month: '0.000528' });
  });

  it('records tokens but no cost for a model without a price', async () => {
    const b = await brandWithKeys('groq', 1);
    expect((await chat(b.token, { model: 'groq/unpriced-model', messages: [] })).status).toBe(200);
    await settled();
    expect(await ledger(b.keys[0].id)).toEqual([expect.objectContaining({ prompt_tokens: 120, completion_tokens: 48, cost_usd: '0' })]);
  });

  it('fails over from a 429 to another key, and the first key cools down for its Retry-After', async () => {
    const b = await brandWithKeys('groq', 2);
    fake.behave(b.keys[0].apiKey, { kind: 'status', status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    const before = Date.now();
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keypool-attempts')).toBe('2');
    expect(res.headers.get('x-keypool-integration-id')).toBe(String(b.keys[1].id));
    expect(fake.requests.slice(-2).map((r) => r.key)).toEqual([b.keys[0].apiKey, b.keys[1].apiKey]);
    await settled();
    const first = await keyRow(b.keys[0].id);
    expect(first.health_status).toBe('healthy');
    expect(new Date(first.cooldown_until).getTime()).toBeGreaterThanOrEqual(before + 29_000);
    expect((await ledger(b.keys[0].id))[0]).toMatchObject({ rate_limited: 1 });
  });

  it('fails over from an overloaded provider\'s 503 to its next key every time, then rests all its keys with no penalty', async () => {
    // The failure's report (which rests the provider) goes with the retry's lease, never before it:
    // sent first, it raced the retry and refused it about one time in five.
    for (let round = 0; round < 12; round++) {
      const b = await brandWithKeys('groq', 2);
      fake.behave(b.keys[0].apiKey, { kind: 'status', status: 503, body: { error: { message: 'The model is overloaded. Please try again later.', type: 'server_error', code: null } } });
      const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-keypool-attempts')).toBe('2');
      expect(res.headers.get('x-keypool-integration-id')).toBe(String(b.keys[1].id));
      await settled();
      for (const k of b.keys) {
        const row = await keyRow(k.id);
        expect(row).toMatchObject({ health_status: 'healthy', consecutive_failures: 0 });
        expect(row.cooldown_until).not.toBeNull();
      }
      const rested = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
      expect(rested.status).toBe(429);
    }
  });

  it('tries each key once on 5xx, then answers the last upstream error as it came', async () => {
    const b = await brandWithKeys('groq', 4);
    for (const k of b.keys) fake.behave(k.apiKey, { kind: 'status', status: 503, body: { error: { message: `unavailable ${k.id}`, type: 'server_error', code: null } } });
    const sent = fake.requests.length;
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(503);
    expect(res.headers.get('x-keypool-attempts')).toBe('3');
    const tried = fake.requests.slice(sent).map((r) => r.key);
    expect(tried).toHaveLength(3);
    expect(new Set(tried).size).toBe(3);
    const lastKey = b.keys.find((k) => k.apiKey === tried[2])!;
    expect(await res.json()).toEqual({ error: { message: `unavailable ${lastKey.id}`, type: 'server_error', code: null } });
    await settled();
    for (const k of b.keys) expect((await keyRow(k.id)).consecutive_failures).toBe(tried.includes(k.apiKey) ? 1 : 0);
  });

  it('fails over from a timeout and from a dropped connection', async () => {
    const b = await brandWithKeys('groq', 3);
    fake.behave(b.keys[0].apiKey, { kind: 'slow', delayMs: 10_000 });
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keypool-attempts')).toBe('2');
    await settled();
    expect((await ledger(b.keys[0].id))[0]).toMatchObject({ timeouts: 1 });

    const c = await brandWithKeys('groq', 2);
    fake.behave(c.keys[0].apiKey, { kind: 'drop' });
    const dropped = await chat(c.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get('x-keypool-integration-id')).toBe(String(c.keys[1].id));
    await settled();
    expect((await ledger(c.keys[0].id))[0]).toMatchObject({ network_errors: 1 });
  });

  it('answers 504 in OpenAI\'s body when every attempt timed out', async () => {
    const b = await brandWithKeys('groq', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'slow', delayMs: 10_000 });
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(504);
    expect(res.headers.get('x-keypool-attempts')).toBe('1');
    expect(await res.json()).toEqual({
      error: { message: `The groq upstream did not answer in time (1 attempt(s), keys #${b.keys[0].id})`, type: 'server_error', param: null, code: 'gateway.upstream_timeout', attempts: 1, integration_id: b.keys[0].id },
    });
  });

  it('hands a 401 back as it came (without the key the upstream echoed) and takes the key out of the pool', async () => {
    const b = await brandWithKeys('groq', 2);
    const events = collectEvents(t);
    fake.behave(b.keys[0].apiKey, { kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${b.keys[0].apiKey}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(b.keys[0].apiKey);
    expect(JSON.parse(text).error.message).toBe('Incorrect API key provided: [redacted]');
    await settled();
    expect((await keyRow(b.keys[0].id)).health_status).toBe('unhealthy');
    const seen = await events.settled(b.brandId);
    expect(seen).toContainEqual(expect.objectContaining({ type: 'integration.health_changed', status: 'unhealthy', integration: expect.objectContaining({ id: b.keys[0].id }) }));
    // The next call goes to the other key.
    const next = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(next.headers.get('x-keypool-integration-id')).toBe(String(b.keys[1].id));
  });

  it('does not retry once the first streamed byte has reached the caller', async () => {
    const b = await brandWithKeys('groq', 2);
    fake.behave(b.keys[0].apiKey, { kind: 'cut_after_first_event' });
    const sent = fake.requests.length;
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', stream: true, messages: [] });
    expect(res.status).toBe(200);
    // The caller sees the first event, then the stream breaks off (no retry could repair it).
    let text = '';
    const reader = res.body!.getReader();
    const cut = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return false;
        text += new TextDecoder().decode(value);
      }
    })().catch(() => true);
    expect(text).toContain('"content":"Hel"');
    expect(cut).toBe(true);
    expect(fake.requests.length - sent).toBe(1);
    await settled();
    expect((await ledger(b.keys[0].id))[0]).toMatchObject({ network_errors: 1 });
    expect(await ledger(b.keys[1].id)).toEqual([]);
  });

  it('cancels the upstream request when the caller goes away, and the report says so', async () => {
    const b = await brandWithKeys('groq', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'hold_after_first_event' });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` },
      body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"content":"Hel"');
    const upstream = fake.requests.at(-1)!;
    controller.abort();
    await expect.poll(() => upstream.aborted, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await settled(), await ledger(b.keys[0].id)), { timeout: 10_000 }).toEqual([
      expect.objectContaining({ requests: 1, client_errors: 1, successes: 0 }),
    ]);
    expect((await keyRow(b.keys[0].id)).health_status).toBe('healthy');
  });

  it('answers 429 in OpenAI\'s body with Retry-After and the pool\'s reasons when no key is eligible', async () => {
    const b = await brandWithKeys('groq', 1, { minuteLimit: 1 });
    expect((await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] })).status).toBe(200);
    const res = await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = await res.json();
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null, skipped: [{ integration_id: b.keys[0].id, reason: 'minute_limit' }] });
    expect(body.error.message).toMatch(new RegExp(`^No groq key is available: #${b.keys[0].id} minute limit reached until`));
  });

  it.each([
    ['no model', {}, 400, 'model is required: name it provider/model, e.g. groq/llama-3.1-8b-instant', 'model', 'request.invalid'],
    ['a model that is not a string', { model: 7 }, 400, 'model must be a string', 'model', 'request.invalid'],
    ['a model without a provider', { model: 'llama-3.1-8b-instant' }, 404, 'The model does not exist or you do not have access to it: name it provider/model, e.g. groq/llama-3.1-8b-instant', 'model', 'model_not_found'],
    ['an unknown provider', { model: 'sk-pasted-by-mistake-0123/t-800' }, 404, 'The model does not exist or you do not have access to it: its provider (the part before the first "/") is neither a catalog provider nor one of this brand\'s custom providers', 'model', 'model_not_found'],
    ['a provider the brand has no keys for', { model: 'together/llama', messages: [] }, 404, 'The model does not exist or you do not have access to it: this brand has no together keys', 'model', 'model_not_found'],
    ['a provider without an OpenAI API', { model: 'fal_ai/flux' }, 404, 'The provider fal_ai has no OpenAI-compatible API the gateway can call (lease its keys with POST /api/v1/integrations/lease instead)', null, 'unknown_url'],
    ['a non-boolean stream', { model: 'groq/x', stream: 'yes' }, 400, 'stream must be a boolean', 'stream', 'request.invalid'],
    ['stream_options that are not an object', { model: 'groq/x', stream: true, stream_options: 'include_usage' }, 400, 'stream_options must be an object, e.g. { "include_usage": true }', 'stream_options', 'request.invalid'],
    ['no messages', { model: 'groq/llama-3.1-8b-instant' }, 400, 'messages is required: a list of { role, content } objects', 'messages', 'request.invalid'],
    ['messages that are a string', { model: 'groq/llama-3.1-8b-instant', messages: 'hi' }, 400, 'messages must be a list of { role, content } objects', 'messages', 'request.invalid'],
    ['a message that is not an object', { model: 'groq/llama-3.1-8b-instant', messages: ['hi'] }, 400, 'messages must be a list of { role, content } objects', 'messages', 'request.invalid'],
    ['a NUL in the model', { model: 'groq/llama\u0000x' }, 400, 'model must not contain NUL characters (\\u0000)', null, 'request.invalid'],
    ['a NUL in a message', { model: 'groq/x', messages: [{ role: 'user', content: 'a\u0000b' }] }, 400, 'messages[0].content must not contain NUL characters (\\u0000)', null, 'request.invalid'],
  ])('refuses %s in OpenAI\'s error body', async (_case, body, status, message, param, code) => {
    const b = await brandWithKeys('groq', 1, { models: ['llama-3.1-8b-instant'] });
    const sent = fake.requests.length;
    const res = await chat(b.token, body);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { message, type: 'invalid_request_error', param, code } });
    // Nothing was leased or forwarded: no allowance spent on a request no upstream could take.
    expect(fake.requests.length).toBe(sent);
    expect((await t.app.sqlPool.query('select minute_count from integration where id = $1', [b.keys[0].id])).rows[0].minute_count).toBe(0);
  });

  it.each([
    ['no input', { model: 'groq/nomic-embed' }, 'input is required: a string, or a list of strings or of token lists'],
    ['an input that is an object', { model: 'groq/nomic-embed', input: { text: 'x' } }, 'input must be a string, or a list of strings or of token lists'],
  ])('refuses embeddings with %s, leasing nothing', async (_case, body, message) => {
    const b = await brandWithKeys('groq', 1);
    const sent = fake.requests.length;
    const res = await fetch(`${t.url}/v1/embeddings`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` }, body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message, type: 'invalid_request_error', param: 'input', code: 'request.invalid' } });
    expect(fake.requests.length).toBe(sent);
  });

  it('answers 404 for a model no key allows, without leasing', async () => {
    const b = await brandWithKeys('groq', 1, { models: ['llama-3.1-8b-instant'] });
    const sent = fake.requests.length;
    const res = await chat(b.token, { model: 'groq/mixtral-8x7b', messages: [] });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'model_not_found', message: expect.stringContaining('no groq key of this brand allows it') });
    expect(fake.requests.length).toBe(sent);
  });

  it('refuses a body over the gateway\'s limit with 413 in OpenAI\'s body', async () => {
    const b = await brandWithKeys('groq', 1);
    const res = await chat(b.token, { model: 'groq/x', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ message: 'Request body is larger than the limit of 65536 bytes (65536 bytes)', type: 'invalid_request_error' });
  });
});

describe('upstream safety', () => {
  it.each([
    ['a link-local address', 'http://169.254.169.254'],
    ['a metadata name', 'http://metadata.google.internal'],
    ['an IPv4-mapped link-local address', 'http://[::ffff:169.254.169.254]'],
  ])('never calls %s, whatever a custom provider says', async (_case, baseUrl) => {
    const b = await t.createBrand(`ssrf ${++keySeq}`);
    await t.app.services.providers.createProvider(b.brandId, `meta${keySeq}`, {
      customProviderConfig: { base_provider_type: 'openai' }, networkConfig: { base_url: baseUrl },
    } as never);
    await t.app.services.integrations.createIntegration(b.brandId, { providerName: `meta${keySeq}`, credentials: { api_key: 'sk-ssrf-0123456789' } });
    const res = await chat(b.token, { model: `meta${keySeq}/gpt-4o`, messages: [] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/link-local or cloud metadata address/);
  });

  it('sends a custom provider\'s requests to its base URL, with its extra headers', async () => {
    const b = await t.createBrand(`custom ${++keySeq}`);
    const name = `inhouse${keySeq}`;
    await t.app.services.providers.createProvider(b.brandId, name, {
      customProviderConfig: { base_provider_type: 'openai' }, networkConfig: { base_url: fake.origin, extra_headers: { 'x-team': 'search' } },
    } as never);
    const key = await t.app.services.integrations.createIntegration(b.brandId, { providerName: name, credentials: { api_key: 'sk-inhouse-0123456789' } });
    const res = await chat(b.token, { model: `${name}/gpt-4o`, messages: [] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keypool-integration-id')).toBe(String(key.id));
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', key: 'sk-inhouse-0123456789', headers: expect.objectContaining({ 'x-team': 'search' }) });
  });

  it('labels a custom provider\'s calls "custom" in /metrics, never by the name a brand chose', async () => {
    const b = await t.createBrand(`labels ${++keySeq}`);
    const name = `secret-project-${keySeq}`;
    await t.app.services.providers.createProvider(b.brandId, name, { customProviderConfig: { base_provider_type: 'openai' }, networkConfig: { base_url: fake.origin } } as never);
    await t.app.services.integrations.createIntegration(b.brandId, { providerName: name, credentials: { api_key: `sk-label-${keySeq}-0123456789` } });
    expect((await chat(b.token, { model: `${name}/gpt-4o`, messages: [] })).status).toBe(200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^keypool_gateway_calls_total\{provider="custom",outcome="success"\} \d+$/m);
    expect(metrics).not.toContain(name);
  });
});

describe('auth, permissions and isolation', () => {
  let brand: Awaited<ReturnType<typeof brandWithKeys>>;
  let credential: { api_key: string; secret: string };

  beforeAll(async () => {
    brand = await brandWithKeys('groq', 1, { models: ['llama-3.1-8b-instant', 'llama-3.3-70b'] });
    await t.app.services.integrations.createIntegration(brand.brandId, { providerName: 'mistral', credentials: { api_key: 'sk-mistral-0123456789' } });
    const node = await t.rest('POST', '/api/v1/nodes', { body: { name: 'worker' }, token: brand.token });
    credential = (await t.rest('POST', '/api/v1/integrations', { body: { node_id: node.body.node.id, name: 'gateway', permissions: ['integrations.lease'] }, token: brand.token })).body;
  });

  it('answers 401 in OpenAI\'s body without a token or with a bad one', async () => {
    const none = await chat(null, { model: 'groq/llama-3.1-8b-instant' });
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    const bad = await chat(`${credential.api_key}:wrong`, { model: 'groq/llama-3.1-8b-instant' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error.message).toBe('Invalid API key or secret');
  });

  it('takes a node credential as api_key:secret, and a node token, and attributes the call to the node', async () => {
    const res = await chat(`${credential.api_key}:${credential.secret}`, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(200);
    const token = (await t.rest('POST', '/api/v1/auth/token', { headers: { authorization: `Basic ${Buffer.from(`${credential.api_key}:${credential.secret}`).toString('base64')}` } })).body.token;
    expect((await chat(token, { model: 'groq/llama-3.1-8b-instant', messages: [] })).status).toBe(200);
    await settled();
    await t.app.services.leases.foldOutcomes();
    const { rows } = await t.app.sqlPool.query('select sum(requests)::int as requests from usage_daily where integration_id = $1 and node_id is not null', [brand.keys[0].id]);
    expect(rows[0].requests).toBe(2);
  });

  it('refuses a node credential without integrations.lease with 403', async () => {
    const node = await t.rest('POST', '/api/v1/nodes', { body: { name: 'reader' }, token: brand.token });
    const reader = (await t.rest('POST', '/api/v1/integrations', { body: { node_id: node.body.node.id, name: 'read only', permissions: ['integrations.read'] }, token: brand.token })).body;
    const res = await chat(`${reader.api_key}:${reader.secret}`, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ type: 'permission_error', message: 'Forbidden: needs integrations.lease' });
  });

  it('lists the models the caller can reach, and another brand sees none of them nor can use them', async () => {
    const res = await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${brand.token}` } });
    expect(await res.json()).toEqual({
      object: 'list',
      data: [
        { id: 'groq/llama-3.1-8b-instant', object: 'model', created: 0, owned_by: 'groq' },
        { id: 'groq/llama-3.3-70b', object: 'model', created: 0, owned_by: 'groq' },
        { id: 'mistral/*', object: 'model', created: 0, owned_by: 'mistral' },
      ],
    });
    const other = await t.createBrand('other');
    expect(await (await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${other.token}` } })).json()).toEqual({ object: 'list', data: [] });
    const res2 = await chat(other.token, { model: 'groq/llama-3.1-8b-instant', messages: [] });
    expect(res2.status).toBe(404);
  });

  it('lists by the pool\'s model rule: blacklisted models (any case) and keys blacklisting "*" are left out, "*" lists as provider/*, inactive keys not at all', async () => {
    const b = await brandWithKeys('groq', 1, { models: ['Llama-A', 'llama-b', 'llama-c'], blacklistedModels: ['LLAMA-B'] });
    const add = (providerName: string, settings: Record<string, unknown>) =>
      t.app.services.integrations.createIntegration(b.brandId, { providerName, credentials: { api_key: `sk-${providerName}-${++keySeq}-0123456789` }, ...settings });
    await add('mistral', { models: ['*'] });
    await add('cerebras', { blacklistedModels: ['*'] });
    await add('together', { models: [] });
    await add('deepseek', { models: ['deepseek-chat'], isActive: false });
    const res = await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(((await res.json()).data as { id: string }[]).map((m) => m.id)).toEqual(['groq/Llama-A', 'groq/llama-c', 'mistral/*']);
    // What is listed is what the lease serves, and what is left out it refuses.
    expect((await chat(b.token, { model: 'groq/llama-b', messages: [] })).status).toBe(404);
    expect((await chat(b.token, { model: 'groq/LLAMA-C', messages: [] })).status).toBe(200);
  });
});

describe('the official openai package pointed at keypool', () => {
  it('completes, streams and embeds', async () => {
    const b = await brandWithKeys('groq', 1);
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: b.token, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0].message.content).toBe('Hello there');
    expect(completion.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 48 });

    const stream = await client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello there');

    const embedding = await client.embeddings.create({ model: 'groq/nomic-embed', input: 'hello' });
    expect(embedding.data[0].embedding.map((x) => Math.round(x * 10) / 10)).toEqual([0.1, 0.2, 0.3]);

    await expect(client.chat.completions.create({ model: 'skynet/t-800', messages: [] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await settled();
    expect((await ledger(b.keys[0].id)).reduce((n, r) => n + r.requests, 0)).toBe(3);
  });
});

describe('database faults', () => {
  it('answers a gateway call or a 503 in OpenAI\'s body while the database drops every connection, and serves again after', async () => {
    const b = await brandWithKeys('groq', 2);
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    admin.on('error', () => {});
    await admin.connect();
    const answers: { status: number; body: any }[] = [];
    try {
      for (let round = 0; round < 8; round++) {
        const calls = Array.from({ length: 6 }, () => chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] })
          .then(async (res) => ({ status: res.status, body: await res.json() }), (e: Error) => ({ status: 0, body: e.message })));
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
        answers.push(...(await Promise.all(calls)));
      }
    } finally {
      await admin.end();
    }
    for (const a of answers) {
      if (a.status === 200) expect(a.body.object).toBe('chat.completion');
      else expect(a).toMatchObject({ status: 503, body: { error: { type: 'server_error', code: 'service.unavailable', param: null } } });
    }
    await expect.poll(async () => (await chat(b.token, { model: 'groq/llama-3.1-8b-instant', messages: [] })).status, { timeout: 30_000 }).toBe(200);
  });
});

describe('secrets', () => {
  it('never writes a leased key into a log line, at trace level, whatever happened to the calls', async () => {
    await settled();
    expect(logLines.length).toBeGreaterThan(50); // it did log: requests, responses, warnings
    const leaked = logLines.filter((line) => /sk-test-\d+-\d+-x{16}|sk-inhouse-0123456789|sk-ssrf-0123456789|sk-mistral-0123456789/.test(line));
    expect(leaked).toEqual([]);
  });
});
