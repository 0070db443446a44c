/**
 * A rolled secret ends everything made with it, on every instance: node tokens exchanged for it
 * stop at once (or with its grace period), and sockets opened with it close (4403) when it stops
 * being valid, within a second. Two instances on one database, on the real clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

let a: TestApp;
let b: TestApp;
let brand: { brandId: string; token: string };
let nodeId: string;

const status = async (t: TestApp, authorization: string) => (await t.rest('GET', '/api/v1/integrations', { headers: { authorization } })).status;

beforeAll(async () => {
  a = await createTestApp();
  b = await createPeerApp(a);
  brand = await a.createBrand('Rolling');
  nodeId = (await a.rest('POST', '/api/v1/nodes', { body: { name: 'rolling' }, token: brand.token })).body.node.id;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

async function credential(name: string) {
  const res = await a.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name, permissions: ['integrations.read', 'events.subscribe'] }, token: brand.token });
  expect(res.status).toBe(201);
  return res.body as { id: string; api_key: string; secret: string };
}

async function nodeToken(app: TestApp, c: { api_key: string; secret: string }) {
  const res = await app.rest('POST', '/api/v1/auth/token', { headers: { authorization: basicAuth(c) } });
  expect(res.status).toBe(200);
  return res.body as { token: string; expires_at: string };
}

const roll = async (id: string, graceSeconds: number) =>
  (await a.rest('POST', `/api/v1/nodes/${nodeId}/integrations/${id}/roll`, { body: { grace_seconds: graceSeconds }, token: brand.token })).body as { secret: string };

describe('a node token', () => {
  it('stops on every instance the moment the secret it was exchanged for is rolled', async () => {
    const c = await credential('token, no grace');
    const { token } = await nodeToken(a, c);
    expect(await status(b, `Bearer ${token}`)).toBe(200);
    const socket = await openSocket(b.url, `Bearer ${token}`);
    const rolled = await roll(c.id, 0);
    await expect.poll(() => status(b, `Bearer ${token}`), { timeout: 1000, interval: 20 }).toBe(401);
    expect(await status(a, `Bearer ${token}`)).toBe(401);
    expect((await b.rest('GET', '/api/v1/integrations', { token })).body.error).toBe('Invalid client token: the secret this token was issued for has been rolled');
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: the secret this token was issued for has been rolled' });
    // A token exchanged for the new secret works.
    expect(await status(b, `Bearer ${(await nodeToken(b, { api_key: c.api_key, secret: rolled.secret })).token}`)).toBe(200);
  });

  it('lasts no longer than the grace period of the secret it was exchanged for', async () => {
    const c = await credential('token, grace');
    const before = await nodeToken(a, c);
    await roll(c.id, 2);
    const graceEnd = Date.now() + 2000;
    expect(await status(b, `Bearer ${before.token}`)).toBe(200); // within the grace period
    const during = await nodeToken(b, c); // the old secret, still in grace
    expect(Date.parse(during.expires_at)).toBeLessThanOrEqual(graceEnd + 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, graceEnd - Date.now()) + 100));
    expect(await status(b, `Bearer ${before.token}`)).toBe(401);
    expect(await status(a, `Bearer ${during.token}`)).toBe(401);
  });
});

describe('a socket opened with a secret', () => {
  it('closes on every instance within a second of the end of the rolled secret\'s grace period; one on the new secret stays', async () => {
    const c = await credential('socket, grace');
    const old = await openSocket(b.url, basicAuth(c));
    const rolled = await roll(c.id, 1);
    const graceEnd = Date.now() + 1000;
    const fresh = await openSocket(b.url, basicAuth({ api_key: c.api_key, secret: rolled.secret }));
    const closed = await Promise.race([old.closed, new Promise((r) => setTimeout(() => r('still open 3 s after the grace period began'), 3000))]);
    expect(closed).toEqual({ code: 4403, reason: 'Forbidden: invalid API key or secret' });
    expect(Date.now()).toBeGreaterThanOrEqual(graceEnd - 50);
    expect(Date.now()).toBeLessThan(graceEnd + 1000);
    expect(fresh.ws.readyState).toBe(fresh.ws.OPEN);
    fresh.ws.close();
  });
});
