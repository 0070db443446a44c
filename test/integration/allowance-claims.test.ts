/**
 * Allowance claims (src/modules/pool/allowance.ts): leases are counted from slices of a key's
 * limits that an instance claims in one durable update, so most leases never wait on the
 * database; a small free-tier key is claimed one lease at a time, so no instance holds it idle;
 * unused allowance goes back when idle, and at shutdown; the leases granted reach the key's
 * usage counts exactly; a claim reads the key as it stands, so an instance whose copy is behind
 * grants no more than the slice it holds. Two instances of one deployment, real PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';

let a: TestApp;
let b: TestApp;
let sql: pg.Pool;
let brandId: string;
let token: string;
let keys: ReturnType<typeof poolClient>;

beforeAll(async () => {
  a = await createTestApp();
  b = await createPeerApp(a);
  sql = new pg.Pool({ connectionString: a.databaseUrl, max: 2 });
  const brand = await a.createBrand('Claims');
  brandId = brand.brandId;
  token = brand.token;
  keys = poolClient(a, brand.token);
});
afterAll(async () => {
  await sql.end();
  await b.close();
  await a.close();
});

const leaseOn = (t: TestApp, providerName: string) => t.app.services.leases.leaseKey(brandId, { providerName });
const leasedId = async (t: TestApp, providerName: string) => {
  const outcome = await leaseOn(t, providerName);
  return outcome.kind === 'leased' ? outcome.lease.integrationId : outcome.kind;
};
const state = async (id: number) => (await sql.query(
  'select minute_claimed, minute_count from integration where id = $1', [id])).rows[0] as { minute_claimed: number; minute_count: number };

describe('allowance claims', () => {
  it('serve a roomy key\'s leases from a few claims, and its usage counts every lease exactly', async () => {
    const id = await keys.addKey('deepseek');
    const before = { ...a.app.services.leases.batchStats };
    for (let i = 0; i < 40; i++) expect(await leasedId(a, 'deepseek')).toBe(id);
    // A claim of 16, then slices sized to the demand: a handful of statements for 40 leases.
    expect(a.app.services.leases.batchStats.batches - before.batches).toBeLessThan(10);
    await a.app.services.leases.writeGrantedCounts();
    const after = await state(id);
    expect(after.minute_count).toBe(40);
    expect(after.minute_claimed).toBeGreaterThanOrEqual(40);
    // Read through the API, the count is the same (a read writes what this instance granted first).
    expect((await a.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration.minute_count).toBe(40);
  });

  it('claim a roomy key\'s next slice from the timer when its slice is nearly used up, so its next leases need no claim of their own', async () => {
    // 256 a minute: a slice of 16 at most, 4 at least (a quarter of the cap of a key without limits, 64, would be 16).
    const id = await keys.addKey('nvidia_nim', { minute_limit: 256 });
    const claimed = async () => (await sql.query('select daily_claimed from integration where id = $1', [id])).rows[0].daily_claimed as number;
    // A first claim of four (no demand yet), three of them granted: one left, a quarter of the next slice (two seconds of demand: six).
    for (let i = 0; i < 3; i++) expect(await leasedId(a, 'nvidia_nim')).toBe(id);
    // No lease asks for it: the timer claims the next slice, 4 + 6 (had the minute turned meanwhile, the old slice's one unused lease
    // would have gone back first: 9). Without it, the key's fourth lease would claim, and this would stay at 4.
    await expect.poll(claimed, { timeout: 2000 }).toBeGreaterThanOrEqual(9);
    expect(await claimed()).toBeLessThanOrEqual(10);
  });

  it('claim the new minute\'s slices of the keys in use a share at each tick of the timer when the minute turns, not all in one batch', async () => {
    const clock = new ManualClock('2026-03-10T12:00:30Z');
    const c = await createPeerApp(a, { clock });
    try {
      const providers = ['openrouter', 'groq', 'mistral', 'cerebras', 'together', 'cohere', 'sambanova', 'huggingface', 'github_models', 'ai21'];
      const ids: number[] = [];
      for (const provider of providers) ids.push(await keys.addKey(provider));
      // Every key in use on this instance: a slice of this minute each.
      for (let round = 0; round < 3; round++) {
        for (const providerName of providers) expect((await c.app.services.leases.leaseKey(brandId, { providerName })).kind).toBe('leased');
      }
      const minuteOf = async () => new Map((await sql.query<{ id: number; claim_minute: Date }>(
        'select id, claim_minute from integration where id = any($1)', [ids])).rows.map((r) => [r.id, r.claim_minute.getTime()]));
      const next = new Date('2026-03-10T12:01:00Z').getTime();
      expect([...(await minuteOf()).values()].every((m) => m < next)).toBe(true);
      clock.set('2026-03-10T12:01:00Z');
      // No lease from here on: what claims the new minute is the timer, ahead of the keys' next leases.
      let first: number[] | null = null;
      const end = performance.now() + 5000;
      for (;;) {
        const claimed = [...(await minuteOf())].filter(([, m]) => m === next).map(([id]) => id);
        if (first === null && claimed.length > 0) first = claimed;
        if (claimed.length === ids.length || performance.now() > end) {
          expect(claimed.sort()).toEqual([...ids].sort());
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      // The first tick after the turn claimed one share of them (a fifth: the keys whose id is its turn's), not every key.
      expect(first!.length).toBeLessThan(ids.length);
      expect(new Set(first!.map((id) => id % 5)).size).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('write a busy key\'s usage counts once a second, not with every tick of the timer', async () => {
    const id = await keys.addKey('fireworks');
    // Leases all along for 1.6 s (the timer ticks every 200 ms), the key's stored count sampled meanwhile.
    const writes: number[] = [];
    let last = (await state(id)).minute_count;
    const until = performance.now() + 1600;
    while (performance.now() < until) {
      expect(await leasedId(a, 'fireworks')).toBe(id);
      const now = (await state(id)).minute_count;
      if (now !== last) writes.push(now);
      last = now;
      await new Promise((r) => setTimeout(r, 20));
    }
    // At most one write at the first tick and one a second later (a slow machine only writes fewer); every 200 ms would be seven.
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(3);
  });

  it('claim a small free-tier key one lease at a time, so another instance is never kept from it', async () => {
    const id = await keys.addKey('xai', { minute_limit: 3 });
    expect(await leasedId(a, 'xai')).toBe(id);
    expect(await leasedId(b, 'xai')).toBe(id);
    expect(await leasedId(b, 'xai')).toBe(id);
    // Three granted, three claimed: the limit is reached on both instances, and nothing is held unused.
    for (const t of [a, b]) expect((await leaseOn(t, 'xai')).kind).toBe('refused');
    expect((await state(id)).minute_claimed).toBe(3);
  });

  it('give back what a key with small limits did not use once it has been idle for a second', async () => {
    const id = await keys.addKey('perplexity', { minute_limit: 100 });
    // Leases in a row: slices grow with the demand (at most 6 for this key), so one is held part-used.
    for (let i = 0; i < 12; i++) expect(await leasedId(a, 'perplexity')).toBe(id);
    await a.app.services.leases.writeGrantedCounts();
    const busy = await state(id);
    expect(busy.minute_count).toBe(12);
    expect(busy.minute_claimed).toBeGreaterThan(12);
    let idle = busy;
    for (let wait = 0; wait < 30 && idle.minute_claimed !== 12; wait++) {
      await new Promise((r) => setTimeout(r, 100));
      idle = await state(id);
    }
    expect(idle).toEqual({ minute_claimed: 12, minute_count: 12 });
  });

  it('see a cooldown another instance\'s report set (a 429 publishes no key event) within the usage feed\'s interval', async () => {
    const primary = await keys.addKey('nebius', { is_primary: true });
    const spare = await keys.addKey('nebius');
    // The keys' creation events reach every instance (and drop its copy) first: what follows must
    // come through the usage feed, not through a copy read again.
    await new Promise((r) => setTimeout(r, 500));
    // Instance a's copy of the keys is loaded, and serves the primary key.
    expect(await leasedId(a, 'nebius')).toBe(primary);
    const onB = await leaseOn(b, 'nebius');
    if (onB.kind !== 'leased') throw new Error(onB.kind);
    expect(onB.lease.integrationId).toBe(primary);
    await b.app.services.leases.reportUsage(brandId, { leaseId: onB.lease.leaseId, success: false, statusCode: 429, retryAfterSeconds: 30 });
    // Instance a still holds part of its claimed slice of the primary key, so only the feed can tell it.
    await new Promise((r) => setTimeout(r, 3 * a.config.usageFeedIntervalMs));
    expect(await leasedId(a, 'nebius')).toBe(spare);
  });

  it('give back a slice claimed under limits the key no longer has: a minute limit set mid-minute is not passed by leases of it', async () => {
    const id = await keys.addKey('baseten');
    await clearOfMinuteTurn();
    // A key without limits: the first lease claims a slice of 16 and holds 15.
    expect(await leasedId(a, 'baseten')).toBe(id);
    expect((await state(id)).minute_claimed).toBe(16);
    // Five a minute from now on, on every instance (the key book reads the key again at its next lease).
    expect((await a.rest('PATCH', `/api/v1/integrations/${id}`, { body: { minute_limit: 5 }, token })).status).toBe(200);
    const outcomes: (number | string)[] = [];
    for (let i = 0; i < 8; i++) outcomes.push(await leasedId(a, 'baseten'));
    // Four more, five in the minute: the 15 held went back before the next claim.
    expect(outcomes).toEqual([id, id, id, id, 'refused', 'refused', 'refused', 'refused']);
    expect((await state(id)).minute_claimed).toBe(5);
  });

  it('let at most one slice through on another instance once a report crosses a `block` spend limit, and no further claim', async () => {
    const id = await keys.addKey('elevenlabs', { spend_limit_amount: 1, spend_limit_period: 'daily', spend_limit_action: 'block' });
    // b holds a slice of the key (a key without request limits: 16, one of them granted).
    expect(await leasedId(b, 'elevenlabs')).toBe(id);
    const held = (await state(id)).minute_claimed - 1;
    expect(held).toBe(15);
    // a's report crosses the limit: applied at once (the key has a `block` limit), the key blocked in the database.
    const lease = await leaseOn(a, 'elevenlabs');
    expect(lease.kind).toBe('leased');
    const crossing = await a.app.services.leases.reportUsage(brandId, { leaseId: (lease as { lease: { leaseId: string } }).lease.leaseId, success: true, costUsd: '1.5' });
    expect(crossing.spendLimitExceeded).toBe(true);
    // b has not heard of it yet (these leases are served from memory, with no I/O between them, so no event can arrive):
    // it grants what its slice holds and not one lease more, for its next claim is refused by the database.
    const outcomes: string[] = [];
    for (let i = 0; i < held + 5; i++) outcomes.push((await leaseOn(b, 'elevenlabs')).kind);
    expect(outcomes.filter((k) => k === 'leased').length).toBeLessThanOrEqual(held);
    expect(outcomes.slice(-5)).toEqual(Array(5).fill('refused'));
    const refusal = await leaseOn(b, 'elevenlabs');
    expect(refusal).toMatchObject({ kind: 'refused', skipped: [{ integrationId: id, reason: 'spend_blocked' }] });
  });

  it('refuse a lease on the key as the database has it, not as an instance that missed its event does: a claim and a reservation alike', async () => {
    // NOTIFY is not durable: an instance disconnected meanwhile misses a key's event, and its copy stays behind until it reads the key again.
    // Each state another instance's write can bring, written here with no event: b's copy still shows every key open.
    const brand = await a.createBrand('Missed events');
    const own = poolClient(a, brand.token);
    const leaseOf = (providerName: string) => b.app.services.leases.leaseKey(brand.brandId, { providerName });
    const states: [reason: string, change: string, claimed: string, reserved: string][] = [
      ['spend_blocked', "spend_limit_amount = 1, spend_limit_period = 'daily', spend_limit_action = 'block', spend_limit_exceeded = true, spend_exceeded_period = $2", 'groq', 'mistral'],
      ['cooling_down', "cooldown_until = now() + interval '1 minute'", 'cerebras', 'together'],
      ['unhealthy', "health_status = 'unhealthy', probe_due_at = now() + interval '1 minute'", 'cohere', 'openai'],
      ['inactive', 'is_active = false', 'anthropic', 'gemini'],
    ];
    for (const [reason, change, claimed, reserved] of states) {
      // One key counted from claimed slices, one whose every lease is reserved in the database (token limits).
      for (const [providerName, settings] of [[claimed, {}], [reserved, { token_minute_limit: 1_000_000 }]] as const) {
        const id = await own.addKey(providerName, settings);
        // The key's creation reaches b as an event, which makes b read the key again at its next lease: let it land first, so
        // the read below is b's last before the change.
        await new Promise((r) => setTimeout(r, 300));
        // b has read the key and, for the first, holds a slice of it: what it grants from memory is its to grant.
        expect(await leaseOf(providerName)).toMatchObject({ kind: 'leased', lease: { integrationId: id } });
        const held = (await state(id)).minute_claimed - 1;
        await sql.query(`update integration set ${change} where id = $1`, change.includes('$2') ? [id, new Date().toISOString().slice(0, 10)] : [id]);
        const outcomes: string[] = [];
        for (let i = 0; i < held + 3; i++) outcomes.push((await leaseOf(providerName)).kind);
        // At most the slice b held (none for a key reserved per lease); then the database refuses, with the reason.
        const what = `${reason}, ${providerName}`;
        expect(outcomes.filter((k) => k === 'leased').length, what).toBeLessThanOrEqual(held);
        expect(outcomes.slice(-3), what).toEqual(['refused', 'refused', 'refused']);
        expect(await leaseOf(providerName), what).toMatchObject({ kind: 'refused', skipped: [{ integrationId: id, reason }] });
      }
    }
  });

  it('give back what an instance holds when it shuts down', async () => {
    const id = await keys.addKey('parasail', { minute_limit: 10_000 });
    const peer = await createPeerApp(a);
    const outcome = await peer.app.services.leases.leaseKey(brandId, { providerName: 'parasail' });
    expect(outcome.kind).toBe('leased');
    // A roomy key: the claim took a slice (a quarter of its cap of 64: 16) and keeps the rest until the minute turns...
    expect((await state(id)).minute_claimed).toBe(16);
    await peer.close();
    // ...or until the instance stops: one lease claimed, one counted.
    expect(await state(id)).toEqual({ minute_claimed: 1, minute_count: 1 });
  });
});
