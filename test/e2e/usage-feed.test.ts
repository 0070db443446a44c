/**
 * integrationUsageChanged: every lease and report reaches watching dashboards within a second, on
 * every instance, coalesced per key (a burst of leases is a few events, not one each), for the
 * watcher's own brand only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket, type RawSocket } from '../support/raw-socket.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';

let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  a = await createTestApp();
  b = await createPeerApp(a);
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const QUERY = 'subscription { integrationUsageChanged { integrationId providerName minuteCount dailyCount spendToday lastUsedAt cooldownUntil healthStatus asOf } }';

/** Every usage a socket received for one key, in order. */
const usagesOf = (socket: RawSocket, id: number) =>
  socket.messages.filter((m) => m.type === 'next').flatMap((m) => m.payload.data.integrationUsageChanged as { integrationId: number; minuteCount: number; [k: string]: unknown }[]).filter((u) => u.integrationId === id);

describe('integrationUsageChanged', () => {
  it('shows a burst of leases and reports on another instance within a second, a few events rather than one each', async () => {
    const brand = await a.createBrand('watched');
    const key = await a.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_usage_feed_0123456789' } }, token: brand.token });
    const id = key.body.integration.id as number;
    const watcher = await openSocket(b.url, brand.token);
    watcher.subscribe('1', QUERY);
    await new Promise((r) => setTimeout(r, 200)); // subscribed
    // The 40 leases count in one minute (past the turn the feed would show the new minute's count).
    await clearOfMinuteTurn();
    const leases = await Promise.all(Array.from({ length: 40 }, () => a.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token: brand.token })));
    const started = Date.now();
    await expect.poll(() => usagesOf(watcher, id).at(-1)?.minuteCount, { timeout: 1000, interval: 20 }).toBe(40);
    expect(Date.now() - started).toBeLessThan(1000);
    // 40 leases, coalesced: each event is a flush, and flushes are 250 ms apart.
    expect(usagesOf(watcher, id).length).toBeLessThanOrEqual(5);
    const last = usagesOf(watcher, id).at(-1)!;
    expect(last).toMatchObject({ providerName: 'groq', dailyCount: 40, healthStatus: 'HEALTHY', lastUsedAt: expect.any(String), asOf: expect.any(String) });

    // A report with a 429 shows its cooldown.
    const report = await a.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leases[0].body.lease.lease_id, success: false, status_code: 429, retry_after_seconds: 30, cost_usd: 0.25 }, token: brand.token });
    expect(report.status).toBe(200);
    await expect.poll(() => usagesOf(watcher, id).at(-1)?.cooldownUntil, { timeout: 1000, interval: 20 }).toEqual(expect.any(String));
    expect(usagesOf(watcher, id).at(-1)).toMatchObject({ spendToday: '0.25' });
    watcher.ws.close();
  });

  it('reaches only the brand that owns the key, and honours its filters', async () => {
    const owner = await a.createBrand('owner');
    const stranger = await a.createBrand('stranger');
    const id = (await a.rest('POST', '/api/v1/integrations', { body: { provider_name: 'mistral', credentials: { api_key: 'mistral-usage-feed-0123456789' } }, token: owner.token })).body.integration.id;
    const theirs = await openSocket(b.url, stranger.token);
    theirs.subscribe('1', QUERY);
    const filtered = await openSocket(b.url, owner.token);
    filtered.subscribe('1', 'subscription { integrationUsageChanged(providerName: "groq") { integrationId } }');
    const mine = await openSocket(b.url, owner.token);
    mine.subscribe('1', `subscription { integrationUsageChanged(integrationId: ${id}) { integrationId minuteCount } }`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await a.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'mistral' }, token: owner.token })).status).toBe(200);
    await expect.poll(() => usagesOf(mine, id).length, { timeout: 1000, interval: 20 }).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(theirs.messages.filter((m) => m.type === 'next')).toEqual([]);
    expect(filtered.messages.filter((m) => m.type === 'next')).toEqual([]);
    for (const s of [theirs, filtered, mine]) s.ws.close();
  });
});
