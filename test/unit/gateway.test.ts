/** The gateway's pure parts: prices and exact costs, upstream URLs, the address guard, the SSE relay. */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { costOf, parsePriceTable, priceOf } from '../../src/modules/gateway/prices.js';
import { assertAllowedHost, isForbiddenAddress, lookupGuarding } from '../../src/modules/gateway/address-guard.js';
import { splitModel, upstreamBaseUrl } from '../../src/modules/gateway/upstreams.js';
import { SseRelay } from '../../src/modules/gateway/sse-relay.js';

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
    expect(upstreamBaseUrl(target(), {})).toBe('https://api.groq.com/openai/v1');
    expect(upstreamBaseUrl(target(), { groq: 'http://127.0.0.1:9000/v1' })).toBe('http://127.0.0.1:9000/v1');
    expect(upstreamBaseUrl(target({ brandBaseUrl: 'https://proxy.example/groq/' }), { groq: 'http://127.0.0.1:9000/v1' })).toBe('https://proxy.example/groq/v1');
    expect(upstreamBaseUrl(target({ providerName: 'ollama', baseProvider: 'ollama', credentials: { ollama_key_config: { url: 'http://gpu-1:11434' } } }), {})).toBe('http://gpu-1:11434/v1');
    expect(upstreamBaseUrl(target({ providerName: 'vllm', baseProvider: 'vllm', credentials: { vllm_key_config: { url: 'http://gpu-2:8000/v1' } } }), {})).toBe('http://gpu-2:8000/v1');
  });

  it('fills a URL from the key\'s credential fields (Cloudflare\'s account id), and says what is missing', () => {
    expect(upstreamBaseUrl(target({ providerName: 'cloudflare', baseProvider: 'cloudflare', credentials: { api_key: 'k', account_id: 'acc 1' } }), {}))
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

describe('the address guard', () => {
  it.each(['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::ffff:169.254.169.254', '::'])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.9', '192.168.1.10', '8.8.8.8', '::1', '2001:db8::1'])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('refuses metadata names and bracketed literals before connecting', () => {
    expect(() => assertAllowedHost(new URL('http://metadata.google.internal/computeMetadata'))).toThrow(/link-local or cloud metadata/);
    expect(() => assertAllowedHost(new URL('http://[fe80::1]:8080/'))).toThrow(/link-local or cloud metadata/);
    expect(() => assertAllowedHost(new URL('http://api.groq.com/'))).not.toThrow();
  });

  it('refuses a name that resolves to a forbidden address at connect time (DNS rebinding), and passes the others on', async () => {
    const answers: Record<string, { address: string; family: number }[]> = {
      'rebound.example': [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }],
      'api.example': [{ address: '93.184.216.34', family: 4 }],
    };
    const lookup = lookupGuarding((host, _options, callback) => callback(null, answers[host]));
    const ask = (host: string, options: object) => new Promise<{ error: Error | null; address: unknown }>((resolve) => lookup(host, options, (error, address) => resolve({ error, address })));
    expect((await ask('rebound.example', {})).error?.message).toMatch(/rebound\.example is a link-local or cloud metadata address/);
    expect(await ask('api.example', {})).toEqual({ error: null, address: '93.184.216.34' });
    expect(await ask('api.example', { all: true })).toEqual({ error: null, address: answers['api.example'] });
  });
});

describe('the SSE relay', () => {
  async function relay(chunks: string[], forwardUsage: boolean) {
    const r = new SseRelay(forwardUsage);
    let out = '';
    r.on('data', (c: Buffer) => (out += c.toString()));
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), r);
    return { out, usage: r.usage, first: r.firstEventAt };
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
});
