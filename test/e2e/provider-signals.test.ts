/**
 * The providers' own signals drive what happens to a key (src/modules/pool/provider-signals.ts,
 * keypool_health): a report may carry the upstream's response headers and a failure's body
 * (`response_headers`, `error_body` on the v1 usage route; `responseHeaders`, `errorBody` in
 * GraphQL), and the gateway passes its upstream's itself. A dead credential is out at once with
 * the provider's reason, a spent daily quota parks the key until the provider's reset, a rate
 * limit rests it for the stated delay (never shortened), an overloaded provider costs the key
 * nothing, and a success whose budget is spent rests the key before the provider refuses it.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IntegrationEvent } from '../../src/modules/keys/index.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { testConfig } from '../support/config.js';
import { collectEvents } from '../support/events.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const clock = new ManualClock('2026-03-10T12:00:00Z');
let t: TestApp;
let fake: FakeOpenAi;
let token: string;
let brandId: string;
let collected: ReturnType<typeof collectEvents>;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await createTestApp({ clock, config: { gateway: { ...testConfig().gateway, baseUrls: { groq: fake.url, google_ai: fake.url } } } });
  ({ token, brandId } = await t.createBrand('Signals'));
  collected = collectEvents(t);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => clock.set('2026-03-10T12:00:00Z'));

/** A brand-new key of the provider, the only one its group will lease (each test uses its own provider or removes the others). */
async function onlyKey(provider: string): Promise<{ id: number; apiKey: string }> {
  const list = await t.rest('GET', `/api/v1/integrations?provider_name=${provider}&limit=100`, { token });
  for (const k of list.body.integrations ?? []) await t.rest('DELETE', `/api/v1/integrations/${k.id}`, { token });
  const apiKey = `${provider}-signals-${++seq}-0123456789`;
  const res = await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: provider, credentials: { api_key: apiKey } } });
  expect(res.status).toBe(201);
  return { id: res.body.integration.id, apiKey };
}
async function leaseId(provider: string): Promise<string> {
  const res = await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: provider } });
  expect(res.status).toBe(200);
  return res.body.lease.lease_id;
}
const report = (lease: string, body: Record<string, unknown>) => t.rest('POST', '/api/v1/integrations/usage', { token, body: { lease_id: lease, ...body } });
/** The key as GraphQL shows it (the v1 document has no cooldown field). */
const key = async (id: number) => {
  const res = await t.gql(`query($id: Int!) { integration(id: $id) { healthStatus consecutiveFailures cooldownUntil } }`, { id }, token);
  const k = (res.data as { integration: { healthStatus: string; consecutiveFailures: number; cooldownUntil: string | null } }).integration;
  return { health_status: String(k.healthStatus).toLowerCase(), consecutive_failures: k.consecutiveFailures, cooldown_until: k.cooldownUntil && String(k.cooldownUntil).replace('.000Z', 'Z') };
};
const json = (value: unknown) => JSON.stringify(value);

describe('reports with the provider\'s own words (v1 usage route)', () => {
  it('parks a key whose Gemini daily quota is spent until midnight in Los Angeles, and says when it frees up', async () => {
    const { id } = await onlyKey('google_ai');
    const quota = [{ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] },
    ] } }];
    expect((await report(await leaseId('google_ai'), { success: false, status_code: 429, error_body: quota })).status).toBe(200);
    expect(await key(id)).toMatchObject({ health_status: 'healthy', cooldown_until: '2026-03-11T07:00:00Z' });
    const refused = await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'google_ai' } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ retry_at: '2026-03-11T07:00:00Z', skipped: [{ integration_id: id, reason: 'cooling_down', until: '2026-03-11T07:00:00Z' }] });
    // After the reset the key serves again by itself.
    clock.set('2026-03-11T07:00:01Z');
    expect(await leaseId('google_ai')).toBeTruthy();
  });

  it('knows the key\'s provider even when this instance\'s copy of its keys was dropped between lease and report', async () => {
    const { id } = await onlyKey('google_ai');
    const lease = await leaseId('google_ai');
    // What a key event arriving from any instance does to the copy.
    t.app.services.leases.forgetKeys();
    const quota = [{ error: { code: 429, details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProject-FreeTier' }] }] } }];
    expect((await report(lease, { success: false, status_code: 429, error_body: quota })).status).toBe(200);
    expect((await key(id)).cooldown_until).toBe('2026-03-11T07:00:00Z');
  });

  it('takes a dead credential out at once with the provider\'s reason (Gemini\'s API_KEY_INVALID is a 400)', async () => {
    const { id } = await onlyKey('google_ai');
    collected.events.length = 0;
    const invalid = [{ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } }];
    expect((await report(await leaseId('google_ai'), { success: false, status_code: 400, error_body: json(invalid) })).status).toBe(200);
    expect(await key(id)).toMatchObject({ health_status: 'unhealthy' });
    const published = await collected.settled(brandId);
    const event = published.find((e): e is Extract<IntegrationEvent, { type: 'integration.health_changed' }> => e.type === 'integration.health_changed' && e.integration.id === id);
    expect(event?.reason).toBe('provider rejected the key (HTTP 400 API_KEY_INVALID)');
  });

  it('rests every key of an overloaded provider for the stated delay, with no penalty on any', async () => {
    const { id } = await onlyKey('groq');
    const other = (await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: `groq-signals-${++seq}-0123456789` } } })).body.integration.id as number;
    const lease = await leaseId('groq');
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect((await report(lease, { success: false, status_code: 529, error_body: overloaded, response_headers: { 'retry-after': '10' } })).status).toBe(200);
    for (const k of [id, other]) expect(await key(k)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, cooldown_until: '2026-03-10T12:00:10Z' });
    const refused = await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq' } });
    expect(refused.status).toBe(429);
    expect(refused.body.retry_at).toBe('2026-03-10T12:00:10Z');
    // A 503 that says so rests them too (5 s when no delay is stated), and never shortens the rest.
    clock.set('2026-03-10T12:00:11Z');
    expect((await report(await leaseId('groq'), { success: false, status_code: 503, error_body: { error: { message: 'The server is overloaded' } } })).status).toBe(200);
    for (const k of [id, other]) expect(await key(k)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, cooldown_until: '2026-03-10T12:00:16Z' });
  });

  it('rests the whole provider when half its keys (three at least) are rate limited within ten seconds', async () => {
    const first = await onlyKey('groq');
    const ids = [first.id];
    for (let i = 0; i < 3; i++) {
      ids.push((await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: `groq-signals-${++seq}-0123456789` } } })).body.integration.id);
    }
    // Three different keys refused within ten seconds, each saying 20 s.
    const leased: number[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await t.app.services.leases.leaseKey(brandId, { providerName: 'groq', excludeIntegrationIds: leased });
      if (outcome.kind !== 'leased') throw new Error(outcome.kind);
      leased.push(outcome.lease.integrationId);
      clock.advance(3000);
      expect((await report(outcome.lease.leaseId, { success: false, status_code: 429, response_headers: { 'retry-after': '20' } })).status).toBe(200);
      const untouched = ids.filter((id) => !leased.includes(id));
      // Until the third, the keys not refused are untouched.
      if (i < 2) for (const id of untouched) expect((await key(id)).cooldown_until).toBeNull();
    }
    // The third rests every key of the provider, the one never refused too, and none loses health.
    for (const id of ids) expect(await key(id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, cooldown_until: '2026-03-10T12:00:29Z' });
  });

  it('answers a taken report even when the provider\'s backoff after it cannot be written (its connection terminated)', async () => {
    const ids = [(await onlyKey('groq')).id];
    ids.push((await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: `groq-signals-${++seq}-0123456789` } } })).body.integration.id);
    const leased = (await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq' } })).body.lease;
    const lease = leased.lease_id as string;
    const id = leased.integration_id as number;
    const other = ids.find((k) => k !== id)!;
    // The key not leased is held, so the backoff waits for it after the report has committed; then its connection goes.
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from integration where id = $1 for update', [other]);
      const answer = report(lease, { success: false, status_code: 529, error_body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
      // Watched from outside the holder's transaction (pg_stat_activity is read once per transaction).
      await expect.poll(async () => (await t.app.sqlPool.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%greatest(i.cooldown_until%'`)).rows[0].n, { timeout: 10_000 }).toBe(1);
      await holder.query(`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`);
      expect((await answer).status).toBe(200);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    // Taken once: the same lease again is a conflict (once the pool has its connections back: a request that meets a
    // terminated one is a 503, as the README says), and the key kept its health.
    await expect.poll(async () => (await report(lease, { success: true })).status, { timeout: 10_000 }).not.toBe(503);
    expect((await report(lease, { success: true })).status).toBe(409);
    expect(await key(id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0 });
  });

  it('costs the key nothing for a caller\'s bad request', async () => {
    const { id } = await onlyKey('groq');
    expect((await report(await leaseId('groq'), { success: false, status_code: 400, error_body: { error: { message: 'This model\'s maximum context length is 8192 tokens' } } })).status).toBe(200);
    expect(await key(id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, cooldown_until: null });
  });

  it('rests a rate-limited key for the stated delay, and never shortens a rest', async () => {
    const { id } = await onlyKey('groq');
    // Two leases of the key, taken before either is reported.
    const [first, second] = [await leaseId('groq'), await leaseId('groq')];
    const retryInfo = { error: { code: 429, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '120s' }] } };
    expect((await report(first, { success: false, status_code: 429, error_body: retryInfo })).status).toBe(200);
    expect((await key(id)).cooldown_until).toBe('2026-03-10T12:02:00Z');
    // The second says 5 s: the longer rest stays.
    clock.advance(1000);
    expect((await report(second, { success: false, status_code: 429, retry_after_seconds: 5 })).status).toBe(200);
    expect((await key(id)).cooldown_until).toBe('2026-03-10T12:02:00Z');
    // A longer one extends it (Retry-After among the response headers, in any case).
    const third = await leaseIdAt('2026-03-10T12:02:01Z');
    expect((await report(third, { success: false, status_code: 429, response_headers: { 'Retry-After': '600' } })).status).toBe(200);
    expect((await key(id)).cooldown_until).toBe('2026-03-10T12:12:01Z');
  });

  it('rests a key after a success that spent its budget, until the budget resets', async () => {
    const { id } = await onlyKey('groq');
    const res = await report(await leaseId('groq'), {
      success: true, response_headers: { 'x-ratelimit-limit-requests': '30', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '45s', server: 'fake' },
    });
    expect(res.status).toBe(200);
    expect(res.body.integration).toMatchObject({ health_status: 'healthy' });
    expect((await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'groq' } })).status).toBe(429);
    expect(await key(id)).toMatchObject({ cooldown_until: '2026-03-10T12:00:45Z' });
  });

  it('refuses malformed headers and bodies with a 400 that names the field', async () => {
    await onlyKey('groq');
    const lease = await leaseId('groq');
    const cases: [Record<string, unknown>, string][] = [
      [{ success: false, status_code: 429, response_headers: ['retry-after: 5'] }, 'response_headers must be an object of header names to string values'],
      [{ success: false, status_code: 429, response_headers: { 'retry-after': 5 } }, 'response_headers must map each header name (at most 256 characters) to a string of at most 8192 characters'],
      [{ success: false, status_code: 500, error_body: 'x'.repeat(16_385) }, 'error_body must be at most 16384 bytes'],
      [{ success: true, error_body: 'nope' }, 'error_body is only for failures (success: false)'],
    ];
    for (const [body, message] of cases) {
      const res = await report(lease, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: message });
    }
    // The lease was not spent by the refusals.
    expect((await report(lease, { success: true })).status).toBe(200);
  });

  it('takes the same over GraphQL', async () => {
    const { id } = await onlyKey('groq');
    const res = await t.gql(`mutation($input: ReportKeyUsageInput!) { reportKeyUsage(input: $input) { id cooldownUntil healthStatus } }`, {
      input: { leaseId: await leaseId('groq'), success: false, statusCode: 429, responseHeaders: { 'retry-after': '30' }, errorBody: '{"error":{"message":"slow down"}}' },
    }, token);
    expect(res.errors).toBeUndefined();
    expect((res.data as { reportKeyUsage: unknown }).reportKeyUsage).toMatchObject({ id, cooldownUntil: '2026-03-10T12:00:30.000Z', healthStatus: 'HEALTHY' });
  });
});

describe('the gateway passes its upstream\'s signals', () => {
  it('rests a key by its upstream\'s RetryInfo and fails over to another key', async () => {
    const first = await onlyKey('groq');
    const second = `groq-signals-${++seq}-0123456789`;
    const other = await t.rest('POST', '/api/v1/integrations', { token, body: { provider_name: 'groq', credentials: { api_key: second } } });
    // The first key is tried first.
    expect((await t.rest('PATCH', `/api/v1/integrations/${first.id}`, { token, body: { is_primary: true } })).status).toBe(200);
    fake.behave(first.apiKey, { kind: 'status', status: 429, body: { error: { message: 'slow down', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '90s' }] } } });
    fake.behave(second, { kind: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(529);
    expect(res.headers.get('x-keypool-attempts')).toBe('2');
    await t.app.services.gateway.settled();
    // The 429's key rests 90 s; the 529 rests the whole provider 5 s, which does not shorten that, and costs the other key nothing.
    expect(await key(first.id)).toMatchObject({ cooldown_until: '2026-03-10T12:01:30Z', health_status: 'healthy' });
    expect(await key(other.body.integration.id)).toMatchObject({ cooldown_until: '2026-03-10T12:00:05Z', health_status: 'healthy', consecutive_failures: 0 });
  });
});

async function leaseIdAt(instant: string): Promise<string> {
  clock.set(instant);
  return leaseId('groq');
}
