/**
 * The database drops every connection, again and again, in the middle of concurrent
 * lease + report, create and update load. The server process stays up, every answer
 * is a success or a 503 in the dialect's body (never a 500 or a reset), and every
 * acknowledged write is in the database afterwards.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';
import { freePort } from '../../src/platform/db/embedded-postgres.js';
import { createTestDatabase, dropTestDatabase } from '../support/databases.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

const secrets = {
  KEYPOOL_ADMIN_TOKEN: 'faults-admin-token-0123456789',
  KEYPOOL_ENCRYPTION_KEYS: FernetRing.generateKey(),
  KEYPOOL_JWT_SECRET: 'f'.repeat(40),
};
let databaseUrl: string;
let server: ServerProcess;
let url: string;
let token: string;

type Answer = { status: number; body: any };

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  } catch (e) {
    return { status: 0, body: String(e) }; // a reset connection: never acceptable
  }
}

async function gql(query: string, bearer = token): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}

async function terminateBackends(): Promise<number> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  server = spawnServer({ DATABASE_URL: databaseUrl, PORT: String(await freePort()), ...secrets });
  url = await server.ready;
  const brand = await gql('mutation { createBrand(input: { name: "faults" }) { id } }', secrets.KEYPOOL_ADMIN_TOKEN);
  const issued = await gql(`mutation { issueClientToken(input: { brandId: "${brand.body.data.createBrand.id}" }) { token } }`, secrets.KEYPOOL_ADMIN_TOKEN);
  token = issued.body.data.issueClientToken.token;
});

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await dropTestDatabase(databaseUrl);
});

describe('a database that drops its connections', () => {
  it('never kills the process, answers 503 meanwhile and loses no acknowledged write', async () => {
    const leaseKey = await call('POST', '/api/v1/integrations', { provider_name: 'groq', credentials: { api_key: 'gsk_faults_lease_key_0001' } });
    expect(leaseKey.status).toBe(201);
    const updateKeys: number[] = [];
    for (let w = 0; w < 4; w++) {
      const res = await call('POST', '/api/v1/integrations', { provider_name: 'mistral', credentials: { api_key: `mistral-faults-update-${w}-000` } });
      updateKeys.push(res.body.integration.id);
    }

    const answers: { what: string; status: number; body: any }[] = [];
    const acknowledged = { created: [] as number[], costMillis: 0, attemptedCostMillis: 0, lastLimit: new Map<number, number>(), attemptedLimit: new Map<number, number>() };
    let running = true;

    const leaseAndReport = async () => {
      while (running) {
        const lease = await call('POST', '/api/v1/integrations/lease', { provider_name: 'groq' });
        answers.push({ what: 'lease', ...lease });
        if (lease.status !== 200) continue;
        acknowledged.attemptedCostMillis += 3;
        const report = await call('POST', '/api/v1/integrations/usage', { lease_id: lease.body.lease.lease_id, success: true, cost_usd: 0.003 });
        answers.push({ what: 'report', ...report });
        if (report.status === 200) acknowledged.costMillis += 3;
      }
    };
    let createCounter = 0;
    const create = async () => {
      while (running) {
        const n = createCounter++;
        const res = await call('POST', '/api/v1/integrations', { provider_name: 'cohere', credentials: { api_key: `cohere-faults-create-${n}-0000` }, key_label: `c${n}` });
        answers.push({ what: 'create', ...res });
        if (res.status === 201) acknowledged.created.push(res.body.integration.id);
      }
    };
    const update = async (id: number) => {
      for (let limit = 1; running; limit++) {
        acknowledged.attemptedLimit.set(id, limit);
        const res = await call('PATCH', `/api/v1/integrations/${id}`, { minute_limit: limit });
        answers.push({ what: 'update', ...res });
        if (res.status === 200) acknowledged.lastLimit.set(id, limit);
      }
    };

    const load = [leaseAndReport(), leaseAndReport(), leaseAndReport(), create(), create(), ...updateKeys.map(update)];
    // At least 8 rounds of terminations, and as many more as it takes (within 45 s) for the
    // load to get 60 writes through: on a busy machine 2 s of load may do little work.
    const succeeded = () => answers.filter((a) => a.status === 200 || a.status === 201).length;
    let terminated = 0;
    const deadline = Date.now() + 45_000;
    for (let round = 0; (round < 8 || succeeded() < 60) && Date.now() < deadline; round++) {
      await new Promise((r) => setTimeout(r, 250));
      terminated += await terminateBackends();
    }
    running = false;
    await Promise.all(load);

    expect(terminated).toBeGreaterThan(8);
    const exit = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('running'), 100))]);
    expect(exit, server.output().slice(-3000)).toBe('running');
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].filter((s) => ![200, 201, 503].includes(s)), JSON.stringify(answers.filter((a) => ![200, 201, 503].includes(a.status)).slice(0, 5))).toEqual([]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.body).toEqual({ success: false, error: 'The database is unavailable; retry shortly' });
    }
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200 || a.status === 201).length).toBeGreaterThan(50);

    // Back to normal without a restart, and every acknowledged write is there.
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    // Every page (how many keys the loop created depends on the machine's speed; a page holds 100).
    const stored = new Set<number>();
    for (let offset = 0; ; offset += 100) {
      const listed = await gql(`{ integrations(limit: 100, offset: ${offset}, filter: { providerName: "cohere" }) { total items { id } } }`);
      for (const item of listed.body.data.integrations.items as { id: number }[]) stored.add(item.id);
      if (offset + 100 >= listed.body.data.integrations.total) break;
    }
    expect(acknowledged.created.filter((id) => !stored.has(id))).toEqual([]);
    const spend = await gql(`{ integration(id: ${leaseKey.body.integration.id}) { spendMonth } }`);
    const spentMillis = Math.round(Number(spend.body.data.integration.spendMonth) * 1000);
    expect(spentMillis).toBeGreaterThanOrEqual(acknowledged.costMillis);
    expect(spentMillis).toBeLessThanOrEqual(acknowledged.attemptedCostMillis);
    for (const id of updateKeys) {
      const stored = (await call('GET', `/api/v1/integrations/${id}`)).body.integration.minute_limit;
      expect(stored).toBeGreaterThanOrEqual(acknowledged.lastLimit.get(id) ?? 0);
      expect(stored).toBeLessThanOrEqual(acknowledged.attemptedLimit.get(id)!);
    }
    expect(server.output()).not.toMatch(/Unhandled 'error' event|unexpected error/);
  }, 90_000);
});
