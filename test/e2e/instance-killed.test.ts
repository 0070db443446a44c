/**
 * An instance killed with SIGKILL: a real keypool process beside an in-process peer on one
 * database, the same secrets. Under load, every report the dead instance acknowledged is counted,
 * each report left in doubt counts once when it is sent again to the survivor (a lease is a signed
 * token any instance takes, and a second report of it is refused), and spend is exact. The slice
 * of a key's minute limit the dead instance held unused is lost to the other instances only until
 * the minute ends: no limit is passed meanwhile, and the next minute is whole again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/db/embedded-postgres.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

let survivor: TestApp;
const clock = new ManualClock(new Date());
let sql: pg.Pool;
let token: string;
/** Every process started here, killed at the end whatever a test left of it. */
const started: ServerProcess[] = [];

beforeAll(async () => {
  survivor = await createTestApp({ clock });
  sql = new pg.Pool({ connectionString: survivor.databaseUrl, max: 2 });
  token = (await survivor.createBrand('Crash')).token;
});
afterAll(async () => {
  for (const p of started) p.child.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  await sql.end();
  await survivor.close();
});

/** A second instance of the survivor's deployment, as its own process on the system clock. */
async function startDoomed(): Promise<{ process: ServerProcess; url: string }> {
  const process = spawnServer({
    DATABASE_URL: survivor.databaseUrl, PORT: String(await freePort()), KEYPOOL_ADMIN_TOKEN: survivor.adminToken,
    KEYPOOL_ENCRYPTION_KEYS: survivor.config.encryptionKeys.join(','), KEYPOOL_JWT_SECRET: survivor.config.jwtSecrets[0],
  });
  started.push(process);
  return { process, url: await process.ready };
}

type Answer = { status: number; body: any } | { status: 'failed' };

async function post(url: string, path: string, body: unknown): Promise<Answer> {
  try {
    const res = await fetch(`${url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 'failed' }; // the instance died: refused, reset, or no answer
  }
}

async function addKey(provider: string, settings: Record<string, unknown> = {}): Promise<number> {
  const res = await survivor.rest('POST', '/api/v1/integrations', { token, body: { provider_name: provider, credentials: { api_key: `${provider}-crash-${Math.random()}-0123456789` }, ...settings } });
  expect(res.status).toBe(201);
  return res.body.integration.id;
}

const leasesGranted = async (url: string, provider: string, attempts: number) => {
  let granted = 0;
  for (let i = 0; i < attempts; i++) {
    const lease = await post(url, '/api/v1/integrations/lease', { provider_name: provider });
    if (lease.status === 200) granted++;
    else expect(lease.status).toBe(429);
  }
  return granted;
};

describe('an instance killed with SIGKILL', () => {
  it('loses no report it acknowledged, and a report left in doubt counts once when sent again to another instance', async () => {
    const keys = await Promise.all([0, 1, 2, 3].map(() => addKey('groq')));
    const doomed = await startDoomed();
    const urls = [survivor.url, doomed.url];
    /** Micro-dollars per key of every report counted; the reports sent and never answered. */
    const counted = new Map<number, number>(keys.map((id) => [id, 0]));
    const inDoubt: { leaseId: string; integrationId: number; micros: number }[] = [];
    let acknowledgedByDoomed = 0;
    let stop = false;
    const report = (micros: number, leaseId: string) => ({ lease_id: leaseId, success: true, status_code: 200, cost_usd: micros / 1e6 });

    const loop = async (client: number) => {
      for (let n = 0; !stop; n++) {
        // Most cycles on the instance that dies; some leased there and reported here, and the other way round.
        const leaseOn = urls[client % 4 === 0 ? 0 : 1];
        const reportOn = urls[(client + n) % 5 === 0 ? 0 : 1];
        const lease = await post(leaseOn, '/api/v1/integrations/lease', { provider_name: 'groq' });
        if (lease.status === 'failed') {
          if (leaseOn === doomed.url) await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        expect(lease.status).toBe(200);
        const { lease_id: leaseId, integration_id: integrationId } = lease.body.lease;
        const micros = 1 + Math.floor(Math.random() * 3_000_000);
        const answer = await post(reportOn, '/api/v1/integrations/usage', report(micros, leaseId));
        if (answer.status === 'failed') {
          inDoubt.push({ leaseId, integrationId, micros });
        } else {
          expect(answer).toEqual({ status: 200, body: expect.anything() });
          counted.set(integrationId, counted.get(integrationId)! + micros);
          if (reportOn === doomed.url) acknowledgedByDoomed++;
        }
      }
    };
    let failure: unknown = null;
    const loops = Array.from({ length: 16 }, (_, client) => loop(client).catch((e: unknown) => {
      failure ??= e;
      stop = true;
    }));
    // Killed once it has acknowledged reports of its own, with more in flight.
    while (acknowledgedByDoomed < 150 && !stop) await new Promise((r) => setTimeout(r, 5));
    doomed.process.child.kill('SIGKILL');
    expect(await doomed.process.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    if (failure) throw failure;

    // Every report in doubt, sent again to the survivor: counted now (200), or counted the first time (409), so it counts once either way.
    for (const doubt of inDoubt) {
      const again = await post(survivor.url, '/api/v1/integrations/usage', report(doubt.micros, doubt.leaseId));
      if (again.status === 409) expect(again.body).toEqual({ success: false, error: 'This lease was already reported' });
      else expect(again).toEqual({ status: 200, body: expect.anything() });
      counted.set(doubt.integrationId, counted.get(doubt.integrationId)! + doubt.micros);
    }
    expect(acknowledgedByDoomed).toBeGreaterThanOrEqual(150);
    // A read folds every appended report, the dead instance's included: each key's spend is what was counted, to the micro-dollar.
    for (const id of keys) {
      const key = await survivor.rest('GET', `/api/v1/integrations/${id}`, { token });
      expect(key.status).toBe(200);
      expect(Math.round(Number(key.body.integration.spend_month) * 1e6)).toBe(counted.get(id));
    }
  });

  it('holds a key\'s minute limit with the dead instance\'s unused slice lost until the minute ends, and gives the next minute whole', async () => {
    const limit = 128;
    const id = await addKey('mistral', { minute_limit: limit });
    const doomed = await startDoomed();
    // The dead instance leases on the system clock, the survivor on its own: both in this minute.
    await clearOfMinuteTurn(15_000);
    clock.set(new Date());
    const first = await post(doomed.url, '/api/v1/integrations/lease', { provider_name: 'mistral' });
    expect(first).toMatchObject({ status: 200, body: { lease: { integration_id: id } } });
    doomed.process.child.kill('SIGKILL');
    await doomed.process.exited;
    const { minute_claimed: claimedByDead } = (await sql.query('select minute_claimed from integration where id = $1', [id])).rows[0];
    // It claimed a slice of the minute for the leases it expected, and granted one of them.
    expect(claimedByDead).toBeGreaterThanOrEqual(2);
    expect(claimedByDead).toBeLessThanOrEqual(limit / 16);

    // This minute: the survivor grants what is left beside the dead slice, and not one lease more.
    expect(await leasesGranted(survivor.url, 'mistral', limit)).toBe(limit - claimedByDead);
    // The next minute: the whole limit, the dead instance's slice with it.
    clock.advance(60_000);
    expect(await leasesGranted(survivor.url, 'mistral', limit + 8)).toBe(limit);
  });
});
