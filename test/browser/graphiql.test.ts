/**
 * Opening /graphql in a real (headless) Chromium shows the GraphQL IDE from
 * the project's own dependencies, with every request outside this server
 * blocked, and the IDE runs a query and a subscription.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let t: TestApp;
let token: string;
let browser: Browser;
let page: Page;
const external: string[] = [];
const violations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  t = await createTestApp();
  ({ token } = await t.createBrand('IDE'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  const origin = new URL(t.url).origin;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    external.push(url);
    return route.abort();
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function replaceEditor(selector: string, text: string) {
  await page.locator(selector).first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

// Monaco renders spaces as no-break spaces.
const result = async () => (await page.locator('.graphiql-response').first().innerText()).replace(/\u00a0/g, ' ');

describe('the GraphQL IDE at /graphql', () => {
  it('loads offline from the server alone, under a Content-Security-Policy it keeps', async () => {
    const res = await page.goto(`${t.url}/graphql`);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toMatch(/^default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'/);
    expect(csp).toContain(`connect-src 'self' ws://${new URL(t.url).host} wss://${new URL(t.url).host};`);
    expect(csp).toContain("frame-ancestors 'none'");
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    expect(await page.title()).toBe('keypool GraphiQL');
  });

  it('runs a query', async () => {
    await replaceEditor('.graphiql-query-editor .monaco-editor', '{ __typename }');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(result, { timeout: 15_000 }).toContain('"__typename": "Query"');
  });

  it('runs a subscription with the client token from the Headers tab', async () => {
    const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor';
    expect((await page.locator(headersEditor).innerText()).replace(/\u00a0/g, ' ')).toContain('"Authorization":"Bearer <client token>"');
    await replaceEditor(headersEditor, JSON.stringify({ Authorization: `Bearer ${token}` }));
    await page.waitForTimeout(1000); // GraphiQL saves its tab state (and so the headers) after a short pause
    await replaceEditor('.graphiql-query-editor .monaco-editor', 'subscription { integrationChanged { kind integration { providerName } } }');
    await page.locator('.graphiql-execute-button').click();
    await page.waitForTimeout(1000);
    const created = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_ide_0123456789abc' } }, token });
    expect(created.status).toBe(201);
    await expect.poll(result, { timeout: 5_000 }).toContain('"kind": "CREATED"').catch(async (e) => {
      console.log(await result());
      throw e;
    });
    expect(external).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('shows a refused token and stops, instead of retrying the subscription forever', async () => {
    const fresh = await browser.newPage();
    const sockets: string[] = [];
    fresh.on('websocket', (ws) => sockets.push(ws.url()));
    await fresh.goto(`${t.url}/graphql`);
    await fresh.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    page = fresh;
    const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor';
    await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).first().click().catch(() => {});
    await replaceEditor(headersEditor, JSON.stringify({ Authorization: 'Bearer not-a-valid-token' }));
    await page.waitForTimeout(1000);
    await replaceEditor('.graphiql-query-editor .monaco-editor', 'subscription { integrationChanged { kind } }');
    await page.locator('.graphiql-execute-button').click();
    const banner = page.locator('#keypool-auth-error');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.innerText()).toContain('Subscription refused: Forbidden: token is malformed');
    await expect.poll(result, { timeout: 10_000 }).toContain('"message": "Forbidden: token is malformed"');
    const attempts = sockets.length;
    await page.waitForTimeout(5000); // graphql-ws would have retried within 1-4 s
    expect(sockets.length).toBe(attempts);
    expect(attempts).toBe(1);
    // The banner leaves the tabs and the editors visible.
    const tabs = await page.locator('.graphiql-session-header').first().boundingBox();
    const box = await banner.boundingBox();
    expect(box!.y).toBeGreaterThan(tabs!.y + tabs!.height);
    await page.screenshot({ path: 'test-results/graphiql-refused-token.png' });
    // A query that succeeds clears it.
    await replaceEditor('.graphiql-query-editor .monaco-editor', '{ __typename }');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(result, { timeout: 15_000 }).toContain('"__typename": "Query"');
    await expect.poll(() => banner.count(), { timeout: 5_000 }).toBe(0);
  });
});
