/** Leasing and reporting on a real database, driven by a manual clock. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';

const clock = new ManualClock('2026-02-26T15:00:10Z');
let t: TestApp;
let pool: ReturnType<typeof poolClient>;
let other: ReturnType<typeof poolClient>;

beforeAll(async () => {
  t = await createTestApp({ clock });
  pool = poolClient(t, (await t.createBrand('Pool')).token);
  other = poolClient(t, (await t.createBrand('Other')).token);
});
afterAll(() => t.close());
beforeEach(() => clock.set('2026-02-26T15:00:10Z'));

describe('leases and windows', () => {
  it('counts leases in the UTC minute and day, refuses past the limit, and resets by window', async () => {
    const id = await pool.addKey('cerebras', { minute_limit: 2, daily_limit: 3 });
    const first = await pool.leaseOk('cerebras');
    expect(first.integration).toMatchObject({ id, minuteCount: 1, dailyCount: 1, lastUsedAt: '2026-02-26T15:00:10.000Z' });
    // The key's id also stands on the lease itself, for a caller that wants it without the key's view.
    expect(first.integrationId).toBe(id);
    expect(first.credentials).toEqual({ api_key: expect.stringMatching(/^cerebras-secret-/) });
    expect((await pool.leaseOk('cerebras')).integration.minuteCount).toBe(2);

    const refused = await pool.lease('cerebras');
    expect(refused.errors?.[0].extensions).toMatchObject({
      code: 'NO_KEY_AVAILABLE', retryAfterSeconds: 50, retryAt: '2026-02-26T15:01:00Z',
      skipped: [{ integrationId: id, reason: 'minute_limit', until: '2026-02-26T15:01:00Z' }],
    });
    expect(refused.errors?.[0].message).toBe(`No cerebras key is available: #${id} minute limit reached until 2026-02-26T15:01:00Z; earliest retry at 2026-02-26T15:01:00Z (in 50 s)`);

    clock.advance(50_000);
    expect((await pool.leaseOk('cerebras')).integration).toMatchObject({ minuteCount: 1, dailyCount: 3 });
    clock.advance(60_000);
    const daily = await pool.lease('cerebras');
    expect(daily.errors?.[0].extensions).toMatchObject({ skipped: [{ reason: 'daily_limit', until: '2026-02-27T00:00:00Z' }] });

    clock.set('2026-02-27T00:00:00Z');
    expect((await pool.leaseOk('cerebras')).integration).toMatchObject({ minuteCount: 1, dailyCount: 1 });
  });

  it('answers REST with 429, Retry-After and the reasons in the v1 body', async () => {
    const { token } = await t.createBrand('REST');
    const rest = poolClient(t, token);
    const id = await rest.addKey('groq', { minute_limit: 1 });
    const ok = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token });
    expect(ok.body).toMatchObject({ success: true, lease: { integration_id: id, provider_name: 'groq', credentials: { api_key: expect.any(String) }, expires_at: '2026-02-26T15:05:10Z' } });
    const refused = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('50');
    expect(refused.body).toMatchObject({ success: false, retry_after_seconds: 50, skipped: [{ integration_id: id, reason: 'minute_limit' }] });
  });

  it('says clearly when the brand has no key for the provider at all', async () => {
    const res = await pool.lease('ai21');
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'NO_KEYS_FOR_PROVIDER' }, message: expect.stringContaining('has no ai21 keys') });
  });

  it('honours the model allow-list and the blacklist', async () => {
    const listed = await pool.addKey('together', { is_primary: true });
    const open = await pool.addKey('together');
    await pool.update(listed, { models: ['llama-3', 'llama-3-bad'], blacklistedModels: ['llama-3-bad'] });
    expect((await pool.leaseOk('together', 'llama-3')).integration.id).toBe(listed);
    expect((await pool.leaseOk('together', 'mixtral')).integration.id).toBe(open);
    expect((await pool.leaseOk('together', 'llama-3-bad')).integration.id).toBe(open);
    await pool.update(open, { isActive: false });
    const none = await pool.lease('together', 'mixtral');
    expect(none.errors?.[0].extensions).toMatchObject({
      code: 'NO_KEY_AVAILABLE', retryAfterSeconds: null,
      skipped: [{ integrationId: listed, reason: 'model_not_allowed', until: null }, { integrationId: open, reason: 'inactive', until: null }],
    });
  });

  it('leases only the brand\'s own keys: another brand\'s lease id reports as not found', async () => {
    await pool.addKey('sambanova');
    const lease = await pool.leaseOk('sambanova');
    expect((await other.lease('sambanova')).errors?.[0].extensions?.code).toBe('NO_KEYS_FOR_PROVIDER');
    const foreign = await other.report({ leaseId: lease.leaseId, success: true });
    expect(foreign.errors?.[0]).toMatchObject({ message: 'Lease not found or expired', extensions: { code: 'NOT_FOUND' } });
    // The MAC's last base64url character carries two unused bits: flipping one of those must not pass either.
    const last = lease.leaseId.at(-1)!;
    const sameBytes = 'AEIMQUYcgkosw048'[Math.floor('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last) / 4)];
    const respelled = lease.leaseId.slice(0, -1) + (sameBytes === last ? String.fromCharCode(last.charCodeAt(0) + 1) : sameBytes);
    const middle = lease.leaseId.length - 20;
    const tampered = lease.leaseId.slice(0, middle) + (lease.leaseId[middle] === 'x' ? 'y' : 'x') + lease.leaseId.slice(middle + 1);
    for (const forged of [respelled, tampered]) {
      expect((await pool.report({ leaseId: forged, success: true })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
  });

  it('accepts a report once: the second is a CONFLICT, and an expired lease is NOT_FOUND', async () => {
    await pool.addKey('baseten');
    const lease = await pool.leaseOk('baseten');
    expect((await pool.report({ leaseId: lease.leaseId, success: true })).errors).toBeUndefined();
    expect((await pool.report({ leaseId: lease.leaseId, success: true })).errors?.[0]).toMatchObject({ message: 'This lease was already reported', extensions: { code: 'CONFLICT' } });
    const late = await pool.leaseOk('baseten');
    clock.advance(301_000);
    expect((await pool.report({ leaseId: late.leaseId, success: true })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('excluded keys (the gateway\'s failover)', () => {
  it('never leases an excluded key, even the primary one, leaves other callers\' leases alone, and refuses once every key is excluded', async () => {
    const brand = await t.createBrand('Failover');
    const failover = poolClient(t, brand.token);
    const primary = await failover.addKey('nebius', { is_primary: true });
    const spare = await failover.addKey('nebius');
    const leases = t.app.services.leases;
    // The same batch may hold a lease excluding the primary key and one that does not.
    const [excluding, plain] = await Promise.all([
      leases.leaseKey(brand.brandId, { providerName: 'nebius', excludeIntegrationIds: [primary] }),
      leases.leaseKey(brand.brandId, { providerName: 'nebius' }),
    ]);
    expect(excluding.kind === 'leased' && excluding.lease.integration.id).toBe(spare);
    expect(plain.kind === 'leased' && plain.lease.integration.id).toBe(primary);
    // Every key excluded: nothing to lease, and nothing counted.
    const none = await leases.leaseKey(brand.brandId, { providerName: 'nebius', excludeIntegrationIds: [primary, spare] });
    expect(none).toEqual({ kind: 'no_keys', providerName: 'nebius' });
    // Leases granted from claimed allowance reach the keys' usage with the pool's next batch; write them now.
    await leases.writeGrantedCounts();
    const { rows } = await t.app.sqlPool.query('select id, minute_count from integration where id = any($1) order by id', [[primary, spare]]);
    expect(rows).toEqual([{ id: primary, minute_count: 1 }, { id: spare, minute_count: 1 }]);
  });
});
