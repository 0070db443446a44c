/**
 * The dashboard's alerts view: a webhook added with its secret shown once, a test sent to a local
 * receiver, and the delivery listed with its status; in a file of its own (its own server).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-results/dashboard';
let t: TestApp;
let browser: Browser;
let brand: { brandId: string; token: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SHOTS, { recursive: true });
  t = await createTestApp();
  brand = await t.createBrand('Alerting');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function openSignedIn(hash: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript((token) => sessionStorage.setItem('keypool.dashboard.session', JSON.stringify({ token, label: 'brand token' })), brand.token);
  await page.goto(`${t.url}/dashboard${hash}`);
  return page;
}

describe('the events view', () => {
  it('lists the gateway calls keypool could not serve, with their routes', async () => {
    await t.rest('POST', '/api/v1/integrations', { token: brand.token, body: { provider_name: 'groq', key_label: 'spent', credentials: { api_key: 'gsk_dashboard_failure_0123456789' }, minute_limit: 1 } });
    expect((await t.rest('POST', '/api/v1/integrations/lease', { token: brand.token, body: { provider_name: 'groq' } })).status).toBe(200);
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${brand.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(429);
    await t.app.services.gateway.settled();
    const page = await openSignedIn('#/events');
    const failures = page.getByRole('table', { name: 'Failed gateway calls, newest first' });
    await expect.poll(() => failures.innerText(), { timeout: 15_000 }).toMatch(/chat\/completions groq\/llama-3\.1-8b-instant\s+no key\s+0\s+#\d+ minute_limit/);
    await page.close();
  });
});

describe('the alerts view', () => {
  it('adds an alert webhook, shows its secret once, sends a test and lists the delivery', async () => {
    const receiver = await startWebhookReceiver();
    const page = await openSignedIn('#/alerts');
    const form = page.getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('Name').fill('on-call');
    await form.getByLabel('URL').fill(receiver.url);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Signing secret' }).innerText()).toMatch(/whsec_[A-Za-z0-9+/=]{32}/);
    const webhooks = page.getByRole('table', { name: 'Webhooks' });
    await expect.poll(() => webhooks.innerText()).toContain('on-call');
    await webhooks.getByRole('button', { name: 'Send a test' }).click();
    await receiver.waitFor(1);
    const deliveries = page.getByRole('table', { name: 'Deliveries, newest first' });
    await expect.poll(() => deliveries.innerText(), { timeout: 15_000 }).toMatch(/on-call\s+test alert: this webhook receives keypool alerts\s+DELIVERED\s+1/);
    await page.screenshot({ path: `${SHOTS}/alerts.png`, fullPage: true });
    await receiver.close();
    await page.close();
  });

});
