/**
 * `*` is a whole last segment or nothing: a credential asking for `*.read` or `integrations.*.view`
 * is refused, and one that holds such a name (stored before the rule) is granted nothing by it.
 * A credential that holds wildcards never hands on more than they cover.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let brand: { brandId: string; token: string };
let nodeId: string;

const basicOf = (c: { api_key: string; secret: string }) => `Basic ${Buffer.from(`${c.api_key}:${c.secret}`).toString('base64')}`;

async function issue(permissions: string[], authorization = `Bearer ${brand.token}`) {
  return t.rest('POST', '/api/v1/integrations', { body: { node_id: nodeId, name: `c-${Math.random()}`, permissions }, headers: { authorization } });
}

/** A credential whose stored permissions are set behind the API's back, as one issued before the rule could be. */
async function storedWith(permissions: string[]): Promise<{ api_key: string; secret: string; id: string }> {
  const created = (await issue(['payments.read'])).body;
  const db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  try {
    await db.query('update node_credential set permissions = $1 where id = $2', [permissions, created.id]);
  } finally {
    await db.end();
  }
  return created;
}

beforeAll(async () => {
  // No credential cache between the stored change and the calls: each test uses a new credential.
  t = await createTestApp();
  brand = await t.createBrand('Wildcards');
  nodeId = (await t.rest('POST', '/api/v1/nodes', { body: { name: 'wild' }, token: brand.token })).body.node.id;
  await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_wildcards_0123456789' } }, token: brand.token });
});
afterAll(() => t.close());

describe('a "*" that is not a whole last segment', () => {
  it.each([['*.read'], ['integrations.*.view'], ['*.*'], ['payments.re*'], ['a.*b']])('is refused with a 400 naming %s', async (permission) => {
    const res = await issue(['payments.read', permission]);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(`permissions entry 2 ("${permission}") is not a permission: "*" may only be a whole last segment ("*", "integrations.*")`);
  });

  it('is accepted as "*" and as the last segment', async () => {
    expect((await issue(['*'])).status).toBe(201);
    expect((await issue(['integrations.*', 'payments.refunds.*'])).status).toBe(201);
  });

  it('grants nothing when a stored credential holds "*.read": no keys, nodes, credentials or leases', async () => {
    const wild = basicOf(await storedWith(['*.read']));
    const call = (method: string, path: string, body?: unknown) => t.rest(method, path, { body, headers: { authorization: wild } });
    expect(await call('POST', '/api/v1/nodes', { name: 'escalated' })).toMatchObject({ status: 403, body: { error: 'Forbidden: needs nodes.write' } });
    expect(await call('POST', '/api/v1/integrations', { provider_name: 'groq', credentials: { api_key: 'gsk_escalated_0123456789' } })).toMatchObject({ status: 403 });
    expect(await call('POST', '/api/v1/integrations', { node_id: nodeId, name: 'minted', permissions: ['*'] })).toMatchObject({ status: 403 });
    expect(await call('POST', '/api/v1/integrations/lease', { provider_name: 'groq' })).toMatchObject({ status: 403, body: { error: 'Forbidden: needs integrations.lease' } });
    expect(await call('GET', '/api/v1/integrations')).toMatchObject({ status: 403, body: { error: 'Forbidden: needs integrations.read' } });
    const gql = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: wild }, body: JSON.stringify({ query: 'mutation { leaseKey(input: { providerName: "groq" }) { credentials } }' }) });
    expect((await gql.json()).errors[0]).toMatchObject({ message: 'Forbidden: needs integrations.lease' });
  });

  it('grants nothing when a stored credential holds "integrations.*.view"', async () => {
    const wild = basicOf(await storedWith(['integrations.*.view']));
    const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_escalated_9876543210' } }, headers: { authorization: wild } });
    expect(res).toMatchObject({ status: 403, body: { error: 'Forbidden: needs integrations.write' } });
  });

  it('is not reported by verify as granting what it does not name', async () => {
    const wild = await storedWith(['*.read']);
    const verify = (permission: string) => t.rest('POST', '/api/v1/integrations/verify', { body: { api_key: wild.api_key, secret: wild.secret, permission }, token: brand.token });
    expect((await verify('payments.write')).body).toMatchObject({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
    expect((await verify('payments.read')).body).toMatchObject({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
  });
});

describe('a credential holding wildcards hands on no more than they cover', () => {
  it('mints what "integrations.*" covers, and refuses "*", another resource and a wider wildcard', async () => {
    const grantor = basicOf((await issue(['nodes.write', 'integrations.*'])).body);
    expect((await issue(['integrations.read', 'integrations.lease'], grantor)).status).toBe(201);
    expect((await issue(['integrations.*'], grantor)).status).toBe(201);
    expect(await issue(['*'], grantor)).toMatchObject({ status: 403, body: { error: 'Forbidden: needs * to grant it' } });
    expect(await issue(['nodes.read'], grantor)).toMatchObject({ status: 403, body: { error: 'Forbidden: needs nodes.read to grant it' } });
    expect(await issue(['nodes.*'], grantor)).toMatchObject({ status: 403, body: { error: 'Forbidden: needs nodes.* to grant it' } });
    expect(await issue(['payments.*'], grantor)).toMatchObject({ status: 403 });
  });

  it('rolls only credentials whose permissions it covers', async () => {
    const grantor = basicOf((await issue(['nodes.write', 'integrations.*'])).body);
    const narrow = (await issue(['integrations.read'])).body;
    const wide = (await issue(['*'])).body;
    const roll = (id: string) => t.rest('POST', `/api/v1/nodes/${nodeId}/integrations/${id}/roll`, { body: {}, headers: { authorization: grantor } });
    expect((await roll(narrow.id)).status).toBe(200);
    expect(await roll(wide.id)).toMatchObject({ status: 403, body: { error: 'Forbidden: needs * to roll a credential that holds it' } });
  });
});
