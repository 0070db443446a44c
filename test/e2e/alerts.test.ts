/**
 * Alerts that reach people: webhooks configured over REST and GraphQL, deliveries signed in the
 * Standard Webhooks scheme (checked with its own library, as a receiver would), retried with
 * backoff and recorded, replayed by hand; and each rule raising its alert end to end: a key out of
 * the pool, a spend limit crossed, a provider with no key available, capacity running low,
 * billing drift against a provider's billing API (a local fake of OpenRouter's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { openRouterKey, startFakeBilling, type FakeBilling } from '../support/fake-billing.js';
import { FAST_ALERTS, testConfig } from '../support/config.js';

let t: TestApp;
let brand: { brandId: string; token: string };
let receiver: WebhookReceiver;
let billing: FakeBilling;

beforeAll(async () => {
  billing = await startFakeBilling('Bearer');
  t = await createTestApp({ config: { alerts: FAST_ALERTS, billing: { ...testConfig().billing, enabled: true, tickMs: 3_600_000, timeoutMs: 2000, openrouterUrl: billing.url } } });
  brand = await t.createBrand('Alerts');
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await t.close();
  await receiver.close();
  await billing.close();
});

const rest = (method: string, path: string, body?: unknown, token = brand.token) => t.rest(method, path, { body, token });
const deliveries = async (webhookId: string) => (await rest('GET', `/api/v1/alert-deliveries?webhook_id=${webhookId}`)).body.deliveries as any[];
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}
let n = 0;
const addKey = async (provider: string, extra: Record<string, unknown> = {}, apiKey = `${provider}-alert-key-${++n}-0123456789`) => {
  const res = await rest('POST', '/api/v1/integrations', { provider_name: provider, credentials: { api_key: apiKey }, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.integration.id as number, apiKey };
};
const lease = async (provider: string) => (await rest('POST', '/api/v1/integrations/lease', { provider_name: provider })).body.lease;

describe('alert webhooks over REST and GraphQL', () => {
  it('creates a webhook with a secret shown once, lists, changes and deletes it, each in both dialects', async () => {
    const created = await rest('POST', '/api/v1/alert-webhooks', { name: 'ops room', url: 'https://hooks.slack.com/services/T000/B000/XXXX', format: 'slack', rules: ['key_unavailable'] });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(created.body.webhook).toMatchObject({ name: 'ops room', url_preview: 'https://hooks.slack.com/…', format: 'slack', rules: ['key_unavailable'], provider_names: null, is_active: true });
    const id = created.body.webhook.id;
    expect(JSON.stringify((await rest('GET', `/api/v1/alert-webhooks/${id}`)).body)).not.toContain('XXXX');
    const patched = await rest('PATCH', `/api/v1/alert-webhooks/${id}`, { provider_names: ['groq'], capacity_threshold_percent: 25, billing_drift_usd: 2.5 });
    expect(patched.body.webhook).toMatchObject({ provider_names: ['groq'], capacity_threshold_percent: 25, billing_drift_usd: '2.5' });
    const listed = await t.gql<any, Record<string, never>>('{ alertWebhooks { id name format rules providerNames capacityThresholdPercent } }', {}, brand.token);
    expect(listed.data.alertWebhooks).toContainEqual({ id, name: 'ops room', format: 'SLACK', rules: ['KEY_UNAVAILABLE'], providerNames: ['groq'], capacityThresholdPercent: 25 });
    const updated = await t.gql<any, Record<string, never>>(`mutation { updateAlertWebhook(id: "${id}", input: { isActive: false, rules: [SPEND_LIMIT, CAPACITY_LOW] }) { isActive rules } }`, {}, brand.token);
    expect(updated.data.updateAlertWebhook).toEqual({ isActive: false, rules: ['SPEND_LIMIT', 'CAPACITY_LOW'] });
    expect((await rest('DELETE', `/api/v1/alert-webhooks/${id}`)).status).toBe(200);
    expect(await rest('GET', `/api/v1/alert-webhooks/${id}`)).toMatchObject({ status: 404, body: { success: false, error: 'Alert webhook not found' } });
    const gqlCreated = await t.gql<any, Record<string, never>>('mutation { createAlertWebhook(input: { name: "discord", url: "https://discord.com/api/webhooks/1/abc", format: DISCORD }) { secret webhook { id format rules } } }', {}, brand.token);
    expect(gqlCreated.data.createAlertWebhook.webhook).toMatchObject({ format: 'DISCORD', rules: ['KEY_UNAVAILABLE', 'PROVIDER_UNAVAILABLE', 'CAPACITY_LOW', 'SPEND_LIMIT', 'BILLING_DRIFT'] });
    const gqlDeleted = await t.gql<any, Record<string, never>>(`mutation { deleteAlertWebhook(id: "${gqlCreated.data.createAlertWebhook.webhook.id}") { name } }`, {}, brand.token);
    expect(gqlDeleted.data.deleteAlertWebhook).toEqual({ name: 'discord' });
  });

  it.each([
    [{ name: 'x' }, 'url is required'],
    [{ url: 'https://example.com/h' }, 'name is required'],
    [{ name: 'x', url: 'ftp://example.com/h' }, 'url must be an absolute http or https URL of at most 2000 characters'],
    [{ name: 'x', url: 'http://10.1.2.3/h' }, 'url names a loopback, private, link-local or metadata address; an operator may allow it with KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS'],
    [{ name: 'x', url: 'http://169.254.169.254/latest' }, 'url names a loopback, private, link-local or metadata address; an operator may allow it with KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS'],
    [{ name: 'x', url: 'https://example.com/h', format: 'teams' }, 'format must be one of json, slack, discord'],
    [{ name: 'x', url: 'https://example.com/h', rules: [] }, 'rules must be a non-empty array of key_unavailable, provider_unavailable, capacity_low, spend_limit, billing_drift'],
    [{ name: 'x', url: 'https://example.com/h', capacity_threshold_percent: 100 }, 'capacity_threshold_percent must be a whole number from 1 to 99'],
    [{ name: 'x', url: 'https://example.com/h', billing_drift_usd: -1 }, 'billing_drift_usd must be a positive amount in USD with at most 6 decimals, as a string'],
    [{ name: 'x', url: 'https://example.com/h', secret: 'mine' }, 'Unknown field: secret (accepted: name, url, format, rules, provider_names, capacity_threshold_percent, billing_drift_usd, is_active)'],
  ])('refuses %j with a 400 that names the field', async (body, error) => {
    expect(await rest('POST', '/api/v1/alert-webhooks', body)).toMatchObject({ status: 400, body: { success: false, error } });
  });

  it('refuses a second webhook of the same name with 409, and another brand cannot see or change it', async () => {
    const first = await rest('POST', '/api/v1/alert-webhooks', { name: 'twice', url: 'https://example.com/a' });
    expect((await rest('POST', '/api/v1/alert-webhooks', { name: 'twice', url: 'https://example.com/b' })).status).toBe(409);
    const other = await t.createBrand('Other');
    expect((await rest('GET', `/api/v1/alert-webhooks/${first.body.webhook.id}`, undefined, other.token)).status).toBe(404);
    expect((await rest('DELETE', `/api/v1/alert-webhooks/${first.body.webhook.id}`, undefined, other.token)).status).toBe(404);
    expect((await rest('POST', `/api/v1/alert-deliveries/not-a-uuid/replay`, undefined, other.token)).status).toBe(404);
    await rest('DELETE', `/api/v1/alert-webhooks/${first.body.webhook.id}`);
  });
});

describe('delivery', () => {
  it('retries a receiver that fails twice, then delivers once with the same id and a valid Standard Webhooks signature', async () => {
    receiver.received.length = 0;
    receiver.answerWith(500, 503, 200);
    const created = await rest('POST', '/api/v1/alert-webhooks', { name: 'retrying', url: receiver.url });
    const webhookId = created.body.webhook.id;
    const queued = await rest('POST', `/api/v1/alert-webhooks/${webhookId}/test`);
    expect(queued.status).toBe(202);
    const got = await receiver.waitFor(3);
    const delivery = await until(() => deliveries(webhookId), (d) => d[0]?.status === 'delivered');
    expect(delivery[0]).toMatchObject({ id: queued.body.delivery.id, status: 'delivered', attempts: 3, last_status: 200, last_error: null });
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([queued.body.delivery.id, queued.body.delivery.id, queued.body.delivery.id]);
    expect(got[0].headers['idempotency-key']).toBe(queued.body.delivery.id);
    const verifier = new Webhook(created.body.secret);
    const verified = verifier.verify(got[2].body, got[2].headers as Record<string, string>) as any;
    expect(verified).toMatchObject({ id: queued.body.delivery.id, type: 'alert.key_unavailable', title: 'test alert: this webhook receives keypool alerts' });
    // A body changed in transit, or another secret, fails the check.
    expect(() => verifier.verify(got[2].body.replace('test alert', 'tost alert'), got[2].headers as Record<string, string>)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(got[2].body, got[2].headers as Record<string, string>)).toThrow();
    await rest('DELETE', `/api/v1/alert-webhooks/${webhookId}`);
  });

  it('shows a failing delivery with its status and last error, gives it up after the attempts, and replays it by hand', async () => {
    receiver.received.length = 0;
    receiver.answerWith(502);
    const webhookId = (await rest('POST', '/api/v1/alert-webhooks', { name: 'failing', url: receiver.url })).body.webhook.id;
    const queued = (await rest('POST', `/api/v1/alert-webhooks/${webhookId}/test`)).body.delivery;
    const failed = await until(() => deliveries(webhookId), (d) => d[0]?.status === 'failed');
    expect(failed[0]).toMatchObject({ status: 'failed', attempts: t.config.alerts.maxAttempts, last_status: 502, last_error: 'receiver answered HTTP 502: receiver says no', next_attempt_at: null });
    const pending = await t.gql<any, Record<string, never>>(`{ alertDeliveries(webhookId: "${webhookId}", status: FAILED) { total items { id status lastError } } }`, {}, brand.token);
    expect(pending.data.alertDeliveries).toEqual({ total: 1, items: [{ id: queued.id, status: 'FAILED', lastError: 'receiver answered HTTP 502: receiver says no' }] });
    receiver.answerWith(200);
    const replayed = await t.gql<any, Record<string, never>>(`mutation { replayAlertDelivery(id: "${queued.id}") { id status } }`, {}, brand.token);
    expect(replayed.data.replayAlertDelivery).toEqual({ id: queued.id, status: 'PENDING' });
    const delivered = await until(() => deliveries(webhookId), (d) => d[0]?.status === 'delivered');
    expect(delivered[0]).toMatchObject({ id: queued.id, status: 'delivered', last_status: 200 });
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(queued.id);
    const audit = await rest('GET', `/api/v1/audit-log?resource=alert_webhook&action=delivery_replayed&resource_id=${webhookId}`);
    expect(audit.body.entries).toMatchObject([{ action: 'delivery_replayed', actor_kind: 'brand_token', changes: { delivery_id: queued.id } }]);
    await rest('DELETE', `/api/v1/alert-webhooks/${webhookId}`);
  });

  it('sends Slack and Discord webhooks their own bodies', async () => {
    receiver.received.length = 0;
    receiver.answerWith(204);
    for (const format of ['slack', 'discord']) {
      const id = (await rest('POST', '/api/v1/alert-webhooks', { name: format, url: receiver.url, format })).body.webhook.id;
      await rest('POST', `/api/v1/alert-webhooks/${id}/test`);
      await receiver.waitFor(format === 'slack' ? 1 : 2);
      await rest('DELETE', `/api/v1/alert-webhooks/${id}`);
    }
    expect(receiver.received[0].json).toEqual({ text: '[keypool alert] test alert: this webhook receives keypool alerts' });
    expect(receiver.received[1].json).toEqual({ content: '[keypool alert] test alert: this webhook receives keypool alerts', allowed_mentions: { parse: [] } });
  });
});

describe('the rules, end to end', () => {
  let webhookId: string;
  beforeAll(async () => {
    receiver.answerWith(200);
    webhookId = (await rest('POST', '/api/v1/alert-webhooks', { name: 'rules', url: receiver.url, capacity_threshold_percent: 30, billing_drift_usd: '1' })).body.webhook.id;
  });
  const alertsOf = (rule: string) => receiver.received.map((r) => r.json).filter((a) => a?.type === `alert.${rule}`);

  it('key_unavailable: a key its provider refuses (401) is out of the pool, with the class and the reason, never the key', async () => {
    const { id, apiKey } = await addKey('mistral');
    const leased = await lease('mistral');
    expect((await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 401, error_type: 'auth_error' })).status).toBe(200);
    await until(async () => alertsOf('key_unavailable').filter((a) => a.integration_id === id), (a) => a.length === 1);
    const [alert] = alertsOf('key_unavailable').filter((a) => a.integration_id === id);
    expect(alert).toMatchObject({ state: 'firing', provider_name: 'mistral', details: { status: 'unhealthy', lastError: 'HTTP 401' } });
    expect(alert.title).toMatch(/^mistral key #\d+ is out of the pool: /);
    expect(JSON.stringify(receiver.received)).not.toContain(apiKey);
    // The operator enables it again after fixing the account: a probe that succeeds brings it back.
    await rest('DELETE', `/api/v1/integrations/${id}`);
  });

  it('key_unavailable: a key parked out of credits (a 402) fires once with the class and the provider\'s words, and resolves when it is back', async () => {
    const { id, apiKey } = await addKey('fireworks');
    const leased = await lease('fireworks');
    expect((await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 402, error_type: 'client_error' })).status).toBe(200);
    await t.app.alertWatch.judgeAll();
    await t.app.alertWatch.judgeAll();
    const parked = await until(async () => alertsOf('key_unavailable').filter((a) => a.integration_id === id), (a) => a.length >= 1);
    expect(parked).toMatchObject([{ state: 'firing', details: { class: 'out_of_credits', lastError: 'HTTP 402' } }]);
    expect(parked[0].title).toMatch(/^fireworks key #\d+ is parked: out of credits/);
    // The operator tops the account up and enables the key again: the mark goes, and the alert resolves.
    await rest('PATCH', `/api/v1/integrations/${id}`, { is_active: true });
    await t.app.alertWatch.judgeAll();
    const both = await until(async () => alertsOf('key_unavailable').filter((a) => a.integration_id === id || a.details?.subject === `key ${id} parked`), (a) => a.length >= 2);
    expect(both.map((a) => a.state)).toEqual(['firing', 'resolved']);
    expect(JSON.stringify(both)).not.toContain(apiKey);
  });

  it('spend_limit: a key that crosses its blocking limit raises one alert saying it was blocked', async () => {
    const { id } = await addKey('together', { spend_limit_amount: 0.5, spend_limit_period: 'daily', spend_limit_action: 'block' });
    const leased = await lease('together');
    expect((await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: true, cost_usd: 0.75 })).status).toBe(200);
    const alerts = await until(async () => alertsOf('spend_limit').filter((a) => a.integration_id === id), (a) => a.length >= 1);
    expect(alerts).toMatchObject([{ state: 'firing', details: { action: 'block', outcome: 'blocked', amount: '0.5', period: 'daily' } }]);
    await rest('DELETE', `/api/v1/integrations/${id}`);
  });

  it('provider_unavailable: fires once when every key of a provider is out, however many instances judge it, and resolves once', async () => {
    const { id: a } = await addKey('cerebras');
    const { id: b } = await addKey('cerebras');
    await rest('PATCH', `/api/v1/integrations/${a}`, { is_active: false });
    await rest('PATCH', `/api/v1/integrations/${b}`, { is_active: false });
    await Promise.all([t.app.alertWatch.judgeAll(), t.app.alertWatch.judgeAll(), t.app.alertWatch.judgeAll()]);
    await t.app.alertWatch.judgeAll();
    const fired = await until(async () => alertsOf('provider_unavailable').filter((x) => x.provider_name === 'cerebras'), (x) => x.length >= 1);
    expect(fired).toMatchObject([{ state: 'firing', title: 'every cerebras key is unavailable (2 keys)', details: { keys: 2, available: 0 } }]);
    await rest('PATCH', `/api/v1/integrations/${b}`, { is_active: true });
    await t.app.alertWatch.judgeAll();
    await t.app.alertWatch.judgeAll();
    const both = await until(async () => alertsOf('provider_unavailable').filter((x) => x.provider_name === 'cerebras'), (x) => x.length >= 2);
    expect(both.map((x) => x.state)).toEqual(['firing', 'resolved']);
  });

  it('capacity_low: fires when a provider has less than the threshold of today\'s requests left', async () => {
    await addKey('sambanova', { daily_limit: 10 });
    for (let i = 0; i < 8; i++) expect((await lease('sambanova')).lease_id).toBeTruthy();
    await t.app.alertWatch.judgeAll();
    const fired = await until(async () => alertsOf('capacity_low').filter((x) => x.provider_name === 'sambanova'), (x) => x.length >= 1);
    expect(fired[0]).toMatchObject({ state: 'firing', details: { requestsToday: { limit: 10, remaining: 2 }, thresholdPercent: 30 } });
    expect(fired[0].title).toBe('sambanova is running low: 20.0 % of today\'s requests and unlimited of today\'s tokens left (threshold 30 %)');
  });

  it('billing_drift: fires when the provider\'s billing API says more was spent today than keypool counted', async () => {
    const key = `sk-or-v1-drift-${Math.random().toString(36).slice(2)}-0123456789`;
    billing.answer(key, openRouterKey({ limit: null, limit_remaining: null, usage_daily: 3.25, usage_monthly: 3.25 }));
    const { id } = await addKey('openrouter', {}, key);
    expect((await rest('POST', `/api/v1/integrations/${id}/sync`)).status).toBe(200);
    await t.app.alertWatch.judgeAll();
    const fired = await until(async () => alertsOf('billing_drift').filter((x) => x.integration_id === id), (x) => x.length >= 1);
    expect(fired[0]).toMatchObject({ state: 'firing', details: { providerUsage: '3.25000000', localUsage: '0' } });
    expect(JSON.stringify(fired)).not.toContain(key);
  });

  it('a webhook for other providers gets none of these', async () => {
    receiver.received.length = 0;
    const other = await startWebhookReceiver();
    const id = (await rest('POST', '/api/v1/alert-webhooks', { name: 'groq only', url: other.url, provider_names: ['groq'] })).body.webhook.id;
    const { id: keyId } = await addKey('nebius');
    await rest('PATCH', `/api/v1/integrations/${keyId}`, { is_active: false });
    await t.app.alertWatch.judgeAll();
    await until(async () => alertsOf('provider_unavailable').filter((x) => x.provider_name === 'nebius'), (x) => x.length >= 1);
    expect(other.received).toEqual([]);
    await rest('DELETE', `/api/v1/alert-webhooks/${id}`);
    await other.close();
  });

  afterAll(async () => {
    await rest('DELETE', `/api/v1/alert-webhooks/${webhookId}`);
  });
});
