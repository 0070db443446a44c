import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres, type EmbeddedCluster } from '../../src/platform/db/embedded-postgres.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const dataDir = mkdtempSync(join(tmpdir(), 'keypool-ready-'));
let cluster: EmbeddedCluster;
let t: TestApp;

afterAll(async () => {
  await t?.close();
  await cluster?.stop();
});

describe('/readyz', () => {
  it('goes 503 while the database is down and back to 200 when it returns, without a restart', async () => {
    const port = await freePort();
    cluster = await startEmbeddedPostgres({ dataDir, password: 'ready', port });
    t = await createTestApp({ databaseUrl: cluster.url });
    expect((await t.rest('GET', '/readyz')).body).toEqual({ status: 'ready', database: 'up', events: 'listening' });
    expect((await t.rest('GET', '/healthz')).status).toBe(200);
    const { token } = await t.createBrand();

    await cluster.stop();
    const down = await t.rest('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', database: 'down', events: 'reconnecting' });
    expect((await t.rest('GET', '/healthz')).status).toBe(200);
    expect(await t.rest('GET', '/api/v1/integrations', { token })).toMatchObject({ status: 503, body: { success: false, error: 'The database is unavailable; retry shortly' } });
    expect(await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token })).toMatchObject({ status: 503 });
    const gql = await t.gql('{ integrations { total } }', {}, token);
    expect(gql.errors?.[0]).toMatchObject({ message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } });

    cluster = await startEmbeddedPostgres({ dataDir, password: 'ready', port });
    await expect.poll(async () => (await t.rest('GET', '/readyz')).body, { timeout: 10_000, interval: 200 }).toEqual({ status: 'ready', database: 'up', events: 'listening' });
    const brand = await t.gql('mutation { createBrand(input: { name: "after restart" }) { name } }', {}, t.adminToken);
    expect(brand.data).toEqual({ createBrand: { name: 'after restart' } });
  });
});
