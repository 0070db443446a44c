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
    ['non-Bearer', async () => 'Basic abc', 'Invalid client token: Authorization header must be "Bearer <token>"'],
  ])('answers a %s token with 401 and the v1 error body', async (_kind, make, message) => {
    const value = await make();
    const res = await t.rest('GET', '/api/v1/integrations', value.startsWith('Basic') ? { headers: { authorization: value } } : { token: value });
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

  it('counts requests by route and status on /metrics', async () => {
    await t.rest('GET', '/api/v1/integrations', { token });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/keypool_http_requests_total\{method="GET",route="\/api\/v1\/integrations",status="200"\} \d+/);
    expect(text).toMatch(/^keypool_subscriptions_active 0$/m);
    expect(text).toMatch(/^keypool_websocket_connections 0$/m);
    expect(text).toMatch(/keypool_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/integrations",status="200"\}/);
  });

  it('answers unknown routes with a JSON 404 and malformed GraphQL bodies with a 400', async () => {
    expect(await t.rest('GET', '/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'route.not_found', message: 'Route not found: GET /nowhere' } } });
    const bad = await t.rest('POST', '/graphql', { rawBody: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/\n\s+at /);
  });
});
