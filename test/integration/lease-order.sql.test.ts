/**
 * The order keypool_lease picks in (src/modules/pool/pool-functions.sql.ts): a due recovery
 * probe first, positive weights before zero, priority, healthy before degraded, weighted random.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';

let t: TestApp;
let pool: ReturnType<typeof poolClient>;
/** The app's random source: a seeded sequence a test can restart (mulberry32). */
let draws = seeded(1);
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
let db: pg.Pool;
const sql = (text: string, values: unknown[]) => db.query(text, values);

beforeAll(async () => {
  // A manual clock: the minute window never turns over in the middle of a test.
  t = await createTestApp({ clock: new ManualClock('2026-05-01T10:00:00Z'), random: () => draws() });
  pool = poolClient(t, (await t.createBrand('Selection')).token);
  db = new pg.Pool({ connectionString: t.databaseUrl, max: 1 });
});
afterAll(async () => {
  await db.end();
  await t.close();
});

async function leaseCounts(provider: string, leases: number, concurrency = 8): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let left = leases;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) {
      const id = (await pool.leaseOk(provider)).integration.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }));
  return counts;
}

describe('keypool_lease order', () => {
  it('always serves the primary key while it is eligible', async () => {
    const primary = await pool.addKey('groq', { is_primary: true });
    await pool.addKey('groq');
    expect([...(await leaseCounts('groq', 60))]).toEqual([[primary, 60]]);
  });

  it('serves healthy keys before degraded ones', async () => {
    const degraded = await pool.addKey('mistral');
    let status = '';
    for (let i = 0; i < 3; i++) {
      const lease = await pool.leaseOk('mistral');
      status = (await pool.report({ leaseId: lease.leaseId, success: false, statusCode: 503 })).data!.reportKeyUsage.healthStatus;
    }
    expect(status).toBe('DEGRADED');
    const healthy = await pool.addKey('mistral');
    expect([...(await leaseCounts('mistral', 30))]).toEqual([[healthy, 30]]);
    await pool.update(healthy, { isActive: false });
    expect((await pool.leaseOk('mistral')).integration.id).toBe(degraded);
  });

  it('shares leases in proportion to weight (1 : 3 over 1,200 leases)', async () => {
    const light = await pool.addKey('cohere');
    const heavy = await pool.addKey('cohere');
    await pool.update(heavy, { weight: '3' });
    const counts = await leaseCounts('cohere', 1200);
    const share = (counts.get(heavy) ?? 0) / 1200;
    expect(counts.get(light)).toBeGreaterThan(0);
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.82);
  });

  it('draws with the service\'s random source: the same draws pick the same keys, in the same order', async () => {
    const keys = [await pool.addKey('sambanova'), await pool.addKey('sambanova'), await pool.addKey('sambanova')];
    await pool.update(keys[1], { weight: '2' });
    await pool.update(keys[2], { weight: '3' });
    const picks = async (seed: number) => {
      draws = seeded(seed);
      const order: number[] = [];
      // One at a time: each lease is its own batch, so each takes the next draw.
      for (let i = 0; i < 40; i++) order.push((await pool.leaseOk('sambanova')).integration.id);
      return order;
    };
    const first = await picks(7);
    expect(await picks(7)).toEqual(first);
    expect(new Set(first).size).toBe(3);
    expect(await picks(8)).not.toEqual(first);
  });

  it('serves a weight-0 key only when no other key is eligible, whatever its priority', async () => {
    const zero = await pool.addKey('cerebras', { is_primary: true });
    await pool.update(zero, { weight: '0' });
    const limited = await pool.addKey('cerebras', { minute_limit: 5 });
    const order: number[] = [];
    for (let i = 0; i < 8; i++) order.push((await pool.leaseOk('cerebras')).integration.id);
    expect(order).toEqual([limited, limited, limited, limited, limited, zero, zero, zero]);
  });

  it('offers a due recovery probe first, even before a primary key, and moves its next probe on', async () => {
    const primary = await pool.addKey('fireworks', { is_primary: true });
    const probe = await pool.addKey('fireworks');
    const notDue = await pool.addKey('fireworks');
    const now = t.clock.now();
    await sql(`update integration set health_status = 'unhealthy', probe_due_at = $2 where id = $1`, [probe, now]);
    await sql(`update integration set health_status = 'unhealthy', probe_due_at = $2 where id = $1`, [notDue, new Date(now.getTime() + 60_000)]);
    // Written behind the pool's back: the pool leases from its copy of the keys until told.
    t.app.services.leases.forgetKeys();
    expect((await pool.leaseOk('fireworks')).integration.id).toBe(probe);
    // The probe is out; its next one is due after the base wait: the primary serves meanwhile.
    expect((await pool.leaseOk('fireworks')).integration.id).toBe(primary);
  });
});
