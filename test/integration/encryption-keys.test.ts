/**
 * A key ring that cannot read the stored credentials: start-up refuses it and says which key is
 * missing; a single unreadable credential at lease time is never counted, answers 503 with its own
 * code, and takes the key out of the pool with a reason and an event.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { FernetRing, keyId } from '../../src/platform/crypto/fernet-ring.js';
import { testConfig } from '../support/config.js';
import { collectEvents } from '../support/events.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const original = FernetRing.generateKey();
const stranger = FernetRing.generateKey();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ config: { encryptionKeys: [original] } });
});
afterAll(() => t.close());

describe('start-up with the wrong encryption keys', () => {
  it('refuses to start, naming the missing key and how to list the old one after the new one', async () => {
    const { token } = await t.createBrand();
    await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_canary_0123456789' } }, token });
    const config = testConfig({ databaseUrl: t.databaseUrl, encryptionKeys: [stranger], secretsFile: '/data/.keypool/secrets.json' });
    const starting = createApp({ config, databaseUrl: t.databaseUrl, logger: false });
    await expect(starting).rejects.toThrow(
      `KEYPOOL_ENCRYPTION_KEYS cannot decrypt the credentials stored in this database: they were encrypted with key ${keyId(original)}, which is not in the ring (it holds ${keyId(stranger)}). ` +
        'To change keys, list the new key first and the old one after it (KEYPOOL_ENCRYPTION_KEYS=<new>,<old>), start keypool, run `npm run keypool -- rotate-encryption`, then drop the old key. ' +
        'On the embedded default the key generated at first start is "encryptionKey" in /data/.keypool/secrets.json.',
    );
  });

  it('starts with the new key first and the old one after it', async () => {
    const app = await createApp({ config: testConfig({ databaseUrl: t.databaseUrl, encryptionKeys: [stranger, original] }), databaseUrl: t.databaseUrl, logger: false });
    await app.close();
  });
});

describe('a credential that cannot be decrypted at lease time', () => {
  it('is not counted, answers 503 CREDENTIAL_UNREADABLE, and takes the key out of the pool with an event', async () => {
    const { token, brandId } = await t.createBrand('Unreadable');
    const events = collectEvents(t);
    const created = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'mistral', credentials: { api_key: 'mistral-unreadable-0123456789' } }, token });
    const id = created.body.integration.id;
    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    await db.query('update integration set credentials_encrypted = $1 where id = $2', [new FernetRing([stranger]).encrypt('{"api_key":"x"}'), id]);
    await db.end();

    const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'mistral' }, token });
    expect(lease.status).toBe(503);
    expect(lease.body.error).toMatch(/^The credential of key #\d+ cannot be decrypted with the configured encryption keys: the key was taken out of the pool and this lease was not counted/);
    const gql = await t.gql<any, any>(`{ integration(id: ${id}) { healthStatus credentialError minuteCount dailyCount } }`, {}, token);
    expect(gql.data.integration).toEqual({ healthStatus: 'UNHEALTHY', credentialError: 'credential cannot be decrypted with the configured encryption keys', minuteCount: 0, dailyCount: 0 });
    const health = (await events.settled(brandId)).filter((e) => e.type === 'integration.health_changed');
    expect(health).toMatchObject([{ integration: { id }, status: 'unhealthy', reason: 'credential cannot be decrypted with the configured encryption keys' }]);

    const again = await t.gql('mutation { leaseKey(input: { providerName: "mistral" }) { leaseId } }', {}, token);
    expect(again.errors?.[0].extensions).toMatchObject({ code: 'NO_KEY_AVAILABLE', skipped: [{ integrationId: id, reason: 'credential_unreadable' }] });
  });
});
