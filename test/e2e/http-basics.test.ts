/** One port serves everything; bad tokens of every kind get a 401 in the v1 body; metrics count requests. */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand());
});
afterAll(() => t.close());

const sign = (secret: string, claims: { sub: string; exp: number }) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setIssuer('keypool').setAudience('keypool:client')
    .setIssuedAt().setExpirationTime(claims.exp).sign(new TextEncoder().encode(secret));

describe('REST authentication failures', () => {
  it.each([
    ['expired', async () => sign(t.config.jwtSecrets[0], { sub: 'x', exp: Math.floor(Date.now() / 1000) - 10 }), 'Invalid client token: token has expired'],
    ['tampered', async () => {
      const [h, , s] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ sub: '00000000-0000-0000-0000-000000000000', iss: 'keypool', aud: 'keypool:client', exp: 9_999_999_999 })).toString('base64url');
      return `${h}.${payload}.${s}`;
    }, 'Invalid client token: token signature is invalid'],
    ['wrong-secret', async () => sign('a-different-secret-of-enough-length-000', { sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }), 'Invalid client token: token signature is invalid'],
    ['unknown-scheme', async () => 'Token abc', 'Invalid client token: Authorization header must be "Bearer <token>" or "Basic <base64 of api_key:secret>"'],
    ['malformed-Basic', async () => 'Basic abc', 'Invalid API key or secret'],
  ])('answers a %s token with 401 and the v1 error body', async (_kind, make, message) => {
    const value = await make();
    const res = await t.rest('GET', '/api/v1/integrations', /^(Basic|Token) /.test(value) ? { headers: { authorization: value } } : { token: value });
    expect(res).toMatchObject({ status: 401, body: { success: false, error: message } });
  });
});

describe('the one port', () => {
  it('serves the GraphQL IDE to a browser from its own page, with no external script or style', async () => {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('<title>keypool GraphiQL</title>');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
  });

  it('serves the IDE compressed, with an ETag, and answers a revalidation with 304', async () => {
    const { request } = await import('node:http');
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
        request(`${t.url}/graphql`, { headers }, (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes }));
        }).on('error', reject).end();
      });
    const plain = await get({ accept: 'text/html' });
    const br = await get({ accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' });
    const gzip = await get({ accept: 'text/html', 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': 'no-cache', etag: expect.any(String) });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.bytes).toBeLessThan(plain.bytes / 3);
    const again = await get({ accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    expect(again).toMatchObject({ status: 304, bytes: 0 });
  });

  it('compresses API responses for clients that accept it', async () => {
    for (let i = 0; i < 5; i++) {
      await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'together', credentials: { api_key: `together-compress-${i}-0123456789` }, key_label: `compressible ${i}` }, token });
    }
    const res = await fetch(`${t.url}/api/v1/integrations`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'br' } });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect((await res.json() as { total: number }).total).toBeGreaterThanOrEqual(5);
  });

  it('counts requests by route and status on /metrics', async () => {
    await t.rest('GET', '/api/v1/integrations', { token });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/keypool_http_requests_total\{method="GET",route="\/api\/v1\/integrations",status="200"\} \d+/);
    expect(text).toMatch(/^keypool_subscriptions_active 0$/m);
    expect(text).toMatch(/^keypool_websocket_connections 0$/m);
    expect(text).toMatch(/keypool_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/integrations",status="200"\}/);
  });

  it('answers a known URL asked with the wrong method with a 405 naming the right one, in the dialect\'s body', async () => {
    const v1 = await t.rest('GET', '/api/v1/auth/token');
    expect(v1).toMatchObject({ status: 405, body: { success: false, error: 'Method GET is not allowed here: use POST' } });
    expect(v1.headers.get('allow')).toBe('POST');
    const put = await t.rest('PUT', '/api/v1/integrations/1');
    expect(put).toMatchObject({ status: 405, body: { error: 'Method PUT is not allowed here: use GET or PATCH or DELETE' } });
    expect(put.headers.get('allow')).toBe('GET, PATCH, DELETE');
    const gateway = await t.rest('GET', '/v1/chat/completions');
    expect(gateway).toMatchObject({ status: 405, body: { error: { message: 'Method GET is not allowed here: use POST', type: 'invalid_request_error' } } });
    const bifrost = await t.rest('PATCH', '/api/providers/groq/keys/abc');
    expect(bifrost).toMatchObject({ status: 405, body: { is_bifrost_error: false, status_code: 405, error: { message: 'Method PATCH is not allowed here: use GET or PUT or DELETE' } } });
    expect((await t.rest('GET', '/api/v1/no-such-thing')).status).toBe(404);
  });

  it('has an icon at /favicon.ico', async () => {
    const res = await fetch(`${t.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg /);
  });

  it('answers unknown routes with a JSON 404 and malformed GraphQL bodies with a 400', async () => {
    expect(await t.rest('GET', '/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'route.not_found', message: 'Route not found: GET /nowhere' } } });
    const bad = await t.rest('POST', '/graphql', { rawBody: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/\n\s+at /);
    // In GraphQL's own response shape, which GraphQL clients read.
    expect(bad.body).toEqual({ errors: [{ message: expect.stringMatching(/^Malformed JSON body: /), extensions: { code: 'BAD_USER_INPUT' } }] });
    const deep = await t.rest('POST', '/graphql', { rawBody: `{"query": "{ __typename }", "variables": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}` });
    expect(deep).toMatchObject({ status: 400, body: { errors: [{ message: 'The JSON body nests deeper than 64 levels of objects and arrays', extensions: { code: 'BAD_USER_INPUT' } }] } });
  });
});

describe('/metrics with KEYPOOL_METRICS_TOKEN', () => {
  it('answers only the metrics token', async () => {
    const guarded = await createTestApp({ config: { metricsToken: 'metrics-token-0123456789' } });
    try {
      const anonymous = await fetch(`${guarded.url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toEqual({ error: { code: 'auth.unauthenticated', message: 'Missing or wrong metrics token: send Authorization: Bearer <KEYPOOL_METRICS_TOKEN>' } });
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${guarded.adminToken}` } })).status).toBe(401);
      const allowed = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('keypool_http_requests_total');
    } finally {
      await guarded.close();
    }
  });
});
