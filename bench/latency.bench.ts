/**
 * npm run bench:latency — latency at a realistic rate, in steady state: one keypool instance, 20
 * brands × 3 providers × 4 keys, one warm client process (its code compiled and its connections
 * open before anything is timed), and rounds of 10 s of the REST cycle (lease, then report) at
 * 100/s, side by side with `{ __typename }` at the same rate. Per round: p50 / p90 / p99 of the
 * leases and of the `{ __typename }` requests. The rounds follow each other, so the keys are in use as in a deployment that serves 100
 * calls a second (BENCH_ROUNDS, default 3; BENCH_RATE, default 100). Prints figures; asserts nothing.
 */
import { Agent, request } from 'undici';
import { fmt, percentile, seedBrands, startServer } from './support.js';

const PROVIDERS = ['groq', 'mistral', 'cerebras'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await request(url, { method: 'POST', dispatcher, body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  return res.body.json();
}

const server = await startServer();
try {
  const tokens = await seedBrands(server, 'latency', { brands: 20, providers: PROVIDERS, keysPerProvider: 4, settings: { minute_limit: 100_000, daily_limit: 10_000_000 } });
  type Kind = 'REST lease (of the cycle)' | '{ __typename }';
  /** `seconds` at RATE/s of one kind of request: the latencies of the leases (for cycles) or of the requests. */
  const paced = async (kind: Kind, seconds: number): Promise<number[]> => {
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; performance.now() < start + seconds * 1000; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push((async () => {
        const token = pick(tokens);
        const t0 = performance.now();
        if (kind === '{ __typename }') await post(`${server.url}/graphql`, token, { query: '{ __typename }' });
        else {
          const { lease } = await post(`${server.url}/api/v1/integrations/lease`, token, { provider_name: pick(PROVIDERS) });
          latencies.push(performance.now() - t0);
          await post(`${server.url}/api/v1/integrations/usage`, token, { lease_id: lease.lease_id, success: true, status_code: 200, latency_ms: 420, cost_usd: 0.001, prompt_tokens: 812, completion_tokens: 96 });
          return;
        }
        latencies.push(performance.now() - t0);
      })());
    }
    await Promise.all(pending);
    return latencies.sort((a, b) => a - b);
  };
  const kinds: Kind[] = ['REST lease (of the cycle)', '{ __typename }'];
  // Warm-up, not timed: the client's and the server's code compiled, the connections open, the keys' allowance claimed.
  await Promise.all(kinds.map((kind) => paced(kind, 3)));
  console.log(`\nLatency at ${RATE}/s each, side by side, one instance, ${tokens.length * PROVIDERS.length * 4} keys; ${ROUNDS} rounds of 10 s, back to back, ms`);
  console.log('| round | requests | p50 | p90 | p99 |');
  console.log('|---|---|---:|---:|---:|');
  for (let round = 1; round <= ROUNDS; round++) {
    // Both at once, so each is measured in the same moments as the others, and the cycles never pause.
    const results = await Promise.all(kinds.map((kind) => paced(kind, 10)));
    kinds.forEach((kind, i) => {
      const l = results[i];
      console.log(`| ${round} | ${kind} | ${fmt(percentile(l, 50), 2)} | ${fmt(percentile(l, 90), 2)} | ${fmt(percentile(l, 99), 2)} |`);
    });
  }
} finally {
  await dispatcher.close();
  await server.stop();
}
