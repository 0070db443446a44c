import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';
import { createTestDatabase, dropTestDatabase } from '../support/databases.js';
import { spawnServer } from '../support/process.js';

const externalSecrets = {
  KEYPOOL_ADMIN_TOKEN: 'process-test-admin-token',
  KEYPOOL_ENCRYPTION_KEYS: FernetRing.generateKey(),
  KEYPOOL_JWT_SECRET: 'j'.repeat(40),
};

function openSubscriptionSocket(url: string, token: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (m) => {
      if (JSON.parse(String(m)).type === 'connection_ack') resolve({ ws, closed });
    });
    ws.on('error', reject);
  });
}

describe('the keypool process', () => {
  it('starts on embedded PostgreSQL, says where its secrets are, and shuts down gracefully on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keypool-proc-'));
    const server = spawnServer({ KEYPOOL_DATA_DIR: dataDir, PORT: String(await freePort()) });
    const url = await server.ready;
    expect(server.output()).toContain(`${dataDir}/secrets.json (mode 0600)`);
    expect(server.output()).toContain('/graphql');
    const { adminToken } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const { closed } = await openSubscriptionSocket(url, adminToken);
    const pidFile = join(dataDir, 'pg', 'postmaster.pid');
    expect(existsSync(pidFile)).toBe(true);

    // A request whose body is still arriving when SIGTERM lands is in flight:
    // it must still get its whole answer.
    const body = JSON.stringify({ query: '{ __typename }' });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // SIGTERM only once the server holds this request (its headers read, its body not yet whole):
      // in flight are this one and the /metrics request asking.
      const inFlight = async () => Number(/^keypool_http_requests_in_flight (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
      void expect.poll(inFlight, { timeout: 10_000, interval: 20 }).toBe(2).then(async () => {
        server.child.kill('SIGTERM');
        await expect.poll(() => server.output()).toContain('SIGTERM received, shutting down');
        req.end(body.slice(10));
      }, reject);
    });
    expect(await answer).toEqual({ status: 200, text: JSON.stringify({ data: { __typename: 'Query' } }) + '\n' });
    expect(await closed).toBe(1001);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(pidFile)).toBe(false);
  });

  it('uses the server DATABASE_URL names when it is set', async () => {
    const databaseUrl = await createTestDatabase();
    try {
      const server = spawnServer({ DATABASE_URL: databaseUrl, PORT: String(await freePort()), ...externalSecrets });
      const url = await server.ready;
      expect(server.output()).toContain('database: DATABASE_URL');
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${externalSecrets.KEYPOOL_ADMIN_TOKEN}` },
        body: JSON.stringify({ query: 'mutation { createBrand(input: { name: "ext" }) { name } }' }),
      });
      expect(await res.json()).toEqual({ data: { createBrand: { name: 'ext' } } });
      server.child.kill('SIGINT');
      expect((await server.exited).code).toBe(0);
    } finally {
      await dropTestDatabase(databaseUrl);
    }
  });

  it('keeps serving when whoever read its output goes away (stdout and stderr closed: EPIPE)', async () => {
    const databaseUrl = await createTestDatabase();
    try {
      const server = spawnServer({ DATABASE_URL: databaseUrl, PORT: String(await freePort()), LOG_LEVEL: 'info', ...externalSecrets });
      const url = await server.ready;
      server.child.stdout!.destroy();
      server.child.stderr!.destroy();
      // At LOG_LEVEL=info every request is logged: each of these writes into the closed pipe.
      for (let i = 0; i < 20; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      await dropTestDatabase(databaseUrl);
    }
  });

  it('refuses to start with DATABASE_URL but no secrets, naming each variable', async () => {
    const server = spawnServer({ DATABASE_URL: 'postgresql://127.0.0.1:1/none' });
    expect((await server.exited).code).toBe(1);
    for (const name of ['KEYPOOL_ADMIN_TOKEN', 'KEYPOOL_ENCRYPTION_KEYS', 'KEYPOOL_JWT_SECRET']) {
      expect(server.output()).toContain(`${name} is required when DATABASE_URL is set`);
    }
  });

  it('says which address is taken when the port is in use', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const databaseUrl = await createTestDatabase();
    try {
      const server = spawnServer({ DATABASE_URL: databaseUrl, PORT: String(port), ...externalSecrets });
      expect((await server.exited).code).toBe(1);
      expect(server.output()).toContain(`keypool: failed to start: 127.0.0.1:${port} is in use; stop what holds it or set PORT (and HOST)`);
      expect(server.output()).not.toMatch(/Internal error|\n\s+at /);
    } finally {
      blocker.close();
      await dropTestDatabase(databaseUrl);
    }
  });

  it('waits for a database that is not up yet, saying so, and starts once it answers', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'keypool-late-db-'));
    const server = spawnServer({
      DATABASE_URL: `postgresql://postgres:late@127.0.0.1:${port}/postgres`, PORT: String(await freePort()), KEYPOOL_DATABASE_WAIT_SECONDS: '60', LOG_LEVEL: 'info', ...externalSecrets,
    });
    await expect.poll(() => server.output(), { timeout: 90_000 }).toContain(`database at 127.0.0.1:${port} is not reachable yet (ECONNREFUSED); retrying for up to 60 s (KEYPOOL_DATABASE_WAIT_SECONDS)`);
    const cluster = await startEmbeddedPostgres({ dataDir, password: 'late', port });
    try {
      const url = await server.ready;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 180_000);

  it('gives up on an unreachable database after KEYPOOL_DATABASE_WAIT_SECONDS with one clear line', async () => {
    const port = await freePort();
    const started = Date.now();
    const server = spawnServer({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/none`, PORT: String(await freePort()), KEYPOOL_DATABASE_WAIT_SECONDS: '2', ...externalSecrets });
    expect((await server.exited).code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(server.output()).toContain(`keypool: failed to start: the database at 127.0.0.1:${port} is unreachable (ECONNREFUSED) after waiting 2 s (KEYPOOL_DATABASE_WAIT_SECONDS)`);
    expect(server.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses to start with PORT=abc or a malformed Fernet key, with a clear message', async () => {
    const server = spawnServer({ PORT: 'abc', KEYPOOL_ENCRYPTION_KEYS: 'short', KEYPOOL_DATA_DIR: mkdtempSync(join(tmpdir(), 'kp-')) });
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toMatch(/PORT must be a whole number/);
    expect(server.output()).toMatch(/KEYPOOL_ENCRYPTION_KEYS.*Fernet key/);
    expect(server.output()).not.toMatch(/\n\s+at /);
  });
});
