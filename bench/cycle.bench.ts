/**
 * npm run bench:cycle — the workload as users run it: many brands at once, each
 * loop a whole lease → (provider call) → report cycle over REST, beside the same
 * load generator's `{ __typename }` rate in the same run (the ratio is what
 * compares across machines). Then the same cycle at a fixed, realistic rate for
 * its latency. Prints figures; asserts nothing.
 *
 * 20 brands × 3 providers × 4 keys; 32 concurrent clients; each cycle leases a
 * random brand's random provider and reports success with a cost and tokens.
 */
import { createBrandToken, fmt, startServer } from './support.js';

const BRANDS = 20;
const PROVIDERS = ['groq', 'mistral', 'cerebras'] as const;
const KEYS_PER_PROVIDER = 4;
const CLIENTS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const RATE_PER_S = Number(process.env.BENCH_RATE ?? 100);

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One unit of work: a lease and its report, or one `{ __typename }` request. */
type Work = () => Promise<void>;

async function saturate(work: Work, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        try {
          await work();
          latencies.push(performance.now() - start);
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** Starts `rate` units per second on schedule, whatever the previous ones are doing. */
async function paced(work: Work, rate: number, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(work().then(() => void latencies.push(performance.now() - t0), () => void errors++));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

const server = await startServer();
try {
  const tokens: string[] = [];
  for (let b = 0; b < BRANDS; b++) {
    const token = await createBrandToken(server, `cycle-${b}`);
    tokens.push(token);
    for (const provider of PROVIDERS) {
      for (let k = 0; k < KEYS_PER_PROVIDER; k++) {
        await post(`${server.url}/api/v1/integrations`, token, { provider_name: provider, credentials: { api_key: `${provider}-bench-${b}-${k}-0123456789` } });
      }
    }
  }
  const cycle: Work = async () => {
    const token = pick(tokens);
    const { lease } = await post(`${server.url}/api/v1/integrations/lease`, token, { provider_name: pick(PROVIDERS) });
    await post(`${server.url}/api/v1/integrations/usage`, token, {
      lease_id: lease.lease_id, success: true, status_code: 200, latency_ms: 420, cost_usd: 0.00021, prompt_tokens: 812, completion_tokens: 96,
    });
  };
  const typename: Work = async () => {
    await post(`${server.url}/graphql`, pick(tokens), { query: '{ __typename }' });
  };

  await saturate(typename, 2); // warm-up
  await saturate(cycle, 2);
  const base = await saturate(typename, DURATION_S);
  const cycles = await saturate(cycle, DURATION_S);
  const steady = await paced(cycle, RATE_PER_S, DURATION_S);

  console.log(`\nkeypool cycle benchmark — ${BRANDS} brands × ${PROVIDERS.length} providers × ${KEYS_PER_PROVIDER} keys, ${CLIENTS} clients, ${DURATION_S} s per phase, REST, embedded PostgreSQL, one server process`);
  console.log('| phase | per s | p50 ms | p99 ms | × { __typename } | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| { __typename } (saturation) | ${fmt(base.rate)} | ${fmt(base.p50, 1)} | ${fmt(base.p99, 1)} | 1.00 | ${base.errors} |`);
  console.log(`| lease + report cycle (saturation) | ${fmt(cycles.rate)} | ${fmt(cycles.p50, 1)} | ${fmt(cycles.p99, 1)} | ${fmt(cycles.rate / base.rate, 2)} | ${cycles.errors} |`);
  console.log(`| lease + report cycle at ${RATE_PER_S}/s | ${RATE_PER_S} | ${fmt(steady.p50, 1)} | ${fmt(steady.p99, 1)} | | ${steady.errors} |`);
} finally {
  await server.stop();
}
