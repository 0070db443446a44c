/** Several instances on one database behave as one, and delivery survives a database restart. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';
import { freePort, startEmbeddedPostgres, type EmbeddedCluster } from '../../src/platform/db/embedded-postgres.js';
import { IntegrationChangedDocument } from '../support/generated/graphql.js';
import { createTestDatabase, dropTestDatabase } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { subscribe, wsClient } from '../support/subscriber.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function api(url: string, token: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as any;
}

describe('events across instances', () => {
  it('delivers a change made through one server process to a subscriber of another', async () => {
    const databaseUrl = await createTestDatabase();
    const secrets = { KEYPOOL_ADMIN_TOKEN: 'instances-admin-token-0123', KEYPOOL_ENCRYPTION_KEYS: FernetRing.generateKey(), KEYPOOL_JWT_SECRET: 'i'.repeat(40) };
    const servers: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) servers.push(spawnServer({ DATABASE_URL: databaseUrl, PORT: String(await freePort()), ...secrets }));
    cleanups.push(async () => {
      servers.forEach((s) => s.child.kill('SIGTERM'));
      await Promise.all(servers.map((s) => s.exited));
      await dropTestDatabase(databaseUrl);
    });
    const [a, b] = await Promise.all(servers.map((s) => s.ready));
    const brand = await api(a, secrets.KEYPOOL_ADMIN_TOKEN, '/graphql', { query: 'mutation { createBrand(input: { name: "multi" }) { id } }' });
    const issued = await api(a, secrets.KEYPOOL_ADMIN_TOKEN, '/graphql', { query: `mutation { issueClientToken(input: { brandId: "${brand.data.createBrand.id}" }) { token } }` });
    const token = issued.data.issueClientToken.token;

    const client = wsClient(b, token);
    cleanups.push(() => client.dispose());
    const held = async () => /keypool_subscriptions_active 1\b/.test(await (await fetch(`${b}/metrics`)).text());
    const sub = await subscribe(client, IntegrationChangedDocument, {});
    await expect.poll(held, { timeout: 10_000, interval: 50 }).toBe(true);
    const created = await api(a, token, '/api/v1/integrations', { provider_name: 'groq', credentials: { api_key: 'gsk_across_0123456789' } });
    const [event] = await sub.waitFor(1);
    expect(event.integrationChanged).toMatchObject({ kind: 'CREATED', integration: { id: created.integration.id, providerName: 'groq' } });
  });
});

describe('event delivery and the database', () => {
  let cluster: EmbeddedCluster;
  let t: TestApp;

  it('publishes nothing for work that rolled back', async () => {
    t = await createTestApp();
    cleanups.push(() => t.close());
    const { token } = await t.createBrand();
    const client = wsClient(t.url, token);
    cleanups.push(() => client.dispose());
    const bus = t.app.services.events as unknown as { listenerCount(): number };
    const sub = await subscribe(client, IntegrationChangedDocument, {}, () => bus.listenerCount() > 0);
    // 20 concurrent creates of one credential: those that pass the duplicate check race to the
    // unique index, and every insert but one rolls back. One CREATED event, no more.
    const body = { provider_name: 'groq', credentials: { api_key: 'gsk_once_0123456789' } };
    const statuses = await Promise.all(Array.from({ length: 20 }, () => t.rest('POST', '/api/v1/integrations', { body, token }).then((r) => r.status)));
    expect(statuses.sort()).toEqual([201, ...Array(19).fill(409)]);
    expect((await t.rest('POST', '/api/v1/integrations', { body: { ...body, daily_limit: -1 }, token })).status).toBe(400);
    // A marker created afterwards arrives after every event of the work above (NOTIFY keeps commit order).
    const marker = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'ai21', credentials: { api_key: 'ai21-marker-0123456789' } }, token });
    const received = await sub.waitFor(2);
    expect(received.map((e) => e.integrationChanged.integration.providerName)).toEqual(['groq', 'ai21']);
    expect(marker.status).toBe(201);
  });

  it('reconnects LISTEN after the database restarts and resumes delivering, without a restart of the service', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keypool-events-'));
    const port = await freePort();
    cluster = await startEmbeddedPostgres({ dataDir, password: 'events', port });
    const app = await createTestApp({ databaseUrl: cluster.url });
    cleanups.push(async () => {
      await app.close();
      await cluster.stop();
    });
    const { token } = await app.createBrand();
    const client = wsClient(app.url, token);
    cleanups.push(() => client.dispose());
    const bus = app.app.services.events as unknown as { listenerCount(): number };
    const sub = await subscribe(client, IntegrationChangedDocument, {}, () => bus.listenerCount() > 0);

    await cluster.stop();
    expect((await app.rest('GET', '/readyz')).body).toMatchObject({ status: 'unavailable', events: 'reconnecting' });
    cluster = await startEmbeddedPostgres({ dataDir, password: 'events', port });
    await expect.poll(async () => (await app.rest('GET', '/readyz')).body.status, { timeout: 15_000, interval: 250 }).toBe('ready');

    await expect
      .poll(async () => (await app.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_restart_0123456789' } }, token })).status, { timeout: 10_000 })
      .toBe(201);
    const [event] = await sub.waitFor(1, 10_000);
    expect(event.integrationChanged.kind).toBe('CREATED');
  });
});
