/**
 * Token and concurrency limits through the gateway, with the official openai client against a
 * local fake provider: the gateway counts a request's input tokens and takes its max_tokens as
 * the output cap, the pool reserves that estimate (clamped to what the key allows) with the lease,
 * and the call's reported usage replaces it; a request whose input alone exceeds a key's token
 * limit and a key whose concurrent calls are all in flight are refused with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { gatewayTestSettings } from '../support/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';
import { DEFAULT_OUTPUT_TOKENS, estimateTokens } from '../../src/modules/gateway/token-estimate.js';

let t: TestApp;
let fake: FakeOpenAi;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp({
    config: {
      gateway: gatewayTestSettings({ baseUrls: { groq: fake.url, openai: fake.url } }),
    },
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function brandWithKey(provider: string, settings: Record<string, unknown>) {
  const brand = await t.createBrand(`gateway tokens ${++seq}`);
  const apiKey = `sk-tokens-${seq}-${'x'.repeat(16)}`;
  const key = await t.app.services.integrations.createIntegration(brand.brandId, { providerName: provider, credentials: { api_key: apiKey }, ...settings });
  const client = new OpenAI({ apiKey: brand.token, baseURL: `${t.url}/v1`, maxRetries: 0 });
  return { ...brand, id: key.id, apiKey, client };
}
const tokensOf = async (token: string, id: number) =>
  (await t.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration as { token_minute_count: number; token_daily_count: number; open_leases: number };

describe('the estimate', () => {
  it('counts messages with OpenAI\'s tokenizer, takes the output cap, and adds a margin for other families', () => {
    const body = { messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: [{ type: 'text', text: 'Say hello to the world.' }] }], max_tokens: 64 };
    const exact = countTokens('You are terse.') + countTokens('Say hello to the world.') + 2 * 4 + 3;
    expect(estimateTokens(countTokens, 'chat/completions', 'gpt-4o-mini', body)).toEqual({ input: exact, output: 64 });
    expect(estimateTokens(countTokens, 'chat/completions', 'llama-3.1-8b-instant', body)).toEqual({ input: Math.ceil(exact * 1.25), output: 64 });
    expect(estimateTokens(countTokens, 'chat/completions', 'gpt-4o', { messages: [{ role: 'user', content: 'hi' }], n: 2 }).output).toBe(2 * DEFAULT_OUTPUT_TOKENS);
    expect(estimateTokens(countTokens, 'embeddings', 'text-embedding-3-small', { input: ['one two', 'three'] })).toEqual({ input: countTokens('one two') + countTokens('three'), output: 0 });
  });
});

describe('through the gateway', () => {
  it('reserves the estimate with the lease and keeps what the call used', async () => {
    const b = await brandWithKey('groq', { tokenMinuteLimit: 5000 });
    fake.behave(b.apiKey, { kind: 'ok', usage: { prompt_tokens: 21, completion_tokens: 34 } });
    // The count read is of the minute the call was counted in (a read past the turn would see 0).
    await clearOfMinuteTurn();
    const answer = await b.client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 300 });
    expect(answer.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 34 });
    // The report came back with the answer's usage: 55 tokens this minute, not the estimate (over 300).
    await expect.poll(async () => (await tokensOf(b.token, b.id)).token_minute_count).toBe(55);
  });

  it('clamps the output cap to what the key allows, and refuses an input larger than its whole limit', async () => {
    const b = await brandWithKey('groq', { tokenMinuteLimit: 200 });
    fake.behave(b.apiKey, { kind: 'ok', usage: { prompt_tokens: 10, completion_tokens: 5 } });
    await clearOfMinuteTurn();
    // max_tokens 100,000 is more than the key's minute: the estimate is clamped to the 200 it allows.
    await b.client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100_000 });
    await expect.poll(async () => (await tokensOf(b.token, b.id)).token_minute_count).toBe(15);
    const long = 'lorem ipsum dolor sit amet '.repeat(100);
    const refused = await b.client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: long }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toMatch(/estimated tokens exceed its token minute limit/);
    // A refusal is keypool's time alone, and says so too.
    expect(Number((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('x-keypool-overhead-ms'))).toBeGreaterThan(0);
    expect(fake.requests.filter((r) => r.key === b.apiKey)).toHaveLength(1);
  });

  it('answers with the pool\'s own rate-limit headers for the provider', async () => {
    const b = await brandWithKey('groq', { minuteLimit: 30, tokenMinuteLimit: 9000 });
    fake.behave(b.apiKey, { kind: 'ok', usage: { prompt_tokens: 10, completion_tokens: 10 } });
    // The headers come from a copy at most a second old: the first answers may go without them.
    const headers = async () => (await b.client.chat.completions.create({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 50 }).withResponse()).response.headers;
    await expect.poll(async () => (await headers()).get('x-ratelimit-limit-requests'), { timeout: 5000, interval: 200 }).toBe('30');
    const last = await headers();
    const remaining = Number(last.get('x-ratelimit-remaining-requests'));
    expect(remaining).toBeGreaterThanOrEqual(0);
    expect(remaining).toBeLessThan(30);
    expect(last.get('x-ratelimit-limit-tokens')).toBe('9000');
    // At most a minute away, in OpenAI's duration format: whole seconds rounded up, so a reset 59.5 s
    // away (a call just after the minute turned) reads "1m0s", as OpenAI writes 60 s.
    expect(last.get('x-ratelimit-reset-requests')).toMatch(/^([1-5]?\ds|1m0s)$/);
  });

  it('holds a concurrent slot for the whole call, and frees it when the call ends', async () => {
    const b = await brandWithKey('openai', { concurrencyLimit: 1 });
    fake.behave(b.apiKey, { kind: 'ok', firstEventAfterMs: 800 });
    const first = b.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }], stream: true });
    await expect.poll(async () => (await tokensOf(b.token, b.id)).open_leases).toBe(1);
    const second = await b.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'fast' }] }).catch((e: unknown) => e);
    expect((second as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((second as InstanceType<typeof OpenAI.APIError>).message).toMatch(/concurrency limit reached/);
    for await (const _ of await first) void _;
    await expect.poll(async () => (await tokensOf(b.token, b.id)).open_leases).toBe(0);
    fake.behave(b.apiKey, { kind: 'ok' });
    await expect(b.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] })).resolves.toBeTruthy();
  });
});
