/**
 * An operator's hands on a key: end a cooldown now, or probe an unhealthy key with the next lease;
 * both instances serve the key as changed at once, and each action is in the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TwoInstances } from '../support/harness.js';

let two: TwoInstances;
const clock = new ManualClock(new Date('2026-12-05T10:00:00Z'));
beforeAll(async () => {
  two = await startTwoInstances('Hands on', clock);
});
afterAll(() => two.close());

const rest = (app: 'a' | 'b', method: string, path: string, body?: unknown) => two[app].rest(method, path, { token: two.token, body });
const addKey = async (provider: string) => {
  const res = await rest('a', 'POST', '/api/v1/integrations', { provider_name: provider, credentials: { api_key: `${provider}-recovery-${Math.random()}-0123456789` } });
  expect(res.status).toBe(201);
  return res.body.integration.id as number;
};
const lease = (app: 'a' | 'b', provider: string) => rest(app, 'POST', '/api/v1/integrations/lease', { provider_name: provider });
const report = (leaseId: string, body: Record<string, unknown>) => rest('a', 'POST', '/api/v1/integrations/usage', { lease_id: leaseId, ...body });

describe('a key\'s recovery by hand', () => {
  it('resets a 429\'s cooldown: both instances lease the key again at once, and the trail says who did it', async () => {
    const id = await addKey('groq');
    const first = await lease('a', 'groq');
    expect((await report(first.body.lease.lease_id, { success: false, status_code: 429, error_type: 'rate_limited', retry_after_seconds: 600 })).status).toBe(200);
    expect((await lease('a', 'groq')).status).toBe(429);
    expect((await lease('b', 'groq')).status).toBe(429);
    const reset = await rest('b', 'POST', `/api/v1/integrations/${id}/reset-cooldown`);
    expect(reset.body).toMatchObject({ success: true, integration: { id, health_status: 'healthy' } });
    const state = await two.a.gql<any, Record<string, never>>(`{ integration(id: ${id}) { cooldownUntil } }`, {}, two.token);
    expect(state.data.integration).toEqual({ cooldownUntil: null });
    expect((await lease('a', 'groq')).status).toBe(200);
    expect((await lease('b', 'groq')).status).toBe(200);
    const trail = await rest('a', 'GET', `/api/v1/audit-log?resource=integration&resource_id=${id}&action=cooldown_reset`);
    expect(trail.body.entries).toMatchObject([{ actor_kind: 'brand_token', changes: { cooldown_until: { old: '2026-12-05T10:10:00.000Z', new: null } } }]);
    expect(await rest('a', 'POST', `/api/v1/integrations/${id}/reset-cooldown`)).toMatchObject({ status: 400, body: { success: false, error: 'This key is not cooling down: there is no cooldown to reset' } });
  });

  it('re-probes an unhealthy key now: the next lease is its probe, and a success heals it', async () => {
    const id = await addKey('mistral');
    const first = await lease('a', 'mistral');
    await report(first.body.lease.lease_id, { success: false, status_code: 401, error_type: 'auth_error' });
    const refused = await lease('b', 'mistral');
    expect(refused.status).toBe(429);
    const probe = await two.b.gql<any, Record<string, never>>(`mutation { reprobeIntegration(id: ${id}) { id healthStatus probeDueAt } }`, {}, two.token);
    expect(probe.data.reprobeIntegration).toEqual({ id, healthStatus: 'UNHEALTHY', probeDueAt: '2026-12-05T10:00:00.000Z' });
    const probed = await lease('a', 'mistral');
    expect(probed.status).toBe(200);
    await report(probed.body.lease.lease_id, { success: true });
    const healed = await two.b.gql<any, Record<string, never>>(`{ integration(id: ${id}) { healthStatus probeDueAt } }`, {}, two.token);
    expect(healed.data.integration).toEqual({ healthStatus: 'HEALTHY', probeDueAt: null });
    const trail = await two.a.gql<any, Record<string, never>>(`{ auditLog(filter: { resourceId: "${id}", action: "reprobe_requested" }) { items { actorKind changes } } }`, {}, two.token);
    expect(trail.data.auditLog.items).toMatchObject([{ actorKind: 'brand_token', changes: { probe_due_at: { new: '2026-12-05T10:00:00.000Z' } } }]);
    const again = await two.a.gql<any, Record<string, never>>(`mutation { reprobeIntegration(id: ${id}) { id } }`, {}, two.token);
    expect(again.errors?.[0]).toMatchObject({ message: 'Only an unhealthy key is probed: this key is healthy', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('answers 404 for another brand\'s key or none', async () => {
    expect((await rest('a', 'POST', '/api/v1/integrations/999999/reprobe')).status).toBe(404);
    expect((await rest('a', 'POST', '/api/v1/integrations/abc/reset-cooldown')).status).toBe(400);
  });
});
