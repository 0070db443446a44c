/**
 * A receiver that is down (it takes each delivery and never answers) while 10,000 leases are
 * served: every lease succeeds while the dispatcher's attempts hang on the receiver, and the
 * deliveries wait without a lease ever waiting for them; the hung receiver holds only its own
 * four places, so another webhook's alert is delivered meanwhile. The latency figures of the
 * leases with and without the hung receiver are printed (no timed assertion).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FAST_ALERTS } from '../support/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let t: TestApp;
let brand: { brandId: string; token: string };
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await createTestApp({ config: { alerts: { ...FAST_ALERTS, timeoutMs: 30_000 } } });
  brand = await t.createBrand('Receiver down');
  receiver = await startWebhookReceiver();
  receiver.answerWith('hang');
  for (let i = 0; i < 4; i++) {
    const res = await t.rest('POST', '/api/v1/integrations', { token: brand.token, body: { provider_name: 'groq', credentials: { api_key: `gsk_down_${i}_0123456789` } } });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

/** `count` leases, `concurrency` at a time; each one's latency in ms. */
async function leases(count: number, concurrency = 16): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      const res = await fetch(`${t.url}/api/v1/integrations/lease`, {
        method: 'POST', headers: { authorization: `Bearer ${brand.token}`, 'content-type': 'application/json' }, body: '{"provider_name":"groq"}',
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      latencies.push(performance.now() - started);
    }
  }));
  return latencies;
}
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

it('serves 10,000 leases while every delivery attempt hangs on the receiver', async () => {
  await leases(500); // warm-up
  const baseline = await leases(2000);
  const webhook = (await t.rest('POST', '/api/v1/alert-webhooks', { token: brand.token, body: { name: 'down', url: receiver.url } })).body.webhook;
  for (let i = 0; i < 25; i++) expect((await t.rest('POST', `/api/v1/alert-webhooks/${webhook.id}/test`, { token: brand.token })).status).toBe(202);
  await receiver.waitFor(4);
  let mostInFlight = 0;
  const sampler = setInterval(() => (mostInFlight = Math.max(mostInFlight, t.app.alertDispatcher.inFlight)), 20);
  const during = await leases(10_000);
  clearInterval(sampler);
  expect(during).toHaveLength(10_000);
  // The dispatcher was waiting on the receiver the whole time (its four places), and nothing was delivered to it.
  expect(mostInFlight).toBe(4);
  expect(t.app.alertDispatcher.inFlight).toBe(4);
  // Another brand's webhook gets its alert meanwhile.
  const other = await t.createBrand('Receiver up');
  const healthy = await startWebhookReceiver();
  const up = (await t.rest('POST', '/api/v1/alert-webhooks', { token: other.token, body: { name: 'up', url: healthy.url } })).body.webhook;
  await t.rest('POST', `/api/v1/alert-webhooks/${up.id}/test`, { token: other.token });
  await healthy.waitFor(1);
  await healthy.close();
  const pending = await t.rest('GET', `/api/v1/alert-deliveries?webhook_id=${webhook.id}&status=pending&limit=50`, { token: brand.token });
  expect(pending.body.total).toBe(25);
  console.log(`leases, p50 / p99 ms: without a webhook ${percentile(baseline, 50).toFixed(2)} / ${percentile(baseline, 99).toFixed(2)}; `
    + `with 4 deliveries hanging on the receiver ${percentile(during, 50).toFixed(2)} / ${percentile(during, 99).toFixed(2)}`);
});
