import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres, type EmbeddedCluster } from '../../src/platform/db/embedded-postgres.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

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
    const node = await t.rest('POST', '/api/v1/nodes', { body: { name: 'readiness' }, token });
    const credential = await t.rest('POST', '/api/v1/integrations', { body: { node_id: node.body.node.id, name: 'r', permissions: ['*'] }, token });
    const basic = `Basic ${Buffer.from(`${credential.body.api_key}:${credential.body.secret}`).toString('base64')}`;

    await cluster.stop();
    const down = await t.rest('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', database: 'down', events: 'reconnecting' });
    expect((await t.rest('GET', '/healthz')).status).toBe(200);
    expect(await t.rest('GET', '/api/v1/integrations', { token })).toMatchObject({ status: 503, body: { success: false, error: 'The database is unavailable; retry shortly' } });
    expect(await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token })).toMatchObject({ status: 503 });
    const gql = await t.gql('{ integrations { total } }', {}, token);
    expect(gql.errors?.[0]).toMatchObject({ message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } });
    // A node credential not yet cached needs the database to be checked: 503 too, in each dialect.
    expect(await t.rest('GET', '/api/v1/integrations', { headers: { authorization: basic } })).toMatchObject({ status: 503, body: { success: false, error: 'The database is unavailable; retry shortly' } });
    const byBasic = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(byBasic.status).toBe(503);
    expect(await byBasic.json()).toMatchObject({ errors: [{ message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    const socket = await openSocket(t.url, basic);
    expect(await socket.closed).toEqual({ code: 1013, reason: 'The database is unavailable; retry shortly' });

    cluster = await startEmbeddedPostgres({ dataDir, password: 'ready', port });
    await expect.poll(async () => (await t.rest('GET', '/readyz')).body, { timeout: 10_000, interval: 200 }).toEqual({ status: 'ready', database: 'up', events: 'listening' });
    const brand = await t.gql('mutation { createBrand(input: { name: "after restart" }) { name } }', {}, t.adminToken);
    expect(brand.data).toEqual({ createBrand: { name: 'after restart' } });
  });

  it('answers a burst of probes with one database connection, not one each (it needs no token)', async () => {
    const app = await createTestApp();
    const admin = new pg.Client({ connectionString: app.databaseUrl });
    await admin.connect();
    try {
      const count = async (sql: string) => Number((await admin.query(sql)).rows[0].n);
      const backends = () => count("select count(*) as n from pg_stat_activity where datname = current_database() and backend_type = 'client backend'");
      // A backend's session is counted in pg_stat_database by the time it has left pg_stat_activity.
      const sessions = () => count('select sessions as n from pg_stat_database where datname = current_database()');
      const idle = await backends();
      const before = await sessions();
      const answers = await Promise.all(Array.from({ length: 40 }, () => app.rest('GET', '/readyz')));
      expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
      await expect.poll(backends, { timeout: 10_000, interval: 50 }).toBe(idle);
      expect(await sessions() - before).toBeLessThanOrEqual(4);
    } finally {
      await admin.end();
      await app.close();
    }
  });

  it('keeps running when a socket\'s credential expires while the database is down: the socket closes with 1013', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypool-expiry-down-'));
    const own = await startEmbeddedPostgres({ dataDir: dir, password: 'expiry', port: await freePort() });
    const app = await createTestApp({ databaseUrl: own.url });
    try {
      const { token } = await app.createBrand();
      const node = await app.rest('POST', '/api/v1/nodes', { body: { name: 'expiring' }, token });
      const expiresAt = new Date(Date.now() + 7000).toISOString();
      const credential = await app.rest('POST', '/api/v1/integrations', { body: { node_id: node.body.node.id, name: 'e', permissions: ['*'], expires_at: expiresAt }, token });
      const socket = await openSocket(app.url, `Basic ${Buffer.from(`${credential.body.api_key}:${credential.body.secret}`).toString('base64')}`);
      await own.stop();
      // The expiry timer re-checks the credential past its 5 s cache: the database is needed and away.
      expect(await socket.closed).toEqual({ code: 1013, reason: 'The database is unavailable; retry shortly' });
      expect((await app.rest('GET', '/healthz')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
