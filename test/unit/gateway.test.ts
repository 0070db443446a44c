/** The gateway's pure parts: prices and exact costs, upstream URLs, the address guard, the SSE relay. */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { costOf, parsePriceTable, priceOf } from '../../src/modules/gateway/prices.js';
import { isMetadataAddress, isNonPublicAddress, UpstreamGuard } from '../../src/platform/http/upstream-guard.js';
import { splitModel, upstreamBaseUrl } from '../../src/modules/gateway/upstreams.js';
import { SseRelay, type SseRelayOptions, type StreamEventReader } from '../../src/modules/gateway/sse-relay.js';
import { WIRE_FORMATS } from '../../src/modules/gateway/wire-formats.js';

describe('prices', () => {
  it('computes costs exactly, to 12 decimals, without floating point', () => {
    expect(costOf({ prompt: '0.05', completion: '0.08' }, 120, 48)).toBe('0.00000984');
    expect(costOf({ prompt: '0.1', completion: '0.2' }, 1, 2)).toBe('0.0000005'); // 0.1 + 0.4, never 0.5000000000000001
    expect(costOf({ prompt: '0.000001', completion: '0' }, 1, 0)).toBe('0.000000000001');
    expect(costOf({ prompt: '15', completion: '75' }, 1_000_000, 2_000_000)).toBe('165');
    expect(costOf({ prompt: '3', completion: '15' }, 0, 0)).toBe('0');
  });

  it('finds provider/model first, then provider/*, case-insensitively', () => {
    const { table } = parsePriceTable({ 'groq/Llama-3': { prompt: '1', completion: '2' }, 'groq/*': { prompt: 3, completion: 4 } }) as { table: never };
    expect(priceOf(table, 'groq', 'llama-3')).toEqual({ prompt: '1', completion: '2' });
    expect(priceOf(table, 'groq', 'other')).toEqual({ prompt: '3', completion: '4' });
    expect(priceOf(table, 'mistral', 'x')).toBeNull();
  });

  it('names every bad entry of a price table', () => {
    expect(parsePriceTable([])).toEqual({ problems: [expect.stringContaining('must be a JSON object')] });
    expect(parsePriceTable({ 'no-slash': { prompt: '1', completion: '1' }, 'groq/x': { prompt: '-1', completion: '1' }, 'groq/y': { prompt: '0.0000001', completion: '1' }, 'groq/z': { prompt: '1' } })).toEqual({
      problems: [
        '"no-slash" must be written provider/model',
        expect.stringContaining('"groq/x" must be'),
        expect.stringContaining('"groq/y" must be'),
        expect.stringContaining('"groq/z" must be'),
      ],
    });
  });
});

describe('upstream URLs', () => {
  const target = (over: Partial<Parameters<typeof upstreamBaseUrl>[0]> = {}) => ({ providerName: 'groq', baseProvider: 'groq', brandBaseUrl: null, credentials: { api_key: 'k' }, ...over });

  it('uses the catalog, the operator\'s override, the brand\'s base URL and a self-hosted key\'s URL, in that order of precedence reversed', () => {
    expect(upstreamBaseUrl(target(), {})).toEqual({ url: 'https://api.groq.com/openai/v1', configuredBy: 'catalog' });
    expect(upstreamBaseUrl(target(), { groq: 'http://127.0.0.1:9000/v1' })).toEqual({ url: 'http://127.0.0.1:9000/v1', configuredBy: 'operator' });
    expect(upstreamBaseUrl(target({ brandBaseUrl: 'https://proxy.example/groq/' }), { groq: 'http://127.0.0.1:9000/v1' })).toEqual({ url: 'https://proxy.example/groq/v1', configuredBy: 'brand' });
    expect(upstreamBaseUrl(target({ providerName: 'ollama', baseProvider: 'ollama', credentials: { ollama_key_config: { url: 'http://gpu-1:11434' } } }), {})).toEqual({ url: 'http://gpu-1:11434/v1', configuredBy: 'brand' });
    expect(upstreamBaseUrl(target({ providerName: 'vllm', baseProvider: 'vllm', credentials: { vllm_key_config: { url: 'http://gpu-2:8000/v1' } } }), {}).url).toBe('http://gpu-2:8000/v1');
  });

  it('fills a URL from the key\'s credential fields (Cloudflare\'s account id), and says what is missing', () => {
    expect(upstreamBaseUrl(target({ providerName: 'cloudflare', baseProvider: 'cloudflare', credentials: { api_key: 'k', account_id: 'acc 1' } }), {}).url)
      .toBe('https://api.cloudflare.com/client/v4/accounts/acc%201/ai/v1');
    expect(() => upstreamBaseUrl(target({ providerName: 'cloudflare', baseProvider: 'cloudflare' }), {})).toThrow('The leased cloudflare key has no account_id, which its API URL needs');
    expect(() => upstreamBaseUrl(target({ providerName: 'fal_ai', baseProvider: 'fal_ai' }), {})).toThrow(/fal_ai has no OpenAI-compatible API/);
  });

  it('splits provider/model at the first slash', () => {
    expect(splitModel('openrouter/meta-llama/llama-3.1-8b-instruct')).toEqual({ provider: 'openrouter', model: 'meta-llama/llama-3.1-8b-instruct' });
    expect(splitModel('llama')).toBeNull();
    expect(splitModel('/llama')).toBeNull();
    expect(splitModel('groq/')).toBeNull();
  });
});

describe('the upstream guard', () => {
  it.each(['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::ffff:169.254.169.254', '::'])('never allows the metadata address %s', (address) => {
    expect(isMetadataAddress(address)).toBe(true);
    expect(new UpstreamGuard({ hosts: [], cidrs: ['0.0.0.0/0', '::/0'] }).refusal('h', address, 'public')).toBe('metadata');
  });

  it.each(['127.0.0.1', '10.0.0.9', '172.16.0.1', '172.31.255.255', '192.168.1.10', '100.64.0.1', '100.127.255.254', '::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::ffff:7f00:1'])('refuses the non-public %s to brands by default', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
    expect(new UpstreamGuard().refusal('h', address, 'public')).toBe('non_public');
    expect(new UpstreamGuard().refusal('h', address, 'metadata')).toBeNull(); // the operator's own URLs
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2001:db8::1', '2606:4700::1111'])('allows the public %s', (address) => {
    expect(new UpstreamGuard().refusal('h', address, 'public')).toBeNull();
  });

  it('opens allow-listed names, addresses and networks, and nothing else', () => {
    const guard = new UpstreamGuard({ hosts: ['ollama.lan'], cidrs: ['10.1.0.0/16', '127.0.0.1', 'fd00::/8'] });
    expect(guard.refusal('ollama.lan', '192.168.7.7', 'public')).toBeNull();
    expect(guard.refusal('OLLAMA.LAN.', '192.168.7.7', 'public')).toBeNull();
    expect(guard.refusal('gpu', '10.1.2.3', 'public')).toBeNull();
    expect(guard.refusal('gpu', '10.2.0.1', 'public')).toBe('non_public');
    expect(guard.refusal('gpu', '127.0.0.1', 'public')).toBeNull();
    expect(guard.refusal('gpu', '127.0.0.2', 'public')).toBe('non_public');
    expect(guard.refusal('gpu', 'fd00::5', 'public')).toBeNull();
    expect(guard.refusal('ollama.lan', '169.254.169.254', 'public')).toBe('metadata');
  });

  it('refuses metadata names and literal addresses before connecting', () => {
    const guard = new UpstreamGuard();
    expect(() => guard.assertAllowed(new URL('http://metadata.google.internal/computeMetadata'), 'metadata')).toThrow(/link-local or cloud metadata/);
    expect(() => guard.assertAllowed(new URL('http://[fe80::1]:8080/'), 'metadata')).toThrow(/link-local or cloud metadata/);
    expect(() => guard.assertAllowed(new URL('http://127.0.0.1:8080/'), 'public')).toThrow(/loopback, private or otherwise non-public/);
    expect(() => guard.assertAllowed(new URL('http://[::ffff:192.168.0.1]/'), 'public')).toThrow(/non-public/);
    expect(() => guard.assertAllowed(new URL('http://127.0.0.1:8080/'), 'metadata')).not.toThrow();
    expect(() => guard.assertAllowed(new URL('http://api.groq.com/'), 'public')).not.toThrow();
  });

  it('refuses a name that resolves to a refused address at connect time (DNS rebinding), and passes the others on', async () => {
    const answers: Record<string, { address: string; family: number }[]> = {
      'rebound.example': [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }],
      'internal.example': [{ address: '10.0.0.7', family: 4 }],
      'api.example': [{ address: '93.184.216.34', family: 4 }],
    };
    const guard = new UpstreamGuard();
    const ask = (policy: 'public' | 'metadata', host: string, options: object) => new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      guard.lookup(policy, (h, _options, callback) => callback(null, answers[h] as never))(host, options, (error, address) => resolve({ error, address })));
    expect((await ask('metadata', 'rebound.example', {})).error?.message).toMatch(/rebound\.example is a link-local or cloud metadata address/);
    expect((await ask('public', 'internal.example', {})).error?.message).toMatch(/internal\.example is a loopback, private/);
    expect(await ask('metadata', 'internal.example', {})).toEqual({ error: null, address: '10.0.0.7' });
    expect(await ask('public', 'api.example', {})).toEqual({ error: null, address: '93.184.216.34' });
    expect(await ask('public', 'api.example', { all: true })).toEqual({ error: null, address: answers['api.example'] });
  });
});

describe('the SSE relay', () => {
  async function relay(chunks: (string | Buffer)[], forwardUsage: boolean, options: Partial<SseRelayOptions> = {}) {
    let oversizeCalls = 0;
    const readEvent: StreamEventReader = (data, sofar) => WIRE_FORMATS['chat/completions'].streamEvent(data, sofar, forwardUsage);
    const r = new SseRelay({ readEvent, maxEventBytes: 1024 * 1024, secret: null, onOversizeEvent: () => oversizeCalls++, ...options });
    let out = '';
    r.on('data', (c: Buffer) => (out += c.toString()));
    await pipeline(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), r);
    return { out, usage: r.usage, first: r.firstEventAt, oversize: r.oversize, oversizeCalls };
  }
  const usageChunk = 'data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n';

  it('passes events through whole even when the upstream splits them, and notes the usage', async () => {
    const events = 'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n' + usageChunk + 'data: [DONE]\n\n';
    const pieces = [events.slice(0, 10), events.slice(10, 60), events.slice(60, 61), events.slice(61)];
    const { out, usage, first } = await relay(pieces, true);
    expect(out).toBe(events);
    expect(usage).toEqual({ promptTokens: 7, completionTokens: 3 });
    expect(first).not.toBeNull();
  });

  it('keeps the usage-only chunk from a caller that did not ask for it, but not usage riding on a content chunk', async () => {
    const content = 'data: {"choices":[{"delta":{"content":"Hi"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n';
    const { out, usage } = await relay([content, usageChunk, 'data: [DONE]\n\n'], false);
    expect(out).toBe(`${content}data: [DONE]\n\n`);
    expect(usage).toEqual({ promptTokens: 7, completionTokens: 3 });
  });

  it('handles CRLF event ends and passes through what it cannot parse', async () => {
    const { out } = await relay(['data: {"choices":[]}\r\n\r\n', 'data: not json "usage"\n\n'], false);
    expect(out).toBe('data: {"choices":[]}\n\ndata: not json "usage"\n\n');
  });

  it('keeps a character whole when the upstream splits its bytes across chunks', async () => {
    const event = Buffer.from('data: {"choices":[{"delta":{"content":"hé€😀中"}}]}\n\n', 'utf8');
    const bytes = [...event].map((b) => Buffer.from([b])); // every byte its own chunk
    const { out } = await relay(bytes, false);
    expect(out).toBe(event.toString('utf8'));
    expect(out).not.toContain('\uFFFD');
  });

  it('finds the end of an event when its blank line is split across chunks, CRLF or LF', async () => {
    const { out } = await relay(['data: {"a":1}\r', '\n\r', '\ndata: {"b":2}\n', '\ndata: [DONE]\n\n'], false);
    expect(out).toBe('data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n');
  });

  it('ends the stream with an error event when one event is larger than the limit, and drops the rest', async () => {
    const big = `data: ${'x'.repeat(5000)}`;
    const { out, oversize, oversizeCalls } = await relay(['data: {"a":1}\n\n', big.slice(0, 2500), big.slice(2500), 'more\n\n', 'data: {"b":2}\n\n'], false, { maxEventBytes: 4096 });
    expect(oversize).toBe(true);
    expect(oversizeCalls).toBe(1);
    const events = out.split('\n\n').filter(Boolean);
    expect(events[0]).toBe('data: {"a":1}');
    expect(events[1]).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(events[1].split('data: ')[1])).toEqual({ error: { message: 'The upstream sent an event larger than 4096 bytes (KEYPOOL_GATEWAY_MAX_EVENT_BYTES); the stream was ended', type: 'upstream_error', param: null, code: 'event_too_large' } });
    expect(events).toHaveLength(2);
  });

  it('redacts the leased key from any event that carries it', async () => {
    const key = 'sk-live-0123456789abcdef';
    const { out } = await relay([`data: {"echo":"${key.slice(0, 10)}`, `${key.slice(10)}"}\n\n`], false, { secret: key });
    expect(out).toBe('data: {"echo":"[redacted]"}\n\n');
  });
});
