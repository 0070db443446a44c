/**
 * The dashboard as a person watches it: usage that moves with every lease and report (no reload,
 * no polling), counts that roll over with their minute, a key's details with what happened before
 * the page opened, and a layout that fits a 1,400 px window and a phone. Real Chromium, real
 * server, every request outside it blocked.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-results/dashboard';
let t: TestApp;
let browser: Browser;
let brand: { brandId: string; token: string };
let groq: number;
let mistral: number;
const external: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SHOTS, { recursive: true });
  t = await createTestApp();
  brand = await t.createBrand('Live');
  const pool = poolClient(t, brand.token);
  groq = await pool.addKey('groq', { key_label: 'Groq live', minute_limit: 30, spend_limit_amount: 2, spend_limit_period: 'daily' });
  mistral = await pool.addKey('mistral', { key_label: 'Mistral live', spend_limit_amount: 50, spend_limit_period: 'monthly' });
  await pool.addKey('groq', { key_label: 'Groq second', spend_limit_amount: 100, spend_limit_period: 'monthly' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function openSignedIn(hash: string, viewport = { width: 1400, height: 900 }, token = brand.token, before?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const origin = new URL(t.url).origin;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  await page.addInitScript((tk) => sessionStorage.setItem('keypool.dashboard.session', JSON.stringify({ token: tk, label: 'brand token' })), token);
  await before?.(page);
  await page.goto(`${t.url}/dashboard${hash}`);
  await expect.poll(() => page.getByRole('status').first().innerText(), { timeout: 15_000 }).toBe('Live');
  return page;
}

const row = (page: Page, id: number) => page.locator(`[role=row][data-key-id="${id}"]`);

describe('usage on the page', () => {
  it('moves with every lease and report within a second: counts, spend, last use and a 429 cooldown', async () => {
    const page = await openSignedIn('#/keys');
    await row(page, groq).waitFor();
    expect(await row(page, groq).getByRole('meter', { name: 'Groq live this minute' }).getAttribute('aria-valuenow')).toBe('0');
    const pool = poolClient(t, brand.token);
    await pool.update(groq + 2, { isActive: false }); // the second groq key stays out of it
    const leases = [];
    for (let i = 0; i < 5; i++) leases.push(await pool.leaseOk('groq'));
    const sent = Date.now();
    await expect.poll(() => row(page, groq).getByRole('meter', { name: 'Groq live this minute' }).getAttribute('aria-valuenow'), { timeout: 1000, interval: 20 }).toBe('5');
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(await row(page, groq).innerText()).toMatch(/\d+ s ago/); // last used
    await pool.report({ leaseId: leases[0].leaseId, success: true, costUsd: '0.75' });
    await expect.poll(() => row(page, groq).locator('[data-label="Spend today"]').innerText(), { timeout: 1000, interval: 20 }).toBe('$0.75');
    await pool.report({ leaseId: leases[1].leaseId, success: false, statusCode: 429, retryAfterSeconds: 120 });
    await expect.poll(() => row(page, groq).locator('[data-label="Cooldown / probe"]').innerText(), { timeout: 1000, interval: 20 }).toMatch(/^cooling down (1:5\d|2:0[01])$/);
    await page.screenshot({ path: `${SHOTS}/keys-live-usage.png`, fullPage: true });
    expect(external).toEqual([]);
    await page.close();
  });

  it('rolls the minute\'s count over on the page by the clock, without an event', async () => {
    const own = await t.createBrand('Clock');
    const key = await poolClient(t, own.token).addKey('cerebras', { key_label: 'Cerebras clock', minute_limit: 10 });
    const page = await openSignedIn('#/keys', undefined, own.token, async (p) => {
      await p.clock.install({ time: new Date() });
      await p.clock.resume(); // time flows as usual until the test moves it
    });
    await row(page, key).waitFor();
    const minute = () => row(page, key).getByRole('meter', { name: 'Cerebras clock this minute' }).getAttribute('aria-valuenow');
    const today = () => row(page, key).locator('[data-label="Today"]').innerText();
    await poolClient(t, own.token).leaseOk('cerebras');
    await expect.poll(async () => Number(await minute()), { timeout: 2000 }).toBeGreaterThan(0);
    const todayBefore = await today();
    await page.clock.fastForward('01:05');
    await expect.poll(minute, { timeout: 5000 }).toBe('0');
    // The day has not ended (unless the test ran across midnight UTC): today's count stays.
    if (new Date(Date.now() + 65_000).toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10)) expect(await today()).toBe(todayBefore);
    await page.close();
  });
});

describe('a key\'s details', () => {
  it('show the cooldown\'s end, the next probe, the last error, and the events from before the page opened', async () => {
    const pool = poolClient(t, brand.token);
    for (let i = 0; i < 6; i++) {
      const lease = await pool.leaseOk('mistral');
      await pool.report({ leaseId: lease.leaseId, success: false, statusCode: 503 });
    }
    const page = await openSignedIn(`#/keys/${mistral}`);
    const detail = page.getByRole('region', { name: 'Key Mistral live' });
    await detail.waitFor({ timeout: 15_000 });
    const facts = () => detail.locator('.facts').innerText();
    await expect.poll(facts).toMatch(/Last error\s+HTTP 503 \(\d+ s ago\)/);
    expect(await facts()).toMatch(/Next probe\s+at [\d:]+( [AP]M)? \(\d+ s\)/);
    expect(await facts()).toMatch(/Cooldown\s+none/);
    expect(await facts()).toMatch(/Billing\s+keypool's own ledger/);
    // Recorded before this page existed: created, degraded, unhealthy.
    const events = detail.locator('.events li');
    await expect.poll(() => events.count(), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const texts = await events.allInnerTexts();
    expect(texts[0]).toMatch(/UNHEALTHY\s+Mistral live \(mistral\) degraded → unhealthy: 6 consecutive failures \(last: HTTP 503\)/);
    expect(texts[1]).toMatch(/DEGRADED\s+Mistral live \(mistral\) healthy → degraded/);
    expect(texts.at(-1)).toMatch(/CREATED\s+Mistral live \(mistral\) key created/);
    await page.screenshot({ path: `${SHOTS}/key-detail-history.png`, fullPage: true });
    // The operator asks for a probe now: the next lease tries the key, and the audit trail says who asked.
    await detail.getByRole('button', { name: 'Probe now' }).click();
    await expect.poll(() => detail.getByRole('status').innerText()).toBe('Probe due now: the next lease tries the key');
    await expect.poll(facts).toMatch(/Next probe\s+due: the next lease tries it/);
    await page.goto(`${t.url}/dashboard#/audit`);
    const audit = page.getByRole('table', { name: 'Changes, newest first' });
    await expect.poll(() => audit.innerText(), { timeout: 10_000 }).toMatch(new RegExp(`client token\\s+127\\.0\\.0\\.1\\s+integration ${mistral} reprobe requested\\s+probe_due_at "[^"]+" → "[^"]+"`));
    await page.close();
  });

  it('resets a 429\'s cooldown from the key\'s details', async () => {
    const pool = poolClient(t, brand.token);
    const id = await pool.addKey('cerebras', { key_label: 'Cerebras cooled' });
    const lease = await pool.leaseOk('cerebras');
    await pool.report({ leaseId: lease.leaseId, success: false, statusCode: 429, retryAfterSeconds: 900 });
    const page = await openSignedIn(`#/keys/${id}`);
    const detail = page.getByRole('region', { name: 'Key Cerebras cooled' });
    await detail.waitFor({ timeout: 15_000 });
    await expect.poll(() => detail.locator('.facts').innerText()).toMatch(/Cooldown\s+until/);
    await detail.getByRole('button', { name: 'Reset cooldown' }).click();
    await expect.poll(() => detail.locator('.facts').innerText()).toMatch(/Cooldown\s+none/);
    expect((await pool.lease('cerebras')).data?.leaseKey).toBeTruthy();
    await page.close();
  });
});

describe('the layout', () => {
  it('fits the keys table in a 1,400 px window without cutting a column', async () => {
    const page = await openSignedIn('#/keys');
    await row(page, groq).waitFor();
    const scroll = page.locator('.table-scroll').first();
    expect(await scroll.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1400);
    for (const name of ['Key', 'Health', 'This minute', 'Today', 'Spend this month', 'Billing sync']) {
      const header = page.getByRole('columnheader', { name }).first();
      const box = await header.boundingBox();
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(1400);
    }
    // Nothing is cut: every header and every cell (a cooldown, a bar, spend against its limit) shows whole.
    const cut = await page.evaluate(() => [...document.querySelectorAll('[role=columnheader], [role=cell]')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.textContent} ${el.scrollWidth}/${el.clientWidth}`));
    expect(cut).toEqual([]);
    // Providers without a billing API never say "synced": their figures are keypool's ledger.
    await t.app.services.billing.syncDue();
    expect(await row(page, groq).locator('[data-label="Billing"]').innerText()).toBe('ledger');
    await page.screenshot({ path: `${SHOTS}/keys-1400.png` });
    await page.close();
  });

  it('shows each key as a card on a phone, health and usage included, with no sideways scrolling', async () => {
    const page = await openSignedIn('#/keys', { width: 390, height: 844 });
    await row(page, groq).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const label of ['Health', 'This minute', 'Today']) {
      const box = await row(page, groq).locator(`[data-label="${label}"]`).boundingBox();
      expect(box!.x + box!.width, label).toBeLessThanOrEqual(390);
      expect(box!.width).toBeGreaterThan(0);
    }
    await page.screenshot({ path: `${SHOTS}/keys-phone.png`, fullPage: true });
    await page.close();
  });

  it('never sums daily and monthly spend limits, and an empty pool links to "Add a key"', async () => {
    const page = await openSignedIn('#/overview');
    const card = page.getByRole('region', { name: 'Groq overview' });
    await card.waitFor();
    expect(await card.innerText()).toMatch(/Spend today\s+\$[\d.]+ of \$2\.00 in daily limits/);
    expect(await card.innerText()).toMatch(/Spend this month\s+\$[\d.]+ of \$100\.00 in monthly limits/);
    await page.close();
    const empty = await t.createBrand('Empty');
    const fresh = await openSignedIn('#/keys', undefined, empty.token);
    const link = fresh.getByRole('main').getByRole('link', { name: 'Add a key' });
    await link.click();
    await fresh.getByRole('form', { name: 'Add a key' }).waitFor();
    await fresh.close();
  });
});
