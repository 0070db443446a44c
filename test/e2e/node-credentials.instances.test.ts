/**
 * Two instances on one database: a credential revoked, rolled or expired through one is refused
 * by the other within a second (its five-second cache is dropped by the event), open sockets
 * included. And the GraphQL twins of the credential routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { basicAuth, createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

const clock = new ManualClock('2026-04-01T08:00:00Z');
let a: TestApp;
let b: TestApp;
let brand: { brandId: string; token: string };
let nodeId: string;

const status = async (t: TestApp, authorization: string) => (await t.rest('GET', '/api/v1/integrations', { headers: { authorization } })).status;

beforeAll(async () => {
  a = await createTestApp({ clock });
  b = await createPeerApp(a, { clock });
  brand = await a.createBrand('Two instances');
  nodeId = (await a.rest('POST', '/api/v1/nodes', { body: { name: 'shared' }, token: brand.token })).body.node.id;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

async function credential(name: string, extra: Record<string, unknown> = {}) {
  const res = await a.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name, permissions: ['integrations.read', 'events.subscribe'], ...extra }, token: brand.token });
  expect(res.status).toBe(201);
  return res.body as { id: string; api_key: string; secret: string };
}

describe('a credential changed on one instance', () => {
  it('is refused by the other within a second once revoked, and its socket there closes', async () => {
    const c = await credential('revoked elsewhere');
    expect(await status(b, basicAuth(c))).toBe(200); // b has it cached now
    const socket = await openSocket(b.url, basicAuth(c));
    await a.rest('DELETE', `/api/v1/nodes/${nodeId}/integrations/${c.id}`, { token: brand.token });
    // Within a second, though b's cache would keep the credential for five:
    await expect.poll(() => status(b, basicAuth(c)), { timeout: 1000, interval: 20 }).toBe(401);
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: credential has been revoked' });
  });

  it('takes a rolled secret at once on the other instance; the old one ends with its grace period', async () => {
    const c = await credential('rolled elsewhere');
    expect(await status(b, basicAuth(c))).toBe(200);
    const socket = await openSocket(b.url, basicAuth(c));
    const rolled = (await a.rest('POST', `/api/v1/nodes/${nodeId}/integrations/${c.id}/roll`, { token: brand.token })).body;
    await expect.poll(() => status(b, basicAuth(c)), { timeout: 1000, interval: 20 }).toBe(401);
    expect(await status(b, basicAuth({ api_key: c.api_key, secret: rolled.secret }))).toBe(200);
    expect((await socket.closed).code).toBe(4403);
  });

  it('expires on every instance at its expires_at', async () => {
    const c = await credential('expiring', { expires_at: '2026-04-01T09:00:00Z' });
    expect(await status(b, basicAuth(c))).toBe(200);
    clock.set('2026-04-01T09:00:00Z');
    try {
      expect(await status(a, basicAuth(c))).toBe(401);
      expect(await status(b, basicAuth(c))).toBe(401);
    } finally {
      clock.set('2026-04-01T08:00:00Z');
    }
  });
});

describe('GraphQL', () => {
  it('creates a credential with its secret once, lists it on the node without, and verifies it', async () => {
    const created = await a.gql<any, any>(
      `mutation { createNodeCredential(input: { nodeId: "${nodeId}", name: "via graphql", permissions: ["payments.read"], expiresAt: "2026-12-31T00:00:00Z" }) { secret credential { id apiKey permissions expiresAt } } }`,
      {},
      brand.token,
    );
    const { secret, credential: c } = created.data.createNodeCredential;
    expect(c).toMatchObject({ apiKey: expect.stringMatching(/^kpn_/), permissions: ['payments.read'], expiresAt: '2026-12-31T00:00:00.000Z' });
    const node = await a.gql<any, any>(`{ node(id: "${nodeId}") { name usage { leases spendMonth } credentials { id apiKey } } }`, {}, brand.token);
    expect(node.data.node.credentials).toContainEqual({ id: c.id, apiKey: c.apiKey });
    expect(JSON.stringify(node)).not.toContain(secret);
    const verified = await b.gql<any, any>(`{ verifyNodeCredential(input: { apiKey: "${c.apiKey}", secret: "${secret}", permission: "payments.read" }) { valid code nodeId permissions } }`, {}, brand.token);
    expect(verified.data.verifyNodeCredential).toEqual({ valid: true, code: 'VALID', nodeId, permissions: ['payments.read'] });
    const rolled = await a.gql<any, any>(`mutation { rollNodeCredential(nodeId: "${nodeId}", id: "${c.id}", graceSeconds: 30) { secret } }`, {}, brand.token);
    expect(rolled.data.rollNodeCredential.secret).toMatch(/^kps_/);
    const revoked = await a.gql<any, any>(`mutation { revokeNodeCredential(nodeId: "${nodeId}", id: "${c.id}") { revokedAt } }`, {}, brand.token);
    expect(revoked.data.revokeNodeCredential.revokedAt).toBe('2026-04-01T08:00:00.000Z');
  });
});
