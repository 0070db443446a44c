/**
 * Token and concurrency limits per key, on two instances of one database: a lease reserves its
 * estimated tokens with its request, a report puts the tokens it used in place of the estimate,
 * and a lease not yet reported holds one of the key's concurrent slots until its report or expiry.
 * Concurrent leases through both instances never pass a limit.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TestApp, type TwoInstances } from '../support/harness.js';

const clock = new ManualClock('2026-03-10T12:00:10Z');
let a: TestApp;
let b: TestApp;
let token: string;
let instances: TwoInstances;
beforeAll(async () => {
  instances = await startTwoInstances('Token limits', clock);
  ({ a, b, token } = instances);
});
afterAll(() => instances.close());

let keyNumber = 0;
/** A key of its own provider (a custom one would need a base URL): each test uses a provider no other test does. */
async function addKey(provider: string, settings: Record<string, unknown>): Promise<number> {
  const res = await a.rest('POST', '/api/v1/integrations', {
    token, body: { provider_name: provider, credentials: { api_key: `key-${provider}-${keyNumber++}-0123456789abcdef` }, ...settings },
  });
  expect(res.status).toBe(201);
  return res.body.integration.id;
}
const lease = (t: TestApp, provider: string, extra: Record<string, unknown> = {}) =>
  t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider, ...extra } });
const report = (t: TestApp, leaseId: string, extra: Record<string, unknown> = {}) =>
  t.rest('POST', '/api/v1/integrations/usage', { token, body: { lease_id: leaseId, success: true, ...extra } });
const keyOf = async (id: number) => (await a.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration;

describe('settings', () => {
  it('takes, shows and clears the limits over REST and GraphQL', async () => {
    const id = await addKey('groq', { token_minute_limit: 6000, token_daily_limit: 500000, concurrency_limit: 2 });
    expect(await keyOf(id)).toMatchObject({
      token_minute_limit: 6000, token_minute_count: 0, token_daily_limit: 500000, token_daily_count: 0, concurrency_limit: 2, open_leases: 0,
    });
    const cleared = await a.rest('PATCH', `/api/v1/integrations/${id}`, { token, body: { token_minute_limit: null, concurrency_limit: 5 } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.integration).toMatchObject({ token_minute_limit: null, token_daily_limit: 500000, concurrency_limit: 5 });
    const gql = await a.gql(
      `mutation($id: Int!) { updateIntegration(id: $id, input: { tokenMinuteLimit: 1000, tokenDailyLimit: null }) { tokenMinuteLimit tokenDailyLimit concurrencyLimit openLeases } }`,
      { id }, token,
    );
    expect(gql.errors).toBeUndefined();
    expect((gql.data as { updateIntegration: unknown }).updateIntegration).toEqual({ tokenMinuteLimit: 1000, tokenDailyLimit: null, concurrencyLimit: 5, openLeases: 0 });
    await a.rest('DELETE', `/api/v1/integrations/${id}`, { token });
  });

  it('refuses a limit that is not a whole number, naming the field in the caller\'s dialect', async () => {
    const rest = await a.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: 'gsk_bad_limit_0123456789' }, token_minute_limit: -1 } });
    expect(rest.status).toBe(400);
    expect(rest.body.error).toMatch(/token_minute_limit/);
    const gql = await a.gql(`mutation { createIntegration(input: { providerName: "groq", credentials: { api_key: "gsk_bad_limit_0123456789" }, concurrencyLimit: -2 }) { id } }`, {}, token);
    expect(gql.errors?.[0].message).toMatch(/concurrencyLimit/);
    const estimate = await lease(a, 'groq', { estimated_tokens: 'lots' });
    expect(estimate.status).toBe(400);
    expect(estimate.body.error).toMatch(/estimated_tokens must be a whole number/);
  });
});

describe('token limits', () => {
  it('reserves the estimate, reconciles it from the report, and refuses what does not fit', async () => {
    const id = await addKey('cerebras', { token_minute_limit: 1000 });
    const first = await lease(a, 'cerebras', { estimated_tokens: 600 });
    expect(first.status).toBe(200);
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 600 });
    // 600 reserved: 500 more do not fit this minute, on either instance.
    const refused = await lease(b, 'cerebras', { estimated_tokens: 500 });
    expect(refused.status).toBe(429);
    expect(refused.body.skipped).toEqual([{ integration_id: id, reason: 'token_minute_limit', until: '2026-03-10T12:01:00Z' }]);
    // The call used 150: the rest of the estimate comes back.
    expect((await report(a, first.body.lease.lease_id, { prompt_tokens: 100, completion_tokens: 50 })).status).toBe(200);
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 150 });
    const second = await lease(b, 'cerebras', { estimated_tokens: 500 });
    expect(second.status).toBe(200);
    // A report without tokens keeps the estimate.
    await report(b, second.body.lease.lease_id);
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 650, token_daily_count: 650 });
    // A request the provider refused (a 4xx: here the caller's 400, which costs the key nothing) used none: its estimate comes back.
    const third = await lease(a, 'cerebras', { estimated_tokens: 300 });
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 950 });
    await report(a, third.body.lease.lease_id, { success: false, status_code: 400 });
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 650 });
    // An estimate larger than the whole limit never fits: no time to wait for.
    const never = await lease(a, 'cerebras', { estimated_tokens: 1001 });
    expect(never.status).toBe(429);
    expect(never.body.skipped).toEqual([{ integration_id: id, reason: 'token_minute_limit', until: null }]);
    expect(never.body.error).toMatch(/estimated tokens exceed its token minute limit/);
    // A new minute starts over.
    clock.advance(60_000);
    expect((await lease(a, 'cerebras', { estimated_tokens: 1000 })).status).toBe(200);
  });

  it('never passes a token limit with concurrent leases through two instances', async () => {
    const id = await addKey('mistral', { token_minute_limit: 10_000, token_daily_limit: 7_000 });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => lease(i % 2 ? a : b, 'mistral', { estimated_tokens: 300 })));
    const granted = results.filter((r) => r.status === 200);
    // 7,000 a day: 23 leases of 300.
    expect(granted.length).toBe(23);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 429 && r.body.skipped[0].reason === 'token_daily_limit')).toBe(true);
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 6900, token_daily_count: 6900 });
  });

  it('takes the estimate on GraphQL\'s leaseKey too, and says why it refused', async () => {
    const id = await addKey('sambanova', { token_minute_limit: 500 });
    const leaseKey = (t: TestApp, estimatedTokens: number) =>
      t.gql('mutation($n: Int) { leaseKey(input: { providerName: "sambanova", estimatedTokens: $n }) { leaseId integration { tokenMinuteCount } } }', { n: estimatedTokens }, token);
    const granted = await leaseKey(a, 400);
    expect(granted.errors).toBeUndefined();
    expect((granted.data as { leaseKey: { integration: unknown } }).leaseKey.integration).toEqual({ tokenMinuteCount: 400 });
    const refused = await leaseKey(b, 200);
    expect(refused.errors?.[0].extensions?.code).toBe('NO_KEY_AVAILABLE');
    expect(refused.errors?.[0].message).toMatch(new RegExp(`#${id} token minute limit reached until 2026-03-10T12:0\\d:00Z`));
    const negative = await leaseKey(a, -1);
    expect(negative.errors?.[0].message).toBe('estimatedTokens must be a whole number from 0 to 100000000');
  });

  it('counts a probe\'s or an unestimated lease\'s reported tokens against the limits', async () => {
    const id = await addKey('deepseek', { token_minute_limit: 100 });
    const plain = await lease(a, 'deepseek');
    expect(plain.status).toBe(200);
    await report(a, plain.body.lease.lease_id, { prompt_tokens: 70, completion_tokens: 30 });
    expect(await keyOf(id)).toMatchObject({ token_minute_count: 100 });
    const refused = await lease(b, 'deepseek');
    expect(refused.status).toBe(429);
    expect(refused.body.skipped[0].reason).toBe('token_minute_limit');
  });
});

describe('concurrency limits', () => {
  it('holds a slot per lease until its report or its expiry, across instances', async () => {
    const id = await addKey('together', { concurrency_limit: 2 });
    const one = await lease(a, 'together');
    const two = await lease(b, 'together');
    expect([one.status, two.status]).toEqual([200, 200]);
    const refused = await lease(a, 'together');
    expect(refused.status).toBe(429);
    expect(refused.body.skipped).toEqual([{ integration_id: id, reason: 'concurrency_limit', until: one.body.lease.expires_at }]);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await keyOf(id)).toMatchObject({ open_leases: 2 });
    // A report frees its slot, on whichever instance.
    expect((await report(b, one.body.lease.lease_id)).status).toBe(200);
    const three = await lease(b, 'together');
    expect(three.status).toBe(200);
    // An expired lease frees its slot by itself.
    clock.advance(10 * 60_000);
    const four = await lease(a, 'together');
    expect(four.status).toBe(200);
    expect((await keyOf(id)).open_leases).toBe(1);
  });

  it('never passes the concurrency limit with concurrent leases through two instances', async () => {
    await addKey('fireworks', { concurrency_limit: 3 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => lease(i % 2 ? a : b, 'fireworks')));
    const granted = results.filter((r) => r.status === 200);
    expect(granted.length).toBe(3);
    // Reported, they free their slots: three more.
    await Promise.all(granted.map((r, i) => report(i % 2 ? a : b, r.body.lease.lease_id)));
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => lease(i % 2 ? b : a, 'fireworks')));
    expect(again.filter((r) => r.status === 200).length).toBe(3);
  });
});

describe('when the database drops every connection mid-load', () => {
  it('answers every lease and report with a success, a refusal or a 503, never passes a limit, and serves again', async () => {
    const id = await addKey('nebius', { token_minute_limit: 3000, concurrency_limit: 4 });
    const admin = new pg.Client({ connectionString: a.databaseUrl });
    await admin.connect();
    try {
      const cycles = Array.from({ length: 40 }, async (_, i) => {
        const t = i % 2 ? a : b;
        const leased = await lease(t, 'nebius', { estimated_tokens: 100 });
        if (leased.status !== 200) return [leased.status];
        const reported = await report(t, leased.body.lease.lease_id, { prompt_tokens: 60, completion_tokens: 20 });
        return [leased.status, reported.status];
      });
      // Every backend but ours goes, again and again, while the cycles run.
      let done = false;
      const all = Promise.all(cycles).finally(() => (done = true));
      let terminated = 0;
      while (!done) {
        terminated += (await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`)).rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const statuses = (await all).flat();
      expect(terminated).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 429 || s === 503), JSON.stringify(statuses)).toBe(true);
    } finally {
      await admin.end();
    }
    // The key never held more than its limits: open leases within the concurrency limit, tokens within the minute's.
    const { rows } = await a.app.sqlPool.query('select open_leases, token_minute_count::int from integration where id = $1', [id]);
    expect(rows[0].open_leases).toBeLessThanOrEqual(4);
    expect(rows[0].token_minute_count).toBeLessThanOrEqual(3000);
    // Both instances serve the key again (a lease a dropped connection left open frees up at its expiry).
    clock.advance(10 * 60_000);
    for (const t of [a, b]) {
      const again = await lease(t, 'nebius', { estimated_tokens: 100 });
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect((await report(t, again.body.lease.lease_id, { prompt_tokens: 50, completion_tokens: 10 })).status).toBe(200);
    }
  });
});
