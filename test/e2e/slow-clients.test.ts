/** A client that declares a body and sends it a byte at a time cannot hold a socket open. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ config: { requestTimeoutMs: 2000 } });
});
afterAll(() => t.close());

function slowRequest(port: number): Promise<{ closedAfterMs: number; response: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let response = '';
    let dripping: NodeJS.Timeout;
    socket.on('connect', () => {
      socket.write('POST /api/v1/integrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      dripping = setInterval(() => socket.write(' '), 500);
    });
    socket.on('data', (d) => (response += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(dripping);
      resolve({ closedAfterMs: Date.now() - started, response });
    });
  });
}

describe('slow request bodies', () => {
  it('closes every socket whose request has not arrived within KEYPOOL_REQUEST_TIMEOUT_MS, without authentication', async () => {
    const port = Number(new URL(t.url).port);
    const results = await Promise.all(Array.from({ length: 20 }, () => slowRequest(port)));
    for (const r of results) {
      expect(r.closedAfterMs).toBeGreaterThanOrEqual(1900);
      // Node's own check runs every 30 s; ours every 500 ms here. The bound tells the two apart with
      // room for a busy machine's event-loop lag.
      expect(r.closedAfterMs).toBeLessThan(15_000);
      expect(r.response).toMatch(/^HTTP\/1.1 408/);
    }
    expect((await t.rest('GET', '/healthz')).status).toBe(200);
    // Cut-off requests are no longer counted as in flight (only the /metrics request itself is).
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/^keypool_http_requests_in_flight 1$/m);
  });
});
