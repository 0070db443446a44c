/**
 * docs/api/node-integrations-create.md, status by status, and the credential's life around it:
 * Basic authentication, list, roll with a grace period, revoke, verify, node tokens, attribution.
 * The secret is in the create/roll answer and nowhere else: not in reads, logs or the database.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const clock = new ManualClock('2026-03-01T12:00:00Z');
const logLines: string[] = [];
let t: TestApp;
let brand: { brandId: string; token: string };
let other: { brandId: string; token: string };
let nodeId: string;

const basic = (apiKey: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${apiKey}:${secret}`).toString('base64')}` });

async function createNode(name: string, token = brand.token): Promise<string> {
  const res = await t.rest('POST', '/api/v1/nodes', { body: { name }, token });
  expect(res.status).toBe(201);
  return res.body.node.id;
}

async function createCredential(body: Record<string, unknown>, token = brand.token) {
  return t.rest('POST', '/api/v1/integrations', { body, token });
}

beforeAll(async () => {
  t = await createTestApp({ clock, logLines, config: { logLevel: 'trace' } });
  brand = await t.createBrand('Nodes');
  other = await t.createBrand('Other');
  nodeId = await createNode('payments-service');
});
afterAll(() => t.close());

describe('POST /api/v1/integrations with node_id (the document)', () => {
  it('answers 201 with the documented flat body: the secret shown once', async () => {
    const res = await createCredential({ node_id: nodeId, name: 'Production API', permissions: ['payments.read', 'payments.create'], expires_at: '2026-12-31T23:59:59Z' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['id', 'node_id', 'name', 'api_key', 'secret', 'permissions', 'expires_at', 'created_at']);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      node_id: nodeId,
      name: 'Production API',
      api_key: expect.stringMatching(/^kpn_[0-9A-Za-z]{28}$/),
      secret: expect.stringMatching(/^kps_[A-Za-z0-9_-]{43}$/),
      permissions: ['payments.read', 'payments.create'],
      expires_at: '2026-12-31T23:59:59Z',
      created_at: '2026-03-01T12:00:00Z',
    });
    const minimal = await createCredential({ node_id: nodeId, name: 'Minimal' });
    expect(minimal.body).toMatchObject({ permissions: [], expires_at: null });
  });

  it.each([
    ['node_id not a UUID', { node_id: 'node-1', name: 'x' }, 'node_id must be a UUID'],
    ['name missing', { node_id: '550e8400-e29b-41d4-a716-446655440000' }, 'name is required'],
    ['name empty', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: '' }, 'name must be 1 to 255 characters'],
    ['name over 255 characters', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'n'.repeat(256) }, 'name must be 1 to 255 characters'],
    ['permissions not an array', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', permissions: 'payments.read' }, 'permissions must be an array of strings'],
    ['a permission that is not dotted', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', permissions: ['Payments'] }, /^permissions entry 1 is not a permission/],
    ['expires_at not ISO 8601', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', expires_at: 'next week' }, 'expires_at must be an ISO 8601 date-time, e.g. "2026-12-31T23:59:59Z"'],
    ['expires_at in the past', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', expires_at: '2026-02-01T00:00:00Z' }, 'expires_at must be in the future'],
    ['an unknown field', { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', scopes: [] }, /^Unknown field: scopes/],
  ])('answers 400 naming the field for %s', async (_case, body, message) => {
    const res = await createCredential(body);
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    if (typeof message === 'string') expect(res.body.error).toBe(message);
    else expect(res.body.error).toMatch(message);
  });

  it('answers 401 without a token, 404 for a missing node and for another brand\'s, 409 for a live name twice', async () => {
    expect((await t.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name: 'x' } })).status).toBe(401);
    expect(await createCredential({ node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x' })).toMatchObject({ status: 404, body: { success: false, error: 'Node not found' } });
    expect(await createCredential({ node_id: nodeId, name: 'x' }, other.token)).toMatchObject({ status: 404, body: { error: 'Node not found' } });
    expect((await createCredential({ node_id: nodeId, name: 'Twice' })).status).toBe(201);
    expect(await createCredential({ node_id: nodeId, name: 'Twice' })).toMatchObject({ status: 409, body: { success: false, error: 'API key already exists for this node' } });
  });

  it('gives exactly one 201 to 100 concurrent creates of one name', async () => {
    const node = await createNode('racing');
    const results = await Promise.all(Array.from({ length: 100 }, () => createCredential({ node_id: node, name: 'same' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(99);
  });
});

describe('authenticating with a node credential', () => {
  it('works as HTTP Basic on REST and GraphQL, with one 401 message for every kind of wrong', async () => {
    const created = (await createCredential({ node_id: nodeId, name: 'reader', permissions: ['integrations.read'] })).body;
    const ok = await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) });
    expect(ok.status).toBe(200);
    const gql = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...basic(created.api_key, created.secret) }, body: JSON.stringify({ query: '{ integrations { total } }' }) });
    expect(await gql.json()).toEqual({ data: { integrations: { total: 0 } } });

    const wrong = [basic(created.api_key, `${created.secret}x`), basic('kpn_unknownunknownunknownunknown', created.secret), basic(created.api_key.slice(0, -1), created.secret)];
    for (const headers of wrong) {
      expect(await t.rest('GET', '/api/v1/integrations', { headers })).toMatchObject({ status: 401, body: { success: false, error: 'Invalid API key or secret' } });
    }
    expect(await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_x_0123456789' } }, headers: basic(created.api_key, created.secret) }))
      .toMatchObject({ status: 403, body: { success: false, error: 'Forbidden: needs integrations.write' } });
  });

  it('refuses an expired credential with the same 401', async () => {
    const created = (await createCredential({ node_id: nodeId, name: 'short-lived', permissions: ['*'], expires_at: '2026-03-01T13:00:00Z' })).body;
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) })).status).toBe(200);
    clock.set('2026-03-01T13:00:01Z');
    try {
      expect(await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) })).toMatchObject({ status: 401, body: { error: 'Invalid API key or secret' } });
    } finally {
      clock.set('2026-03-01T12:00:00Z');
    }
  });

  it('exchanges Basic for a short-lived node token carrying the permissions', async () => {
    const created = (await createCredential({ node_id: nodeId, name: 'dashboard', permissions: ['integrations.read', 'events.subscribe'] })).body;
    const issued = await t.rest('POST', '/api/v1/auth/token', { headers: basic(created.api_key, created.secret) });
    expect(issued).toMatchObject({ status: 200, body: { token: expect.any(String), expires_at: '2026-03-01T12:15:00Z' } });
    expect((await t.rest('GET', '/api/v1/integrations', { token: issued.body.token })).status).toBe(200);
    expect(await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token: issued.body.token })).toMatchObject({ status: 403, body: { error: 'Forbidden: needs integrations.lease' } });
    expect(await t.rest('POST', '/api/v1/auth/token', { token: brand.token })).toMatchObject({ status: 401, body: { error: 'Send the node credential as Authorization: Basic <base64 of api_key:secret>' } });
    await t.rest('DELETE', `/api/v1/nodes/${nodeId}/integrations/${created.id}`, { token: brand.token });
    expect((await t.rest('GET', '/api/v1/integrations', { token: issued.body.token })).status).toBe(401);
  });
});

describe('managing credentials', () => {
  it('lists a node\'s credentials without secrets, rolls with a grace period and revokes', async () => {
    const node = await createNode('rollable');
    const created = (await createCredential({ node_id: node, name: 'worker', permissions: ['integrations.read'] })).body;
    const listed = await t.rest('GET', `/api/v1/nodes/${node}/integrations`, { token: brand.token });
    expect(listed.body.integrations).toEqual([{ id: created.id, node_id: node, name: 'worker', api_key: created.api_key, permissions: ['integrations.read'], expires_at: null, created_at: '2026-03-01T12:00:00Z', last_used_at: null, revoked_at: null }]);

    const rolled = await t.rest('POST', `/api/v1/nodes/${node}/integrations/${created.id}/roll`, { body: { grace_seconds: 60 }, token: brand.token });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ id: created.id, api_key: created.api_key, secret: expect.stringMatching(/^kps_/) });
    expect(rolled.body.secret).not.toBe(created.secret);
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, rolled.body.secret) })).status).toBe(200);
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) })).status).toBe(200);
    clock.advance(61_000);
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) })).status).toBe(401);
    clock.set('2026-03-01T12:00:00Z');

    const revoked = await t.rest('DELETE', `/api/v1/nodes/${node}/integrations/${created.id}`, { token: brand.token });
    expect(revoked).toMatchObject({ status: 200, body: { success: true, integration: { id: created.id, revoked_at: '2026-03-01T12:00:00Z' } } });
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, rolled.body.secret) })).status).toBe(401);
    expect(await t.rest('POST', `/api/v1/nodes/${node}/integrations/${created.id}/roll`, { token: brand.token })).toMatchObject({ status: 404 });
    expect(await t.rest('POST', `/api/v1/nodes/${node}/integrations/${created.id}/roll`, { body: { grace_seconds: -1 }, token: brand.token }))
      .toMatchObject({ status: 400, body: { error: 'grace_seconds must be a whole number from 0 to 2592000' } });
  });

  it('never lets a credential create or roll a credential with more than it holds', async () => {
    const manager = (await createCredential({ node_id: nodeId, name: 'manager', permissions: ['nodes.*', 'integrations.read'] })).body;
    const asManager = basic(manager.api_key, manager.secret);
    expect(await t.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name: 'escalated', permissions: ['integrations.write'] }, headers: asManager }))
      .toMatchObject({ status: 403, body: { error: 'Forbidden: needs integrations.write to grant it' } });
    const granted = await t.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name: 'subset', permissions: ['integrations.read', 'nodes.read'] }, headers: asManager });
    expect(granted.status).toBe(201);
    const wide = (await createCredential({ node_id: nodeId, name: 'wide', permissions: ['*'] })).body;
    expect(await t.rest('POST', `/api/v1/nodes/${nodeId}/integrations/${wide.id}/roll`, { headers: asManager })).toMatchObject({ status: 403, body: { error: 'Forbidden: needs * to roll a credential that holds it' } });
  });
});

describe('verify', () => {
  it('answers each code, and only the caller\'s brand\'s credentials verify', async () => {
    const created = (await createCredential({ node_id: nodeId, name: 'to-verify', permissions: ['payments.read'], expires_at: '2026-06-01T00:00:00Z' })).body;
    const verify = (body: Record<string, unknown>, token = brand.token) => t.rest('POST', '/api/v1/integrations/verify', { body, token });
    const facts = { node_id: nodeId, credential_id: created.id, permissions: ['payments.read'], expires_at: '2026-06-01T00:00:00Z' };
    expect((await verify({ api_key: created.api_key, secret: created.secret })).body).toEqual({ valid: true, code: 'VALID', ...facts });
    expect((await verify({ api_key: created.api_key, secret: created.secret, permission: 'payments.read' })).body).toEqual({ valid: true, code: 'VALID', ...facts });
    expect((await verify({ api_key: created.api_key, secret: created.secret, permission: 'payments.refund' })).body).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS', ...facts });
    expect((await verify({ api_key: created.api_key, secret: 'wrong' })).body).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect((await verify({ api_key: created.api_key, secret: created.secret }, other.token)).body).toEqual({ valid: false, code: 'NOT_FOUND' });
    clock.set('2026-06-01T00:00:01Z');
    expect((await verify({ api_key: created.api_key, secret: created.secret })).body).toEqual({ valid: false, code: 'EXPIRED', ...facts });
    clock.set('2026-03-01T12:00:00Z');
    await t.rest('DELETE', `/api/v1/nodes/${nodeId}/integrations/${created.id}`, { token: brand.token });
    expect((await verify({ api_key: created.api_key, secret: created.secret })).body).toEqual({ valid: false, code: 'REVOKED', ...facts });
    expect(await verify({ secret: 'x' })).toMatchObject({ status: 400, body: { error: 'api_key is required' } });
  });
});

describe('nodes', () => {
  it('are a brand\'s own: CRUD in the v1 dialect, unique names, 404 for another brand\'s', async () => {
    const created = await t.rest('POST', '/api/v1/nodes', { body: { name: 'batch-workers', description: 'nightly jobs' }, token: brand.token });
    expect(created.body).toEqual({ success: true, node: { id: expect.any(String), name: 'batch-workers', description: 'nightly jobs', created_at: '2026-03-01T12:00:00Z', updated_at: '2026-03-01T12:00:00Z', usage: { leases: 0, failures: 0, spend_today: 0, spend_month: 0 } } });
    const id = created.body.node.id;
    expect(await t.rest('POST', '/api/v1/nodes', { body: { name: 'batch-workers' }, token: brand.token })).toMatchObject({ status: 409, body: { error: 'A node with this name already exists in this brand' } });
    expect((await t.rest('GET', `/api/v1/nodes/${id}`, { token: other.token })).status).toBe(404);
    expect((await t.rest('PATCH', `/api/v1/nodes/${id}`, { body: { description: 'nightly' }, token: brand.token })).body.node.description).toBe('nightly');
    const list = await t.rest('GET', '/api/v1/nodes?limit=2', { token: brand.token });
    expect(list.body).toMatchObject({ success: true, limit: 2, offset: 0, total: expect.any(Number) });
    const credential = (await createCredential({ node_id: id, name: 'c', permissions: ['*'] })).body;
    expect((await t.rest('DELETE', `/api/v1/nodes/${id}`, { token: brand.token })).status).toBe(200);
    expect((await t.rest('GET', '/api/v1/integrations', { headers: basic(credential.api_key, credential.secret) })).status).toBe(401);
    expect((await t.rest('GET', `/api/v1/nodes/${id}`, { token: brand.token })).status).toBe(404);
  });

  it('count the leases their credentials take, and a brand token may attribute a lease to one of its nodes', async () => {
    const node = await createNode('leasing');
    const credential = (await createCredential({ node_id: node, name: 'lease', permissions: ['integrations.lease'] })).body;
    await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'fireworks', credentials: { api_key: 'fw_attribution_0123456789' } }, token: brand.token });
    const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'fireworks' }, headers: basic(credential.api_key, credential.secret) });
    expect(lease.status).toBe(200);
    await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: lease.body.lease.lease_id, success: false, status_code: 503, cost_usd: 0.25 }, headers: basic(credential.api_key, credential.secret) });
    const byBrand = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'fireworks', node_id: node }, token: brand.token });
    await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: byBrand.body.lease.lease_id, success: true, cost_usd: 0.5 }, token: brand.token });
    expect((await t.rest('GET', `/api/v1/nodes/${node}`, { token: brand.token })).body.node.usage).toEqual({ leases: 2, failures: 1, spend_today: 0.75, spend_month: 0.75 });
    const foreign = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'fireworks', node_id: node }, token: other.token });
    expect(foreign).toMatchObject({ status: 404 });
    expect(await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'fireworks', node_id: nodeId }, headers: basic(credential.api_key, credential.secret) }))
      .toMatchObject({ status: 400, body: { error: 'node_id must be omitted: a node credential leases for its own node' } });
  });
});

describe('last_used_at', () => {
  it('is set on use and refreshed once a minute has passed', async () => {
    const node = await createNode('usage-clock');
    const created = (await createCredential({ node_id: node, name: 'clocked', permissions: ['integrations.read'] })).body;
    const lastUsed = async () => (await t.rest('GET', `/api/v1/nodes/${node}/integrations`, { token: brand.token })).body.integrations[0].last_used_at;
    const use = () => t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) });
    clock.set('2026-03-01T12:10:00Z');
    try {
      await use();
      await expect.poll(lastUsed).toBe('2026-03-01T12:10:00Z');
      clock.set('2026-03-01T12:11:10Z');
      await new Promise((r) => setTimeout(r, 5100)); // past the 5 s cache, so this use is verified (and noted) again
      await use();
      await expect.poll(lastUsed).toBe('2026-03-01T12:11:10Z');
    } finally {
      clock.set('2026-03-01T12:00:00Z');
    }
  });
});

describe('the secret', () => {
  it('is stored only as a hash and appears in no log line', async () => {
    const created = (await createCredential({ node_id: nodeId, name: 'secret-check', permissions: ['integrations.read'] })).body;
    await t.rest('GET', '/api/v1/integrations', { headers: basic(created.api_key, created.secret) });
    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('select * from node_credential where id = $1', [created.id]);
      expect(JSON.stringify(rows)).not.toContain(created.secret);
      expect(JSON.stringify(rows)).not.toContain(created.secret.slice(4));
      expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.end();
    }
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(created.secret);
    expect(logs).not.toContain(Buffer.from(`${created.api_key}:${created.secret}`).toString('base64'));
  });
});
