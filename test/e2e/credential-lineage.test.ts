/**
 * Credentials made by credentials: they expire no later than their maker and are revoked with it,
 * the whole line below. And bad secrets: a few are free, then every attempt for that credential
 * (or from that address) waits, doubling, answered 429 with Retry-After; the right secret works
 * again once the wait is over. REST, GraphQL and WebSocket alike, counted in /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { basicAuth, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

const clock = new ManualClock('2026-05-01T10:00:00Z');
let t: TestApp;
const logLines: string[] = [];
let brand: { brandId: string; token: string };
let nodeId: string;

type Issued = { id: string; api_key: string; secret: string; expires_at: string | null };
const listWith = (authorization: string) => t.rest('GET', '/api/v1/integrations', { headers: { authorization } });

async function issue(body: Record<string, unknown>, authorization = `Bearer ${brand.token}`) {
  return t.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name: `c-${Math.random()}`, ...body }, headers: { authorization } });
}

beforeAll(async () => {
  t = await createTestApp({ clock, logLines, config: { logLevel: 'error' } });
  brand = await t.createBrand('Lineage');
  nodeId = (await t.rest('POST', '/api/v1/nodes', { body: { name: 'lineage' }, token: brand.token })).body.node.id;
});
afterAll(() => t.close());

describe('a credential made by a credential', () => {
  it('expires no later than its maker: at its maker\'s expiry when it names none, refused when it names a later one', async () => {
    const maker = (await issue({ permissions: ['nodes.write', 'integrations.read'], expires_at: '2026-06-01T00:00:00Z' })).body as Issued;
    const inherits = await issue({ permissions: ['integrations.read'] }, basicAuth(maker));
    expect(inherits).toMatchObject({ status: 201, body: { expires_at: '2026-06-01T00:00:00Z' } });
    const sooner = await issue({ permissions: ['integrations.read'], expires_at: '2026-05-15T00:00:00Z' }, basicAuth(maker));
    expect(sooner).toMatchObject({ status: 201, body: { expires_at: '2026-05-15T00:00:00Z' } });
    const later = await issue({ permissions: ['integrations.read'], expires_at: '2026-07-01T00:00:00Z' }, basicAuth(maker));
    expect(later).toMatchObject({ status: 400, body: { error: 'expires_at must not be later than the expiry of the credential creating it (2026-06-01T00:00:00Z)' } });
    // A node token made from the maker hands on the maker's own expiry, not the token's.
    const { token } = (await t.rest('POST', '/api/v1/auth/token', { headers: { authorization: basicAuth(maker) } })).body;
    expect(await issue({ permissions: ['integrations.read'] }, `Bearer ${token}`)).toMatchObject({ status: 201, body: { expires_at: '2026-06-01T00:00:00Z' } });
  });

  it('is revoked with its maker, and so is everything made below it, sockets included', async () => {
    const maker = (await issue({ permissions: ['nodes.write', 'integrations.read', 'events.subscribe'] })).body as Issued;
    const child = (await issue({ permissions: ['nodes.write', 'integrations.read', 'events.subscribe'] }, basicAuth(maker))).body as Issued;
    const grandchild = (await issue({ permissions: ['integrations.read', 'events.subscribe'] }, basicAuth(child))).body as Issued;
    const sibling = (await issue({ permissions: ['integrations.read'] })).body as Issued; // made by the brand: not in the line
    expect((await listWith(basicAuth(grandchild))).status).toBe(200);
    const socket = await openSocket(t.url, basicAuth(grandchild));
    expect((await t.rest('DELETE', `/api/v1/nodes/${nodeId}/integrations/${maker.id}`, { token: brand.token })).status, logLines.join('')).toBe(200);
    expect((await listWith(basicAuth(child))).status).toBe(401);
    expect((await listWith(basicAuth(grandchild))).status).toBe(401);
    expect((await listWith(basicAuth(sibling))).status).toBe(200);
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: credential has been revoked' });
    const listed = (await t.rest('GET', `/api/v1/nodes/${nodeId}/integrations`, { token: brand.token })).body.integrations as { id: string; revoked_at: string | null }[];
    for (const c of [maker, child, grandchild]) expect(listed.find((l) => l.id === c.id)?.revoked_at).not.toBeNull();
  });
});

describe('bad secrets', () => {
  const wrong = (c: Issued) => ({ ...c, secret: `${c.secret}x` });

  it('are free five times, then every attempt waits (1 s, doubling), the right secret too; after the wait it works', async () => {
    const c = (await issue({ permissions: ['integrations.read'] })).body as Issued;
    for (let i = 0; i < 5; i++) expect((await listWith(basicAuth(wrong(c)))).status).toBe(401);
    const sixth = await listWith(basicAuth(wrong(c)));
    expect(sixth.status).toBe(401); // the sixth failure closes the credential for 1 s
    const refused = await listWith(basicAuth(c));
    expect(refused).toMatchObject({ status: 429, body: { success: false, error: 'Too many failed attempts for this credential or address: try again in 1 s', retry_after_seconds: 1 } });
    expect(refused.headers.get('retry-after')).toBe('1');
    clock.advance(1000);
    expect((await listWith(basicAuth(wrong(c)))).status).toBe(401); // the seventh: 2 s
    expect((await listWith(basicAuth(c))).headers.get('retry-after')).toBe('2');
    clock.advance(2000);
    expect((await listWith(basicAuth(c))).status).toBe(200); // the wait is over: the right secret works, and clears the count
    expect((await listWith(basicAuth(wrong(c)))).status).toBe(401);
    expect((await listWith(basicAuth(c))).status).toBe(200);
  });

  it('are counted per client address too, across credentials, and refused in GraphQL and WebSocket terms', async () => {
    clock.advance(16 * 60_000); // the failures above are forgotten after a quiet quarter of an hour
    const good = (await issue({ permissions: ['integrations.read', 'events.subscribe'] })).body as Issued;
    for (let i = 0; i < 21; i++) {
      const stranger = (await issue({ permissions: [] })).body as Issued; // a different credential each time
      expect((await listWith(basicAuth(wrong(stranger)))).status).toBe(401);
    }
    expect((await listWith(basicAuth(good))).status).toBe(429); // this address is closed for now
    const gql = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicAuth(good) }, body: JSON.stringify({ query: '{ integrations { total } }' }) });
    expect(gql.status).toBe(429);
    expect(gql.headers.get('retry-after')).toBe('1');
    expect((await gql.json()).errors[0]).toMatchObject({ message: 'Too many failed attempts for this credential or address: try again in 1 s', extensions: { code: 'TOO_MANY_FAILED_ATTEMPTS', retryAfterSeconds: 1 } });
    const socket = await openSocket(t.url, basicAuth(good));
    expect(await socket.closed).toEqual({ code: 4429, reason: 'Too many failed attempts: too many failed attempts for this credential or address: try again in 1 s' });
    clock.advance(1000);
    expect((await listWith(basicAuth(good))).status).toBe(200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(Number(/^keypool_auth_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(21);
    expect(Number(/^keypool_auth_throttled_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
