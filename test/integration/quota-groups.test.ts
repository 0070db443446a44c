/**
 * Quota groups: keys that share one provider quota draw from the group's limits together, on two
 * instances of one database, with concurrent leases; a group's limit refuses every member at once
 * and says so; a report's tokens replace the estimate on the group as on the key; deleting the
 * group frees its keys. Over REST and GraphQL, with their errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TestApp, type TwoInstances } from '../support/harness.js';

const clock = new ManualClock('2026-03-10T12:00:05Z');
let a: TestApp;
let b: TestApp;
let token: string;
let instances: TwoInstances;
beforeAll(async () => {
  instances = await startTwoInstances('Quota groups', clock);
  ({ a, b, token } = instances);
});
afterAll(() => instances.close());

let seq = 0;
async function addKeys(provider: string, n: number, settings: Record<string, unknown>): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: provider, credentials: { api_key: `key-${provider}-${seq++}-0123456789abcdef` }, ...settings } });
    expect(res.status).toBe(201);
    ids.push(res.body.integration.id);
  }
  return ids;
}
const lease = (t: TestApp, provider: string, extra: Record<string, unknown> = {}) =>
  t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider, ...extra } });
const group = async (name: string) => (await a.rest('GET', `/api/v1/quota-groups/${name}`, { token })).body.quota_group;

describe('managing groups', () => {
  it('creates, reads, changes and deletes a group over REST, and says what is wrong', async () => {
    const created = await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'acct-1', minute_limit: 20, daily_reset_zone: 'America/Los_Angeles' } });
    expect(created.status).toBe(201);
    expect(created.body.quota_group).toMatchObject({ name: 'acct-1', minute_limit: 20, daily_limit: null, token_minute_limit: null, daily_reset_zone: 'America/Los_Angeles', integration_ids: [] });
    expect((await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'acct-1' } })).status).toBe(409);
    const badName = await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'no spaces please' } });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toBe('name must be 1 to 64 letters, digits, dots, dashes or underscores');
    const badLimit = await a.rest('PATCH', '/api/v1/quota-groups/acct-1', { token, body: { token_daily_limit: 0 } });
    expect(badLimit.body.error).toMatch(/^token_daily_limit must be a whole number from 1/);
    expect((await a.rest('PATCH', '/api/v1/quota-groups/acct-1', { token, body: { nope: 1 } })).status).toBe(400);
    const changed = await a.rest('PATCH', '/api/v1/quota-groups/acct-1', { token, body: { minute_limit: null, token_daily_limit: 50000 } });
    expect(changed.body.quota_group).toMatchObject({ minute_limit: null, token_daily_limit: 50000 });
    expect((await a.rest('GET', '/api/v1/quota-groups/nothing-here', { token })).status).toBe(404);
    const joinMissing = await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: 'gsk_missing_group_0123456789' }, quota_group: 'nothing-here' } });
    expect(joinMissing.status).toBe(400);
    expect(joinMissing.body.error).toMatch(/^quota_group names no quota group of this brand/);
    expect((await a.rest('DELETE', '/api/v1/quota-groups/acct-1', { token })).status).toBe(200);
    expect((await a.rest('GET', '/api/v1/quota-groups', { token })).body.quota_groups).toEqual([]);
  });

  it('does the same over GraphQL', async () => {
    const created = await a.gql(`mutation { createQuotaGroup(name: "proj-g", input: { dailyLimit: 100 }) { name dailyLimit dailyResetZone integrationIds } }`, {}, token);
    expect(created.errors).toBeUndefined();
    expect((created.data as { createQuotaGroup: unknown }).createQuotaGroup).toEqual({ name: 'proj-g', dailyLimit: 100, dailyResetZone: 'UTC', integrationIds: [] });
    const bad = await a.gql(`mutation { updateQuotaGroup(name: "proj-g", input: { dailyResetZone: "Nowhere/Land" }) { name } }`, {}, token);
    expect(bad.errors?.[0].message).toBe('dailyResetZone must be an IANA time zone, e.g. America/Los_Angeles or UTC');
    const [id] = await addKeys('openrouter', 1, {});
    const joined = await a.gql(`mutation($id: Int!) { updateIntegration(id: $id, input: { quotaGroup: "proj-g" }) { quotaGroup } }`, { id }, token);
    expect((joined.data as { updateIntegration: unknown }).updateIntegration).toEqual({ quotaGroup: 'proj-g' });
    const listed = await a.gql('{ quotaGroups { name integrationIds } }', {}, token);
    expect((listed.data as { quotaGroups: unknown }).quotaGroups).toEqual([{ name: 'proj-g', integrationIds: [id] }]);
    await a.gql(`mutation { deleteQuotaGroup(name: "proj-g") { name } }`, {}, token);
    expect((await a.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration.quota_group).toBeNull();
  });
});

describe('drawing from a group', () => {
  it('holds three keys to the group\'s daily limit together, however many instances lease them', async () => {
    await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'gemini-project', daily_limit: 5 } });
    const ids = await addKeys('gemini', 3, { quota_group: 'gemini-project' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => lease(i % 2 ? a : b, 'gemini')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = results.find((r) => r.status === 429)!;
    // Every member refused by the group, with the group's reset (UTC midnight: the group's zone).
    expect(refused.body.skipped).toEqual(ids.map((id) => ({ integration_id: id, reason: 'group_daily_limit', until: '2026-03-11T00:00:00Z', group: 'gemini-project' })));
    expect(refused.body.error).toMatch(/quota group gemini-project daily limit reached until 2026-03-11T00:00:00Z/);
    expect(await group('gemini-project')).toMatchObject({ daily_count: 5, integration_ids: ids });
  });

  it('reserves tokens on the group and puts the reported ones in their place', async () => {
    await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'or-account', token_minute_limit: 1000 } });
    await addKeys('together', 2, { quota_group: 'or-account' });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => lease(i % 2 ? a : b, 'together', { estimated_tokens: 100 })));
    const granted = results.filter((r) => r.status === 200);
    expect(granted).toHaveLength(10);
    expect(await group('or-account')).toMatchObject({ token_minute_count: 1000 });
    // Each call used 40: 600 come back.
    await Promise.all(granted.map((r, i) => (i % 2 ? a : b).rest('POST', '/api/v1/integrations/usage', {
      token, body: { lease_id: r.body.lease.lease_id, success: true, prompt_tokens: 30, completion_tokens: 10 },
    })));
    expect(await group('or-account')).toMatchObject({ token_minute_count: 400 });
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => lease(i % 2 ? b : a, 'together', { estimated_tokens: 100 })));
    expect(more.filter((r) => r.status === 200)).toHaveLength(6);
  });

  it('frees its keys when the group is deleted', async () => {
    await a.rest('POST', '/api/v1/quota-groups', { token, body: { name: 'tiny', minute_limit: 1 } });
    await addKeys('cohere', 1, { quota_group: 'tiny' });
    expect((await lease(a, 'cohere')).status).toBe(200);
    expect((await lease(b, 'cohere')).status).toBe(429);
    await a.rest('DELETE', '/api/v1/quota-groups/tiny', { token });
    expect((await lease(a, 'cohere')).status).toBe(200);
    expect((await lease(b, 'cohere')).status).toBe(200);
  });
});
