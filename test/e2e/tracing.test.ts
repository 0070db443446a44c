/**
 * OpenTelemetry traces, exported over OTLP/HTTP to a local collector: a gateway call made with a
 * caller's `traceparent` is one span in the caller's trace, with children for authentication,
 * the lease (which key), the upstream call (provider, model, status, time to first token) and the
 * report; a failed attempt and its retry each have theirs. No attribute holds a secret.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayTestSettings } from '../support/config.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

let t: TestApp;
let fake: FakeOpenAi;
let collector: OtlpReceiver;
let brand: { brandId: string; token: string };
const KEYS = ['gsk_traced_first_0123456789abcdef', 'gsk_traced_second_0123456789abcdef'];
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

beforeAll(async () => {
  fake = await startFakeOpenAi();
  collector = await startOtlpReceiver();
  t = await createTestApp({
    config: {
      gateway: gatewayTestSettings({ baseUrls: { groq: fake.url } }),
      tracing: { endpoint: collector.url, serviceName: 'keypool-traced', headers: { 'x-collector-key': 'collector-secret' } },
    },
  });
  brand = await t.createBrand('Traced');
  for (const key of KEYS) await t.app.services.integrations.createIntegration(brand.brandId, { providerName: 'groq', credentials: { api_key: key }, isPrimary: key === KEYS[0] });
});
afterAll(async () => {
  await t?.close();
  await collector?.close();
  await fake?.close();
});

describe('traces', () => {
  it('puts a streamed gateway call in the caller\'s trace, with authentication, lease, upstream and report spans', async () => {
    fake.behave(KEYS[0], { kind: 'ok', usage: { prompt_tokens: 11, completion_tokens: 7 }, firstEventAfterMs: 30 });
    const client = new OpenAI({ apiKey: brand.token, baseURL: `${t.url}/v1`, defaultHeaders: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } });
    const stream = await client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) { /* read it all */ }
    const request = await collector.waitFor((s) => s.traceId === TRACE_ID && s.name === 'POST /v1/chat/completions');
    expect(request).toMatchObject({ parentSpanId: CALLER_SPAN, kind: 2, service: 'keypool-traced', attributes: { 'http.route': '/v1/chat/completions', 'http.response.status_code': 200 } });
    const report = await collector.waitFor((s) => s.traceId === TRACE_ID && s.name === 'keypool.report');
    const children = collector.spans.filter((s) => s.traceId === TRACE_ID && s.parentSpanId === request.spanId);
    expect(children.map((s) => s.name).sort()).toEqual(['keypool.authenticate', 'keypool.lease', 'keypool.report', 'keypool.upstream']);
    const byName = Object.fromEntries(children.map((s) => [s.name, s]));
    expect(byName['keypool.authenticate'].attributes).toEqual({ 'keypool.auth.outcome': 'authenticated', 'keypool.principal.kind': 'brand' });
    const keyId = (await t.app.services.integrations.listIntegrations(brand.brandId, {})).items.find((k) => k.isPrimary)!.id;
    expect(byName['keypool.lease'].attributes).toMatchObject({ 'keypool.provider': 'groq', 'keypool.model': 'llama-3.1-8b-instant', 'keypool.lease.outcome': 'leased', 'keypool.integration_id': keyId });
    expect(byName['keypool.upstream']).toMatchObject({ kind: 3, attributes: {
      'gen_ai.system': 'groq', 'gen_ai.request.model': 'llama-3.1-8b-instant', 'keypool.integration_id': keyId, 'keypool.attempt': 1, 'keypool.stream': true,
      'http.response.status_code': 200, 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 7,
    } });
    expect(byName['keypool.upstream'].attributes['keypool.time_to_first_token_ms']).toBeGreaterThanOrEqual(25);
    expect(report.attributes).toMatchObject({ 'keypool.report.success': true, 'keypool.integration_id': keyId, 'keypool.health_status': 'healthy' });
    expect(collector.headers[0]['x-collector-key']).toBe('collector-secret');
  });

  it('gives a failed attempt and its retry a lease and an upstream span each, the failure marked', async () => {
    fake.behave(KEYS[0], { kind: 'status', status: 503, body: { error: { message: 'overloaded' } } });
    fake.behave(KEYS[1], { kind: 'ok' });
    const traceId = 'a'.repeat(32);
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${brand.token}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${'b'.repeat(16)}-01` },
      body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await collector.waitFor((s) => s.traceId === traceId && s.name === 'POST /v1/chat/completions');
    await collector.waitFor((s) => s.traceId === traceId && s.name === 'keypool.upstream' && s.attributes['keypool.attempt'] === 2);
    const upstream = collector.spans.filter((s) => s.traceId === traceId && s.name === 'keypool.upstream').sort((a, b) => Number(a.attributes['keypool.attempt']) - Number(b.attributes['keypool.attempt']));
    expect(upstream.map((s) => [s.attributes['http.response.status_code'], s.status.code ?? 0])).toEqual([[503, 2], [200, 0]]);
    const leases = collector.spans.filter((s) => s.traceId === traceId && s.name === 'keypool.lease');
    expect(leases.map((s) => s.attributes['keypool.excluded_keys']).sort()).toEqual([0, 1]);
  });

  it('never exports a key, a token or a credential', async () => {
    await collector.waitFor((s) => s.name === 'keypool.report' && s.traceId === 'a'.repeat(32));
    const everything = JSON.stringify(collector.spans);
    for (const secret of [...KEYS, brand.token]) expect(everything).not.toContain(secret);
  });
});
