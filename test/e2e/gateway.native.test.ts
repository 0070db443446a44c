/**
 * The gateway in the providers' own protocols, with their official clients unmodified but for the
 * base URL and the API key: Anthropic Messages (`@anthropic-ai/sdk`: create, stream, tool use,
 * errors in Anthropic's body) to the brand's anthropic keys, and OpenAI Responses (`openai`:
 * create and stream) to OpenAI-compatible keys — through the same lease, report and ledger as
 * chat completions, each answer saying keypool's own time in x-keypool-overhead-ms.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayTestSettings } from '../support/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';

let t: TestApp;
let fake: FakeOpenAi;
let seq = 0;
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp({
    logLines,
    config: {
      logLevel: 'info',
      gateway: gatewayTestSettings({ baseUrls: { anthropic: fake.url, openai: fake.url, google_ai: `${fake.origin}/v1beta/openai` } }),
    },
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function brandWithKeys(provider: string, count: number) {
  const brand = await t.createBrand(`native ${++seq}`);
  const keys: { id: number; apiKey: string }[] = [];
  for (let i = 0; i < count; i++) {
    const apiKey = `sk-native-${seq}-${i}-${'x'.repeat(16)}`;
    keys.push({ id: (await t.app.services.integrations.createIntegration(brand.brandId, { providerName: provider, credentials: { api_key: apiKey } })).id, apiKey });
  }
  return { ...brand, keys };
}

async function ledger(id: number) {
  await t.app.services.gateway.settled();
  await t.app.services.leases.foldOutcomes();
  const { rows } = await t.app.sqlPool.query('select requests::int, successes::int, rate_limited::int, prompt_tokens::int, completion_tokens::int from usage_daily where integration_id = $1', [id]);
  return rows[0];
}

describe('Anthropic Messages, with @anthropic-ai/sdk', () => {
  const claude = (token: string) => new Anthropic({ apiKey: token, baseURL: t.url, maxRetries: 0 });

  it('creates a message on the brand\'s anthropic key, passing Anthropic\'s headers and reporting its usage', async () => {
    const b = await brandWithKeys('anthropic', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 40, completion_tokens: 12 }, content: 'Bonjour' });
    const { data, response } = await claude(b.token).messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello in French' }] },
      { headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' } },
    ).withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Bonjour' }]);
    expect(Number(response.headers.get('x-keypool-overhead-ms'))).toBeGreaterThan(0);
    expect(response.headers.get('x-keypool-integration-id')).toBe(String(b.keys[0].id));
    const upstream = fake.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/messages');
    // The leased key in x-api-key (never the caller's token), Anthropic's headers passed on.
    expect(upstream.headers['x-api-key']).toBe(b.keys[0].apiKey);
    expect(upstream.headers.authorization).toBeUndefined();
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    // Input counts the cache reads (30 + 10).
    expect(await ledger(b.keys[0].id)).toMatchObject({ requests: 1, successes: 1, prompt_tokens: 40, completion_tokens: 12 });
  });

  it('streams Anthropic\'s event sequence through, with the usage from message_start and message_delta', async () => {
    const b = await brandWithKeys('anthropic', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 25, completion_tokens: 7 }, content: 'one two three' });
    const stream = claude(b.token).messages.stream({ model: 'anthropic/claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Count' }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'one two three' }]);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 25, completion_tokens: 7 });
  });

  it('passes an error event inside a stream on, and reports the call as that failure; a stream cut mid-event ends as a network error', async () => {
    const b = await brandWithKeys('anthropic', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'anthropic_error_event' });
    const failed = await claude(b.token).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage().catch((e: unknown) => e);
    expect(String(failed)).toMatch(/Overloaded/);
    expect(await ledger(b.keys[0].id)).toMatchObject({ requests: 1, successes: 0 });
    // Overloaded: the key's health is untouched.
    const { rows } = await t.app.sqlPool.query('select health_status, consecutive_failures from integration where id = $1', [b.keys[0].id]);
    expect(rows[0]).toEqual({ health_status: 'healthy', consecutive_failures: 0 });
    const c = await brandWithKeys('anthropic', 1);
    fake.behave(c.keys[0].apiKey, { kind: 'cut_after_first_event' });
    const cut = await claude(c.token).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage().catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Error);
    await t.app.services.gateway.settled();
    const { rows: ledgerRows } = await t.app.sqlPool.query('select network_errors::int from usage_daily where integration_id = $1', [c.keys[0].id]);
    expect(ledgerRows[0]).toEqual({ network_errors: 1 });
  });

  it('passes tools and tool use through', async () => {
    const b = await brandWithKeys('anthropic', 1);
    const message = await claude(b.token).messages.create({
      model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
  });

  it('fails over on Anthropic\'s 529 without a health penalty, and answers errors in Anthropic\'s body', async () => {
    const b = await brandWithKeys('anthropic', 2);
    fake.behave(b.keys[0].apiKey, { kind: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    fake.behave(b.keys[1].apiKey, { kind: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    const overloaded = await claude(b.token).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    await t.app.services.gateway.settled();
    const { rows } = await t.app.sqlPool.query('select health_status, consecutive_failures from integration where id = $1', [b.keys[0].id]);
    expect(rows[0]).toEqual({ health_status: 'healthy', consecutive_failures: 0 });

    const noMaxTokens = await claude(b.token).messages.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] } as never).catch((e: unknown) => e);
    expect(noMaxTokens).toBeInstanceOf(Anthropic.BadRequestError);
    expect((noMaxTokens as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens is required: the most tokens the answer may have' } });

    const wrongProvider = await claude(b.token).messages.create({ model: 'groq/llama-3.1-8b-instant', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((wrongProvider as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/the model's provider must be anthropic/);

    const badToken = await new Anthropic({ apiKey: 'not-a-token', baseURL: t.url, maxRetries: 0 }).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(badToken).toBeInstanceOf(Anthropic.AuthenticationError);
    const none = await fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'Missing credential: send x-api-key: <client_token> (your SDK\'s API key), or Authorization: Bearer <client_token>' } });
  });
});

describe('Gemini, with @google/genai', () => {
  const genai = (token: string, apiVersion?: string) => new GoogleGenAI({ apiKey: token, httpOptions: { baseUrl: t.url, ...(apiVersion && { apiVersion }) } });

  it('generates content on the brand\'s google_ai key, with the key in x-goog-api-key and usageMetadata reported', async () => {
    const b = await brandWithKeys('google_ai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 11, completion_tokens: 4 }, content: 'Hi from Gemini' });
    const answer = await genai(b.token, 'v1beta').models.generateContent({ model: 'gemini-2.0-flash', contents: 'Say hi' });
    expect(answer.text).toBe('Hi from Gemini');
    const upstream = fake.requests.at(-1)!;
    expect(upstream.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(upstream.headers['x-goog-api-key']).toBe(b.keys[0].apiKey);
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 11, completion_tokens: 4 });
    // The caller's keypool credential never reaches a log line (the SDK sends it in x-goog-api-key).
    expect(logLines.join('\n')).not.toContain(b.token);
  });

  it('streams (alt=sse), counts tokens and embeds, on the API version the SDK is set to', async () => {
    const b = await brandWithKeys('google_ai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 6, completion_tokens: 3 }, content: 'x y z' });
    let text = '';
    for await (const chunk of await genai(b.token).models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'Go' })) text += chunk.text ?? '';
    expect(text).toBe('x y z');
    // The SDK's own default version, passed on as it came.
    expect(fake.requests.at(-1)!.path).toMatch(/^\/v1(beta)?\/models\/gemini-2\.0-flash:streamGenerateContent\?alt=sse$/);
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 6, completion_tokens: 3 });
    expect((await genai(b.token, 'v1').models.countTokens({ model: 'gemini-2.0-flash', contents: 'count me' })).totalTokens).toBe(6);
    expect(fake.requests.at(-1)!.path).toBe('/v1/models/gemini-2.0-flash:countTokens');
    expect((await genai(b.token, 'v1beta').models.countTokens({ model: 'gemini-2.0-flash', contents: 'count me' })).totalTokens).toBe(6);
    expect(fake.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.0-flash:countTokens');
    const embedded = await genai(b.token).models.embedContent({ model: 'text-embedding-004', contents: 'embed me' });
    expect(embedded.embeddings?.[0].values).toEqual([0.1, 0.2, 0.3]);
  });

  it('relays the JSON-array stream, with the credential in ?key= kept out of the logs', async () => {
    const b = await brandWithKeys('google_ai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 8, completion_tokens: 2 }, content: 'a b' });
    const res = await fetch(`${t.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent?key=${b.token}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    const items = JSON.parse(await res.text()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(items.map((i) => i.candidates[0].content.parts[0].text).join('')).toBe('a b');
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 8, completion_tokens: 2 });
    expect(logLines.join('\n')).not.toContain(b.token);
  });

  it('answers errors in Gemini\'s body', async () => {
    const b = await brandWithKeys('google_ai', 1);
    const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': b.token }) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const noContents = await post('/v1beta/models/gemini-2.0-flash:generateContent', {});
    expect(noContents.status).toBe(400);
    expect(await noContents.json()).toEqual({ error: { code: 400, message: 'contents is required: a list of { role, parts } objects', status: 'INVALID_ARGUMENT' } });
    const badMethod = await post('/v1beta/models/gemini-2.0-flash:predict', {});
    expect((await badMethod.json()).error.message).toMatch(/^The method must be one of models\/\{model\}:generateContent/);
    const noKey = await post('/v1beta/models/gemini-2.0-flash:generateContent', { contents: [] }, {});
    expect(noKey.status).toBe(401);
    expect((await noKey.json()).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const anthropic = await post('/v1beta/models/anthropic/claude-x:generateContent', { contents: [] });
    expect((await anthropic.json()).error.message).toMatch(/the model's provider must be google_ai or gemini/);
    // A model name holding an encoded "%" is the model's, passed on encoded (never a 500).
    const percent = await post('/v1beta/models/gem%25ini:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(percent.status).toBe(200);
    expect(fake.requests.at(-1)!.path).toBe('/v1beta/models/gem%25ini:generateContent');
    const listed = await fetch(`${t.url}/v1beta/models`, { headers: { 'x-goog-api-key': b.token } });
    expect(await listed.json()).toEqual({ models: [] });
  });
});

describe('translation: OpenAI chat completions to Anthropic and Gemini, with openai', () => {
  const openai = (token: string) => new OpenAI({ apiKey: token, baseURL: `${t.url}/v1`, maxRetries: 0 });
  const weather = [{ type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('sends a chat to anthropic/… as a Messages request and answers it as a chat completion, tools included', async () => {
    const b = await brandWithKeys('anthropic', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 30, completion_tokens: 9 }, content: 'Hello from Claude' });
    const answer = await openai(b.token).chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5', max_tokens: 200, temperature: 0.2, stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      ],
    });
    expect(answer.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Hello from Claude' }, finish_reason: 'stop' });
    expect(answer.usage).toEqual({ prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5', max_tokens: 200, temperature: 0.2, stop_sequences: ['END'], system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }],
    });
    // A tool call and its result, round trip.
    const called = await openai(b.token).chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: weather, tool_choice: 'required' });
    expect(called.choices[0].finish_reason).toBe('tool_calls');
    expect(called.choices[0].message.tool_calls).toEqual([{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(fake.requests.at(-1)!.body).toMatchObject({ tools: [{ name: 'get_weather', input_schema: { type: 'object' } }], tool_choice: { type: 'any' }, max_tokens: 4096 });
    await openai(b.token).chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5', tools: weather,
      messages: [{ role: 'user', content: 'Weather in Paris?' }, called.choices[0].message, { role: 'tool', tool_call_id: 'toolu_01', content: 'sunny' }],
    });
    expect(fake.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'sunny' }] },
    ]);
  });

  it('streams Anthropic\'s events as chat chunks, with the usage chunk when asked', async () => {
    const b = await brandWithKeys('anthropic', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 20, completion_tokens: 5 }, content: 'one two' });
    const stream = await openai(b.token).chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'Count' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect({ text, finish, usage }).toEqual({ text: 'one two', finish: 'stop', usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } });
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 20, completion_tokens: 5 });
  });

  it('sends a chat to google_ai/… as generateContent and answers it as a chat completion, plain and streamed', async () => {
    const b = await brandWithKeys('google_ai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 12, completion_tokens: 4 }, content: 'Hi there friend' });
    const answer = await openai(b.token).chat.completions.create({
      model: 'google_ai/gemini-2.0-flash', max_completion_tokens: 64, response_format: { type: 'json_object' },
      messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }],
    });
    expect(answer.choices[0]).toMatchObject({ message: { content: 'Hi there friend' }, finish_reason: 'stop' });
    expect(answer.usage).toEqual({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be kind.' }] },
      generationConfig: { maxOutputTokens: 64, responseMimeType: 'application/json' },
    });
    const stream = await openai(b.token).chat.completions.create({ model: 'google_ai/gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hi there friend');
    expect(fake.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 2, prompt_tokens: 24, completion_tokens: 8 });
  });

  it('refuses what it does not translate with a 400 that says so, and passes a provider\'s error on in OpenAI\'s body', async () => {
    const b = await brandWithKeys('anthropic', 1);
    const refused = await openai(b.token).chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], n: 2 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/n is not translated to Anthropic's API: leave it out, or call POST \/v1\/messages directly/);
    const g = await brandWithKeys('google_ai', 1);
    const remote = await openai(g.token).chat.completions.create({
      model: 'google_ai/gemini-2.0-flash', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    }).catch((e: unknown) => e);
    expect((remote as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/Gemini takes images inline: send a data: URL/);
    fake.behave(b.keys[0].apiKey, { kind: 'status', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } } });
    const upstream = await openai(b.token).chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((upstream as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({ message: 'prompt is too long', type: 'invalid_request_error', param: null, code: 'invalid_request_error' });
  });
});

describe('OpenAI Responses, with openai', () => {
  const openai = (token: string) => new OpenAI({ apiKey: token, baseURL: `${t.url}/v1`, maxRetries: 0 });

  it('creates a response and reports its usage', async () => {
    const b = await brandWithKeys('openai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 18, completion_tokens: 6 }, content: 'Hello from responses' });
    const { data, response } = await openai(b.token).responses.create({ model: 'openai/gpt-4.1-mini', input: 'Say hello' }).withResponse();
    expect(data.output_text).toBe('Hello from responses');
    expect(response.headers.get('x-keypool-overhead-ms')).toMatch(/^\d+\.\d{2}$/);
    expect(fake.requests.at(-1)!.path).toBe('/v1/responses');
    expect(fake.requests.at(-1)!.body.model).toBe('gpt-4.1-mini');
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 18, completion_tokens: 6 });
  });

  it('streams the response events, with the usage from response.completed', async () => {
    const b = await brandWithKeys('openai', 1);
    fake.behave(b.keys[0].apiKey, { kind: 'ok', usage: { prompt_tokens: 9, completion_tokens: 3 }, content: 'a b c' });
    const stream = await openai(b.token).responses.create({ model: 'openai/gpt-4.1-mini', input: [{ role: 'user', content: 'Go' }], stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta', 'response.completed']);
    expect(await ledger(b.keys[0].id)).toMatchObject({ successes: 1, prompt_tokens: 9, completion_tokens: 3 });
  });

  it('refuses what the pool cannot serve, in OpenAI\'s body', async () => {
    const b = await brandWithKeys('openai', 1);
    const stored = await openai(b.token).responses.create({ model: 'openai/gpt-4.1-mini', input: 'more', previous_response_id: 'resp_x' }).catch((e: unknown) => e);
    expect(stored).toBeInstanceOf(OpenAI.BadRequestError);
    expect((stored as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/previous_response_id is not supported through the pool/);
    const noInput = await fetch(`${t.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` }, body: JSON.stringify({ model: 'openai/gpt-4.1-mini' }) });
    expect(await noInput.json()).toEqual({ error: { message: 'input is required: a string, or a list of input items', type: 'invalid_request_error', param: 'input', code: 'request.invalid' } });
  });
});
