/** /dashboard's files over plain HTTP: built from the project's own sources, compressed, cacheable, small, and nothing from elsewhere. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('GET /dashboard', () => {
  it('serves the page with a strict content security policy, revalidated by ETag', async () => {
    const res = await fetch(`${t.url}/dashboard`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    // WebSockets only back to the page's own host, not to any ws: or wss: URL.
    const host = new URL(t.url).host;
    expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://${host} wss://${host};`);
    expect(res.headers.get('content-security-policy')).not.toMatch(/ ws: | wss:;/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const again = await fetch(`${t.url}/dashboard`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets for good, compressed as the browser accepts, in well under 250 KB', async () => {
    const html = await (await fetch(`${t.url}/dashboard/`)).text();
    const assets = [...html.matchAll(/\/dashboard\/assets\/[\w.-]+/g)].map((m) => m[0]);
    expect(assets).toHaveLength(2);
    let compressed = 0;
    for (const path of assets) {
      const br = await fetch(`${t.url}${path}`, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(br.headers.get('content-encoding')).toBe('br');
      expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      compressed += Number((await fetch(`${t.url}${path}`, { headers: { 'accept-encoding': 'br' }, method: 'HEAD' })).headers.get('content-length'));
      const plain = await fetch(`${t.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      const body = await plain.text();
      expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i); // no CDN, no remote fonts (SVG's namespace is a name, not a fetch)
    }
    expect(compressed).toBeGreaterThan(0);
    expect(compressed).toBeLessThan(250 * 1024);
  });

  it('answers 404 in keypool\'s body for an asset it does not have', async () => {
    const res = await fetch(`${t.url}/dashboard/assets/nope.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route.not_found', message: 'No dashboard asset nope.js' } });
  });
});
