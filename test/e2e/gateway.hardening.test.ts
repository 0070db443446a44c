/**
 * The gateway against upstreams that misbehave on purpose: one endless event,
 * characters split across chunks, a body trickled past the deadline, a stream
 * that outlives its lease, a redirect, an answer that echoes the key, and
 * brand-configured URLs that point inside the operator's network.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { testConfig } from '../support/config.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Record<string, any>) => void;

/** A raw upstream: each test says how it answers, by the key the gateway sends. */
interface RawUpstream {
  url: string;
  origin: string;
  on(key: string, handler: Handler): void;
  aborted: Set<string>;
  close(): Promise<void>;
}

async function startRawUpstream(): Promise<RawUpstream> {
  const handlers = new Map<string, Handler>();
  const aborted = new Set<string>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      res.on('close', () => !res.writableFinished && aborted.add(key));
      const handler = handlers.get(key);
      if (!handler) return void res.writeHead(500).end();
      handler(req, res, raw ? JSON.parse(raw) : {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    origin,
    aborted,
    on: (key, handler) => void handlers.set(key, handler),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const chunk = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const usageChunk = (prompt: number, completion: number) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });

let up: RawUpstream;
let t: TestApp;
let seq = 0;

beforeAll(async () => {
  up = await startRawUpstream();
  t = await createTestApp({
    config: {
      leaseTtlSeconds: 1,
      gateway: { ...testConfig().gateway, timeoutMs: 1500, attemptTimeoutMs: 1500, maxAttempts: 1, idleTimeoutMs: 10_000, baseUrls: { groq: up.url }, prices: { 'groq/*': { prompt: '1', completion: '2' } } },
    },
  });
});
afterAll(async () => {
  await t?.close();
  await up?.close();
});

async function brandWithKey(settings: Record<string, unknown> = {}) {
  const brand = await t.createBrand(`hardening ${++seq}`);
  const apiKey = `gsk-hardening-${seq}-${'k'.repeat(20)}`;
  const key = await t.app.services.integrations.createIntegration(brand.brandId, { providerName: 'groq', credentials: { api_key: apiKey }, ...settings });
  return { ...brand, apiKey, id: key.id };
}

const chat = (token: string, body: Record<string, unknown>) =>
  fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ model: 'groq/m', messages: [{ role: 'user', content: 'hi' }], ...body }) });

async function ledger(id: number) {
  await t.app.services.gateway.settled();
  await t.app.services.leases.foldOutcomes();
  const { rows } = await t.app.sqlPool.query(
    `select requests::int, successes::int, server_errors::int, client_errors::int, timeouts::int, prompt_tokens::int, completion_tokens::int, trim_scale(cost_usd)::text as cost_usd
     from usage_daily where integration_id = $1`, [id]);
  return rows[0];
}

async function keyRow(id: number) {
  // Reports of plain successes are appended; a read behind the pool folds them first, as the API's reads do.
  await t.app.services.leases.foldOutcomes();
  const { rows } = await t.app.sqlPool.query('select health_status, consecutive_failures, trim_scale(spend_today)::text as spend_today from integration where id = $1', [id]);
  return rows[0];
}

describe('streams', () => {
  it('keeps /healthz under 100 ms while relaying a 32 MB event that never ends a line, at a cost linear in its size', async () => {
    const big = await createTestApp({ config: { gateway: { ...t.config.gateway, timeoutMs: 60_000, attemptTimeoutMs: 30_000, maxEventBytes: 64 * 1024 * 1024 } } });
    try {
      const piece = Buffer.alloc(64 * 1024, 'x');
      /** Relays one event of `mib` MiB; the process's CPU for it, and the slowest /healthz meanwhile. */
      const relay = async (mib: number) => {
        const brand = await big.createBrand(`big ${mib}`);
        const apiKey = `gsk-hostile-${mib}-${'h'.repeat(20)}`;
        await big.app.services.integrations.createIntegration(brand.brandId, { providerName: 'groq', credentials: { api_key: apiKey } });
        up.on(apiKey, (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: ');
          let sent = 0;
          const more = () => {
            while (sent < mib * 16) {
              sent++;
              if (!res.write(piece)) return void res.once('drain', more);
            }
            res.end();
          };
          more();
        });
        const cpuBefore = process.cpuUsage();
        const res = await fetch(`${big.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${brand.token}` }, body: JSON.stringify({ model: 'groq/m', stream: true, messages: [] }) });
        expect(res.status).toBe(200);
        const latencies: number[] = [];
        let reading = true;
        const probe = (async () => {
          while (reading) {
            const started = performance.now();
            expect((await fetch(`${big.url}/healthz`)).status).toBe(200);
            latencies.push(performance.now() - started);
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        let received = 0;
        for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) received += part.length;
        reading = false;
        await probe;
        const cpu = process.cpuUsage(cpuBefore);
        expect(received).toBeGreaterThanOrEqual(mib * 1024 * 1024);
        return { cpuMs: (cpu.user + cpu.system) / 1000, slowestHealthzMs: Math.max(...latencies) };
      };
      const small = await relay(8);
      const large = await relay(32);
      expect(large.slowestHealthzMs).toBeLessThan(100);
      // Linear: four times the bytes cost about four times the CPU (re-scanning what is pending costs sixteen).
      expect(large.cpuMs / small.cpuMs).toBeLessThan(8);
    } finally {
      await big.close();
    }
  });

  it('ends the stream with an error event past the event limit, drops the upstream, and reports it', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse(chunk('fine')));
      res.write(`data: ${'y'.repeat(2 * 1024 * 1024)}`);
      // and never ends: only the gateway's drop ends it
    });
    const res = await chat(b.token, { stream: true });
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events[0]).toBe(`data: ${JSON.stringify(chunk('fine'))}`);
    expect(events[1]).toMatch(/^event: error\ndata: \{"error":\{"message":"The upstream sent an event larger than 1048576 bytes/);
    expect(events).toHaveLength(2);
    await expect.poll(() => up.aborted.has(b.apiKey)).toBe(true);
    expect(await ledger(b.id)).toMatchObject({ requests: 1, successes: 0, server_errors: 1 });
  });

  it('delivers characters split across chunks intact', async () => {
    const b = await brandWithKey();
    const bytes = Buffer.from(sse(chunk('hé€😀中')) + 'data: [DONE]\n\n');
    up.on(b.apiKey, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = () => (i < bytes.length ? (res.write(bytes.subarray(i, ++i)), setTimeout(next, 1)) : res.end());
      next();
    });
    const text = await (await chat(b.token, { stream: true })).text();
    expect(text).toBe(bytes.toString('utf8'));
    expect(text).not.toContain('\uFFFD');
  });

  it('reports a stream that outlives its lease, with its tokens and cost', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse(chunk('slow')));
      setTimeout(() => res.end(sse(usageChunk(1_000_000, 500_000)) + 'data: [DONE]\n\n'), 2500); // the lease lives 1 s
    });
    await (await chat(b.token, { stream: true })).text();
    expect(await ledger(b.id)).toMatchObject({ requests: 1, successes: 1, prompt_tokens: 1_000_000, completion_tokens: 500_000, cost_usd: '2' });
    expect((await keyRow(b.id)).spend_today).toBe('2');
  });

  it('redacts the key from a streamed answer that echoes it', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(chunk(`your key is ${b.apiKey}`)) + 'data: [DONE]\n\n');
    });
    const text = await (await chat(b.token, { stream: true })).text();
    expect(text).not.toContain(b.apiKey);
    expect(text).toContain('your key is [redacted]');
  });
});

describe('plain answers', () => {
  it('answers 504 when the body is still trickling at the deadline, and cancels the upstream', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = JSON.stringify({ id: 'x', choices: [] });
      let i = 0;
      const timer = setInterval(() => (i < body.length ? res.write(body[i++]) : (clearInterval(timer), res.end())), 200);
      res.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const res = await chat(b.token, {});
    expect(res.status).toBe(504);
    expect((await res.json()).error.message).toMatch(/^The groq upstream did not answer in time/);
    expect(performance.now() - started).toBeLessThan(200 * 24); // long before the trickle would have ended
    await expect.poll(() => up.aborted.has(b.apiKey)).toBe(true);
    expect(await ledger(b.id)).toMatchObject({ requests: 1, timeouts: 1 });
  });

  it('passes a redirect back as the caller\'s outcome, not a failure of the key', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => void res.writeHead(302, { location: 'https://elsewhere.example/', 'content-type': 'application/json' }).end('{}'));
    const res = await chat(b.token, {});
    expect(res.status).toBe(302);
    expect(await ledger(b.id)).toMatchObject({ requests: 1, client_errors: 1, server_errors: 0 });
    expect(await keyRow(b.id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0 });
  });

  it('reports a failure whose long body ends mid-character at the report\'s 16 KiB cut (the cut stays within it)', async () => {
    const b = await brandWithKey();
    // 16,383 bytes of ASCII, then two-byte characters: the 16,384th byte is the first half of one.
    const head = '{"error":{"message":"';
    const body = `${head}${'x'.repeat(16_383 - head.length)}${'é'.repeat(200)}"}}`;
    up.on(b.apiKey, (_req, res) => void res.writeHead(500, { 'content-type': 'application/json' }).end(body));
    expect((await chat(b.token, {})).status).toBe(500);
    expect(await ledger(b.id)).toMatchObject({ requests: 1, server_errors: 1 });
  });

  it('redacts the key from a 2xx answer that echoes it', async () => {
    const b = await brandWithKey();
    up.on(b.apiKey, (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', choices: [{ message: { content: `key ${b.apiKey}` } }] })));
    const res = await chat(b.token, {});
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(b.apiKey);
    expect(JSON.parse(text).choices[0].message.content).toBe('key [redacted]');
  });
});

describe('brand-configured upstreams inside the operator\'s network', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await createTestApp({ config: { allowedUpstreams: { hosts: [], cidrs: [] } } });
  });
  afterAll(() => strict?.close());

  async function customProvider(app: TestApp, baseUrl: string) {
    const brand = await app.createBrand(`inside ${++seq}`);
    const name = `inside${seq}`;
    await app.app.services.providers.createProvider(brand.brandId, name, { customProviderConfig: { base_provider_type: 'openai' }, networkConfig: { base_url: baseUrl } } as never);
    const apiKey = `sk-inside-${seq}-${'i'.repeat(16)}`;
    await app.app.services.integrations.createIntegration(brand.brandId, { providerName: name, credentials: { api_key: apiKey } });
    up.on(apiKey, (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', choices: [] })));
    return { brand, name };
  }

  it.each([['a loopback address', () => up.origin], ['a name that resolves to loopback', () => up.origin.replace('127.0.0.1', 'localhost')], ['a private address', () => 'http://10.255.255.1:9'], ['a CGNAT address', () => 'http://100.64.0.1:9']])(
    'refuses %s by default, without calling it',
    async (_case, url) => {
      const { brand, name } = await customProvider(strict, url());
      const res = await fetch(`${strict.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${brand.token}` }, body: JSON.stringify({ model: `${name}/m`, messages: [] }) });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toBe(`The ${name} upstream resolves to a loopback or private address, which the gateway calls only for hosts the operator allows (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS)`);
    },
  );

  it('calls them when the operator allow-lists the host or its network', async () => {
    for (const allowed of [{ hosts: ['localhost'], cidrs: [] }, { hosts: [], cidrs: ['127.0.0.0/8', '::1'] }]) {
      const open = await createTestApp({ config: { allowedUpstreams: allowed } });
      try {
        const { brand, name } = await customProvider(open, up.origin.replace('127.0.0.1', 'localhost'));
        const res = await fetch(`${open.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${brand.token}` }, body: JSON.stringify({ model: `${name}/m`, messages: [] }) });
        expect(res.status).toBe(200);
      } finally {
        await open.close();
      }
    }
  });

  it('refuses a billing API on a loopback address unless it is allowed, and says so on the key', async () => {
    const billed = await createTestApp({ config: { allowedUpstreams: { hosts: [], cidrs: [] }, billing: { ...t.config.billing, openrouterUrl: up.origin } } });
    try {
      const brand = await billed.createBrand('billing');
      const key = await billed.app.services.integrations.createIntegration(brand.brandId, { providerName: 'openrouter', credentials: { api_key: 'sk-or-v1-inside-0123456789' } });
      const view = await billed.app.services.billing.syncNow(brand.brandId, key.id);
      expect(view.billingError).toBe('OpenRouter billing is at a loopback or private address, which keypool calls only when the operator allows it (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS)');
    } finally {
      await billed.close();
    }
  });
});
