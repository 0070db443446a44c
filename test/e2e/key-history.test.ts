/**
 * What an operator looks at on a key: its last error and when, and its recent events (kept, so a
 * page opened later still shows them), for its own brand only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const clock = new ManualClock('2026-06-01T09:00:00Z');
let t: TestApp;
let brand: { brandId: string; token: string };

beforeAll(async () => {
  t = await createTestApp({ clock });
  brand = await t.createBrand('History');
});
afterAll(() => t.close());

async function leaseAndReport(report: Record<string, unknown>) {
  const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq' }, token: brand.token });
  expect(lease.status).toBe(200);
  expect((await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: lease.body.lease.lease_id, ...report }, token: brand.token })).status).toBe(200);
}

const HISTORY = 'query ($id: Int!, $limit: Int) { integrationEvents(integrationId: $id, limit: $limit) { id integrationId type at details } }';

describe('a key\'s last error and history', () => {
  it('keeps the last failure on the key, and every health change in its history, newest first', async () => {
    const id = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_history_0123456789' } }, token: brand.token })).body.integration.id;
    for (let i = 0; i < 3; i++) await leaseAndReport({ success: false, status_code: 503 });
    clock.advance(1000);
    await leaseAndReport({ success: false, error_type: 'timeout' });
    const key = await t.gql(`{ integration(id: ${id}) { healthStatus lastError lastErrorAt } }`, {}, brand.token);
    expect((key.data as any).integration).toEqual({ healthStatus: 'DEGRADED', lastError: 'timeout', lastErrorAt: '2026-06-01T09:00:01.000Z' });
    clock.advance(1000);
    await leaseAndReport({ success: true, status_code: 200 });
    // A success heals, and leaves the last error where it was.
    expect(((await t.gql(`{ integration(id: ${id}) { healthStatus lastError } }`, {}, brand.token)).data as any).integration).toEqual({ healthStatus: 'HEALTHY', lastError: 'timeout' });

    const history = await t.gql(HISTORY, { id }, brand.token);
    const events = (history.data as any).integrationEvents as { type: string; at: string; details: Record<string, unknown> }[];
    expect(events.map((e) => [e.type, e.details.status ?? e.details.kind])).toEqual([['HEALTH_CHANGED', 'healthy'], ['HEALTH_CHANGED', 'degraded'], ['CHANGED', 'CREATED']]);
    expect(events[1]).toMatchObject({ at: '2026-06-01T09:00:00.000Z', details: { previousStatus: 'healthy', reason: '3 consecutive failures (last: HTTP 503)', providerName: 'groq' } });
    expect(JSON.stringify(history)).not.toContain('gsk_history_0123456789');
    expect(((await t.gql(HISTORY, { id, limit: 1 }, brand.token)).data as any).integrationEvents).toHaveLength(1);
  });

  it('lists newest first past ten events (ids compare as numbers, not text)', async () => {
    const id = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'cerebras', credentials: { api_key: 'csk-history-0123456789' } }, token: brand.token })).body.integration.id;
    for (let i = 1; i <= 12; i++) {
      clock.advance(1000);
      expect((await t.rest('PATCH', `/api/v1/integrations/${id}`, { body: { key_label: `v${i}` }, token: brand.token })).status).toBe(200);
    }
    const events = ((await t.gql(HISTORY, { id, limit: 13 }, brand.token)).data as any).integrationEvents as { id: string; details: { kind: string; keyLabel: string } }[];
    expect(events.map((e) => e.details.keyLabel)).toEqual([...Array.from({ length: 12 }, (_, i) => `v${12 - i}`), null]);
    expect(events.map((e) => Number(e.id))).toEqual([...events.map((e) => Number(e.id))].sort((a, b) => b - a));
  });

  it('shows another brand nothing, and refuses a limit out of range', async () => {
    const id = (await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'mistral', credentials: { api_key: 'mistral-history-0123456789' } }, token: brand.token })).body.integration.id;
    const other = await t.createBrand('Other');
    expect(((await t.gql(HISTORY, { id }, other.token)).data as any).integrationEvents).toEqual([]);
    expect((await t.gql(HISTORY, { id, limit: 0 }, brand.token)).errors?.[0]).toMatchObject({ message: 'limit must be a whole number from 1 to 100', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('forgets events past the retention', async () => {
    const before = Number((await t.app.sqlPool.query('select count(*) from integration_event')).rows[0].count);
    expect(before).toBeGreaterThan(0);
    clock.advance(31 * 86_400_000);
    await t.app.background.prune();
    expect(Number((await t.app.sqlPool.query('select count(*) from integration_event')).rows[0].count)).toBe(0);
  });
});
