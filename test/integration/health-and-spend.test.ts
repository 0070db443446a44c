/** Usage reports drive health, probes, cooldowns and exact spend; each change is an event. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IntegrationEvent } from '../../src/modules/keys/index.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';
import { collectEvents } from '../support/events.js';

const clock = new ManualClock('2026-02-26T15:00:00Z');
let t: TestApp;
let pool: ReturnType<typeof poolClient>;
let token: string;
let brandId: string;
let collected: ReturnType<typeof collectEvents>;
let events: IntegrationEvent[];

beforeAll(async () => {
  t = await createTestApp({ clock });
  ({ token, brandId } = await t.createBrand('Health'));
  pool = poolClient(t, token);
  collected = collectEvents(t);
  events = collected.events;
});
afterAll(() => t.close());
beforeEach(() => {
  clock.set('2026-02-26T15:00:00Z');
  events.length = 0;
});

const settled = () => collected.settled(brandId);
const lastHealthEvent = (list: IntegrationEvent[]) => list.filter((e) => e.type === 'integration.health_changed').at(-1);

async function leaseAndReport(provider: string, report: Record<string, unknown>) {
  const lease = await pool.leaseOk(provider);
  const res = await pool.report({ leaseId: lease.leaseId, ...report } as never);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.reportKeyUsage;
}

describe('health', () => {
  it('degrades after 3 server failures and turns unhealthy after 6, publishing each transition', async () => {
    const id = await pool.addKey('mistral');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await leaseAndReport('mistral', { success: false, statusCode: 502 })).healthStatus);
    expect(statuses).toEqual(['HEALTHY', 'HEALTHY', 'DEGRADED', 'DEGRADED', 'DEGRADED', 'UNHEALTHY']);
    const changes = (await settled()).filter((e) => e.type === 'integration.health_changed');
    expect(changes.map((e) => e.type === 'integration.health_changed' && [e.previousStatus, e.status, e.consecutiveFailures])).toEqual([
      ['healthy', 'degraded', 3],
      ['degraded', 'unhealthy', 6],
    ]);
    expect(changes[0]).toMatchObject({ integration: { id }, reason: '3 consecutive failures (last: HTTP 502)' });
  });

  it('gives an unhealthy key exactly one probe after 30 s, doubles the wait when it fails, and heals on success', async () => {
    const id = await pool.addKey('huggingface');
    await leaseAndReport('huggingface', { success: false, statusCode: 401 });
    expect(lastHealthEvent(await settled())).toMatchObject({ type: 'integration.health_changed', status: 'unhealthy', reason: 'provider rejected the key (HTTP 401)' });
    expect((await pool.lease('huggingface')).errors?.[0].extensions).toMatchObject({ retryAt: '2026-02-26T15:00:30Z', skipped: [{ integrationId: id, reason: 'unhealthy' }] });

    clock.advance(30_000);
    const probes = await Promise.all([pool.lease('huggingface'), pool.lease('huggingface'), pool.lease('huggingface')]);
    const granted = probes.filter((p) => p.data?.leaseKey);
    expect(granted).toHaveLength(1);
    await pool.report({ leaseId: granted[0].data!.leaseKey!.leaseId, success: false, statusCode: 500 });
    expect((await pool.lease('huggingface')).errors?.[0].extensions?.retryAt).toBe('2026-02-26T15:01:30Z');

    clock.advance(60_000);
    const second = await pool.leaseOk('huggingface');
    const healed = await pool.report({ leaseId: second.leaseId, success: true, statusCode: 200 });
    expect(healed.data!.reportKeyUsage).toMatchObject({ healthStatus: 'HEALTHY', consecutiveFailures: 0 });
    expect(lastHealthEvent(await settled())).toMatchObject({ type: 'integration.health_changed', previousStatus: 'unhealthy', status: 'healthy', reason: 'recovery probe succeeded' });
  });

  it('cools a key down after 429 for Retry-After, serving another key meanwhile, without a health change', async () => {
    const hot = await pool.addKey('nvidia_nim', { is_primary: true });
    const spare = await pool.addKey('nvidia_nim');
    const after429 = await leaseAndReport('nvidia_nim', { success: false, statusCode: 429, retryAfterSeconds: 20 });
    expect(after429).toMatchObject({ id: hot, healthStatus: 'HEALTHY', cooldownUntil: '2026-02-26T15:00:20.000Z' });
    expect((await pool.leaseOk('nvidia_nim')).integration.id).toBe(spare);
    clock.advance(20_000);
    expect((await pool.leaseOk('nvidia_nim')).integration.id).toBe(hot);
    expect((await settled()).filter((e) => e.type === 'integration.health_changed')).toEqual([]);
  });

  it('changes nothing on a 400: the caller was wrong, not the key', async () => {
    await pool.addKey('github_models');
    const res = await leaseAndReport('github_models', { success: false, statusCode: 400 });
    expect(res).toMatchObject({ healthStatus: 'HEALTHY', consecutiveFailures: 0, cooldownUntil: null });
  });

  it('rejects contradictory or malformed reports with BAD_USER_INPUT', async () => {
    await pool.addKey('google_ai');
    const lease = await pool.leaseOk('google_ai');
    const bad = await pool.report({ leaseId: lease.leaseId, success: true, statusCode: 500 });
    expect(bad.errors?.[0]).toMatchObject({ message: 'statusCode 500 contradicts success: true', extensions: { code: 'BAD_USER_INPUT' } });
    const cost = await pool.report({ leaseId: lease.leaseId, success: true, costUsd: '-1' });
    expect(cost.errors?.[0].message).toBe('costUsd must be a non-negative amount in USD of at most 1000000, with at most 12 decimal places');
    expect((await pool.report({ leaseId: lease.leaseId, success: true })).errors).toBeUndefined();
  });
});

describe('spend', () => {
  it('sums costs exactly in decimal, per UTC day and month', async () => {
    await pool.addKey('fal_ai');
    let last;
    for (let i = 0; i < 10; i++) last = await leaseAndReport('fal_ai', { success: true, costUsd: '0.1' });
    expect(last).toMatchObject({ spendToday: '1', spendMonth: '1' });
    last = await leaseAndReport('fal_ai', { success: true, costUsd: '0.000000000003' });
    expect(last).toMatchObject({ spendToday: '1.000000000003' });
    clock.set('2026-02-27T09:00:00Z');
    expect(await leaseAndReport('fal_ai', { success: true, costUsd: '0.2' })).toMatchObject({ spendToday: '0.2', spendMonth: '1.200000000003' });
    clock.set('2026-03-01T00:00:01Z');
    expect(await leaseAndReport('fal_ai', { success: true, costUsd: '0.05' })).toMatchObject({ spendToday: '0.05', spendMonth: '0.05' });
  });

  it('flips spend_limit_exceeded once, blocks a `block` key, and re-arms in the next period', async () => {
    const id = await pool.addKey('openrouter', { spend_limit_amount: 1, spend_limit_period: 'daily', spend_limit_action: 'block' });
    await settled(); // the creation's own spend-limit event is not a flip
    events.length = 0;
    expect(await leaseAndReport('openrouter', { success: true, costUsd: '0.6' })).toMatchObject({ spendLimitExceeded: false });
    expect(await leaseAndReport('openrouter', { success: true, costUsd: '0.4' })).toMatchObject({ spendLimitExceeded: true, spendToday: '1' });
    const flips = (await settled()).filter((e) => e.type === 'integration.spend_limit_changed');
    expect(flips).toHaveLength(1);
    expect(flips[0]).toMatchObject({ exceeded: true, previousExceeded: false, action: 'block', amount: '1', period: 'daily', usage: '1', integration: { id } });
    const blocked = await pool.lease('openrouter');
    expect(blocked.errors?.[0].extensions).toMatchObject({ skipped: [{ integrationId: id, reason: 'spend_blocked', until: '2026-02-27T00:00:00Z' }] });
    clock.set('2026-02-27T00:00:05Z');
    const next = await pool.leaseOk('openrouter');
    expect(next.integration.id).toBe(id);
    expect((await t.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration).toMatchObject({ spend_limit_exceeded: false, spend_today: 0 });
  });

  it('judges a changed spend limit at once, and publishes nothing when the same limit is sent again', async () => {
    const id = await pool.addKey('deepseek', { spend_limit_amount: 1, spend_limit_period: 'daily', spend_limit_action: 'block' });
    expect(await leaseAndReport('deepseek', { success: true, costUsd: '1.5' })).toMatchObject({ spendLimitExceeded: true });
    await settled();
    events.length = 0;
    const spendEvents = async () => (await settled()).filter((e) => e.type === 'integration.spend_limit_changed');
    // The same amount, written another way: nothing changed, so no event and the flag stays.
    expect(await pool.patch(id, { spend_limit_amount: 1.0, spend_limit_period: 'daily' })).toMatchObject({ status: 200, body: { integration: { spend_limit_exceeded: true } } });
    expect(await spendEvents()).toEqual([]);
    // Raised above what was spent: judged in the same write, one event, the key serves again.
    expect(await pool.update(id, { spendLimitAmount: '2' })).toMatchObject({ spendLimitExceeded: false });
    expect(await spendEvents()).toEqual([expect.objectContaining({ exceeded: false, previousExceeded: true, amount: '2', usage: '1.5', integration: expect.objectContaining({ id }) })]);
    expect((await pool.leaseOk('deepseek')).integration.id).toBe(id);
  });

  it('only warns with a `warn` key: it stays in the pool', async () => {
    const id = await pool.addKey('cohere', { spend_limit_amount: 0.5, spend_limit_action: 'warn' });
    expect(await leaseAndReport('cohere', { success: true, costUsd: '0.75' })).toMatchObject({ spendLimitExceeded: true });
    expect((await pool.leaseOk('cohere')).integration.id).toBe(id);
  });
});

describe('plaintext', () => {
  it('appears only in the lease response: never in reports, reads or events', async () => {
    const id = await pool.addKey('groq');
    const lease = await pool.leaseOk('groq');
    const secret = String(lease.credentials.api_key);
    const report = await pool.report({ leaseId: lease.leaseId, success: false, statusCode: 401 });
    const read = await t.rest('GET', `/api/v1/integrations/${id}`, { token });
    expect(read.body.integration.key_preview.api_key).toMatch(/^groq\.\.\.789$/);
    const published = await settled();
    for (const text of [JSON.stringify(report), JSON.stringify(read.body), JSON.stringify(published)]) expect(text).not.toContain(secret);
    expect(published.some((e) => e.type === 'integration.health_changed')).toBe(true);
  });
});
