/** Credentials are stored only as Fernet tokens and never leave in a response, a log line or another column. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';
import { CredentialVault, rotateEncryption } from '../../src/modules/keys/index.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const SECRET = 'sk-or-v1-plaintext-must-never-leak-0123456789';
const oldKey = FernetRing.generateKey();
let t: TestApp;
let token: string;
const logLines: string[] = [];

async function rows(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query('select * from integration order by id')).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  t = await createTestApp({ config: { encryptionKeys: [oldKey], logLevel: 'trace' }, logLines });
  ({ token } = await t.createBrand());
});
afterAll(() => t.close());

describe('credentials at rest', () => {
  it('stores a Fernet token, and plaintext appears in no column, response or log line', async () => {
    const created = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'openrouter', credentials: { api_key: SECRET } }, token });
    const listed = await t.rest('GET', '/api/v1/integrations', { token });
    const gql = await t.gql('{ integrations { items { keyPreview } } }', {}, token);
    const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'openrouter' }, token });
    expect(lease.body.lease.credentials).toEqual({ api_key: SECRET });
    await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: lease.body.lease.lease_id, success: false, status_code: 500 }, token });
    const [row] = await rows(t.databaseUrl);
    expect(String(row.credentials_encrypted)).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
    expect(new FernetRing([oldKey]).decrypt(String(row.credentials_encrypted))).toBe(JSON.stringify({ api_key: SECRET }));
    for (const text of [JSON.stringify(row), JSON.stringify(created.body), JSON.stringify(listed.body), JSON.stringify(gql), logLines.join('\n')]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('plaintext-must-never-leak');
    }
    expect(logLines.length).toBeGreaterThan(0);
  });

  it('finds a duplicate by keyed fingerprint, never by plaintext', async () => {
    const [row] = await rows(t.databaseUrl);
    expect(String(row.credential_fingerprint)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'openrouter', credentials: { api_key: SECRET } }, token });
    expect(again.status).toBe(409);
  });

  it('gives exactly one 201 and nineteen 409s to twenty concurrent creates of one credential', async () => {
    const body = { provider_name: 'groq', credentials: { api_key: 'gsk_concurrent_0123456789' } };
    const results = await Promise.all(Array.from({ length: 20 }, () => t.rest('POST', '/api/v1/integrations', { body, token })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('rotates every row to the first key of the ring, and a second run changes nothing', async () => {
    const newKey = FernetRing.generateKey();
    const vault = new CredentialVault([newKey, oldKey]);
    const before = await rows(t.databaseUrl);
    const report = await rotateEncryption(t.app.sqlPool, vault, { batchSize: 1 });
    expect(report).toEqual({ scanned: before.length, changed: before.length });
    const after = await rows(t.databaseUrl);
    for (const row of after) {
      const { keyIndex } = new FernetRing([newKey, oldKey]).decryptWithIndex(String(row.credentials_encrypted));
      expect(keyIndex).toBe(0);
      expect(() => new FernetRing([oldKey]).decrypt(String(row.credentials_encrypted))).toThrow();
    }
    expect(after.map((r) => r.credential_fingerprint)).not.toEqual(before.map((r) => r.credential_fingerprint));
    expect(await rotateEncryption(t.app.sqlPool, vault)).toEqual({ scanned: before.length, changed: 0 });
  });
});
