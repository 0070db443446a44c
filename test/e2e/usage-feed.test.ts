/**
 * integrationUsageChanged: every lease and report reaches watching dashboards within a second, on
 * every instance, coalesced per key (a burst of leases is a few events, not one each), for the
 * watcher's own brand only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCH_REFRESH_MS } from '../../src/modules/pool/usage-feed.js';
import { createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { openSocket, type RawSocket } from '../support/raw-socket.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';

let a: TestApp;
let b: TestApp;
/** When both instances listened (each publishes every brand for a refresh and a half after that). */
let listening = 0;

beforeAll(async () => {
  a = await createTestApp();
  b = await createPeerApp(a);
  listening = Date.now();
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

  it('publishes a brand\'s usage only while a dashboard watches it, on any instance; a cooldown always (other instances\' copies of the keys learn it)', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, listening + 1.5 * WATCH_REFRESH_MS + 100 - Date.now())));
    // The channel as every instance hears it.
    const wire = new pg.Client({ connectionString: a.databaseUrl });
    await wire.connect();
    const heard: { brandId?: string; watching?: string[]; usages?: { integrationId: number; cooldownUntil: string | null }[] }[] = [];
    wire.on('notification', (n) => heard.push(JSON.parse(n.payload!)));
    await wire.query('listen keypool_usage');
    try {
      const brand = await a.createBrand('unwatched');
      const id = (await a.rest('POST', '/api/v1/integrations', { body: { provider_name: 'cerebras', credentials: { api_key: 'csk-usage-feed-0123456789' } }, token: brand.token })).body.integration.id as number;
      const lease = () => a.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'cerebras' }, token: brand.token });
      await clearOfMinuteTurn();
      for (let i = 0; i < 5; i++) expect((await lease()).status).toBe(200);
      // Two flushes later: nothing of the brand went out.
      await new Promise((r) => setTimeout(r, 600));
      expect(heard.filter((m) => m.brandId === brand.brandId)).toEqual([]);

      // A dashboard on the other instance: it says so, and this instance publishes the brand in full.
      const watcher = await openSocket(b.url, brand.token);
      watcher.subscribe('1', QUERY);
      await expect.poll(() => heard.some((m) => m.watching?.includes(brand.brandId)), { timeout: 1000, interval: 10 }).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect((await lease()).status).toBe(200);
      await expect.poll(() => usagesOf(watcher, id).at(-1)?.minuteCount, { timeout: 1000, interval: 20 }).toBe(6);
      watcher.ws.close();

      // Another brand, watched by no one: a 429 reported on one instance rests the key on the other.
      const quiet = await a.createBrand('quiet');
      const quietId = (await a.rest('POST', '/api/v1/integrations', { body: { provider_name: 'sambanova', credentials: { api_key: 'sambanova-usage-feed-0123456789' } }, token: quiet.token })).body.integration.id as number;
      const leaseOn = (app: TestApp) => app.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'sambanova' }, token: quiet.token });
      // The other instance holds a copy of the key, and a slice of its allowance: its next lease would need no database.
      expect((await leaseOn(b)).status).toBe(200);
      const leased = await leaseOn(a);
      expect(leased.status).toBe(200);
      const report = await a.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leased.body.lease.lease_id, success: false, status_code: 429, retry_after_seconds: 60 }, token: quiet.token });
      expect(report.status).toBe(200);
      // Of the brand, only the key the report rested went out (not the leases before it).
      await expect.poll(() => heard.filter((m) => m.brandId === quiet.brandId).flatMap((m) => m.usages!).map((u) => [u.integrationId, u.cooldownUntil !== null]), { timeout: 1000, interval: 10 })
        .toEqual([[quietId, true]]);
      await new Promise((r) => setTimeout(r, 100));
      expect((await leaseOn(b)).status).toBe(429);
    } finally {
      await wire.end();
    }
  });
});
