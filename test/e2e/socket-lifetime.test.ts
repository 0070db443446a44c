/**
 * A WebSocket lives no longer than its token: expiry (by timer, and on the next message) and
 * revocation (on every instance) close it with 4403. Operations over a socket pass the same
 * limits as over HTTP; a socket holds a bounded number of operations and frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

const listeners = (t: TestApp) => (t.app.services.events as unknown as { listenerCount(): number }).listenerCount();
const HEALTH = 'subscription { integrationHealthChanged { status } }';

async function issue(t: TestApp, expiresInSeconds: number, label?: string) {
  const brand = await t.app.services.brands.createBrand('Sockets');
  const issued = await t.app.services.brands.issueClientToken(brand.id, expiresInSeconds, label);
  return { ...issued, brandId: brand.id };
}

describe('a socket whose token expires', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is closed with 4403 when the token expires, by a timer, ending its subscriptions', async () => {
    const { token } = await issue(t, 2);
    const socket = await openSocket(t.url, token);
    socket.subscribe('1', HEALTH);
    await expect.poll(() => listeners(t)).toBeGreaterThan(0);
    // No message is sent after subscribing: only the timer can close it.
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: token has expired' });
    await expect.poll(() => listeners(t)).toBe(0);
  });
});

describe('a socket on a manual clock', () => {
  const clock = new ManualClock('2026-05-01T10:00:00Z');
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  it('checks the token again on every subscribe message: queries and mutations included', async () => {
    const { token } = await issue(t, 60);
    const socket = await openSocket(t.url, token);
    socket.subscribe('q1', '{ integrations { total } }');
    expect((await socket.next((m) => m.id === 'q1' && m.type === 'next')).payload).toEqual({ data: { integrations: { total: 0 } } });
    clock.advance(61_000);
    socket.subscribe('m1', 'mutation { leaseKey(input: { providerName: "groq" }) { leaseId } }');
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: token has expired' });
    expect(socket.messages.some((m) => m.id === 'm1' && m.type === 'next')).toBe(false);
  });

  it('applies the HTTP operation limits, and bounds operations per socket and frame size', async () => {
    const { token } = await issue(t, 3600);
    const socket = await openSocket(t.url, token);
    socket.subscribe('aliases', `{ ${Array.from({ length: 16 }, (_, i) => `p${i}: providers { name }`).join(' ')} }`);
    const refused = await socket.next((m) => m.id === 'aliases' && m.type === 'error');
    expect(refused.payload[0].message).toBe('Operation has 16 aliases; at most 15 allowed (KEYPOOL_GRAPHQL_MAX_ALIASES)');
    for (let i = 0; i < 100; i++) socket.subscribe(`s${i}`, HEALTH);
    socket.subscribe('one-too-many', HEALTH);
    const tooMany = await socket.next((m) => m.id === 'one-too-many' && m.type === 'error');
    expect(tooMany.payload[0].message).toBe('Too many operations on this socket: at most 100 at once (KEYPOOL_WS_MAX_SUBSCRIPTIONS); complete one or open another socket');
    socket.ws.send(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: `{ __typename } #${'x'.repeat(70 * 1024)}` } }));
    expect((await socket.closed).code).toBe(1009);
  });
});

describe('revoking a client token', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp();
    b = await createPeerApp(a);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('lists issued tokens with their last use, and refuses a revoked one on every instance, sockets included', async () => {
    const { token, id, brandId } = await issue(a, 3600, 'worker pool');
    expect((await a.rest('GET', '/api/v1/integrations', { token })).status).toBe(200);
    const onA = await openSocket(a.url, token);
    const onB = await openSocket(b.url, token);

    const listed = await a.gql<any, any>(`{ clientTokens(brandId: "${brandId}") { id label lastUsedAt revokedAt } }`, {}, a.adminToken);
    expect(listed.data.clientTokens).toEqual([{ id, label: 'worker pool', lastUsedAt: expect.any(String), revokedAt: null }]);

    const revoked = await a.gql<any, any>(`mutation { revokeClientToken(id: "${id}") { id revokedAt } }`, {}, a.adminToken);
    expect(revoked.data.revokeClientToken).toEqual({ id, revokedAt: expect.any(String) });
    // Within a second on the other instance (the revocation travels by NOTIFY):
    await expect.poll(async () => (await b.rest('GET', '/api/v1/integrations', { token })).status, { timeout: 1000, interval: 20 }).toBe(401);
    expect(await onA.closed).toEqual({ code: 4403, reason: 'Forbidden: token has been revoked' });
    expect(await onB.closed).toEqual({ code: 4403, reason: 'Forbidden: token has been revoked' });
    expect((await a.rest('GET', '/api/v1/integrations', { token })).body).toEqual({ success: false, error: 'Invalid client token: token has been revoked' });
    const gql = await b.gql('{ integrations { total } }', {}, token);
    expect(gql).toMatchObject({ status: 401, errors: [{ message: 'Unauthenticated: token has been revoked' }] });

    const missing = await a.gql('mutation { revokeClientToken(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, a.adminToken);
    expect(missing.errors?.[0]).toMatchObject({ message: 'Client token not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('remembers revocations an instance missed: they are reloaded when it starts', async () => {
    const { token, id } = await issue(a, 3600);
    await a.app.services.brands.revokeClientToken(id);
    const c = await createPeerApp(a);
    try {
      expect((await c.rest('GET', '/api/v1/integrations', { token })).status).toBe(401);
    } finally {
      await c.close();
    }
  });
});
