/**
 * One load-generator process of `npm run bench:scale`: `clients` loops against
 * the instances' URLs (round robin), doing one kind of work for `seconds`, then
 * one JSON line on stdout: units done, errors, per-request latencies (a sample; the process's first
 * units warm it up first, done and reported but not timed, counted apart as warmUnits),
 * and, for cycles, the micro-dollars reported per key (the spend check), acknowledged and in
 * doubt (a report sent whose answer never came).
 *
 * argv[2]: JSON { urls, tokens, providers, kind: 'typename' | 'rest' | 'graphql' | 'lease', seconds, clients, rate? }
 * With `rate` the loops start that many units per second in all (paced), else they saturate.
 */
import { Agent, request } from 'undici';

interface Job {
  urls: string[];
  tokens: string[];
  providers: string[];
  kind: 'typename' | 'rest' | 'graphql' | 'lease';
  seconds: number;
  clients: number;
  rate?: number;
}

const job = JSON.parse(process.argv[2]) as Job;
const dispatcher = new Agent({ connections: Math.max(8, Math.ceil(job.clients / job.urls.length) + 4), keepAliveTimeout: 30_000 });
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];
let next = 0;
const baseUrl = () => job.urls[next++ % job.urls.length];

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await request(url, {
    method: 'POST', dispatcher, body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  const json = (await res.body.json()) as any;
  if (res.statusCode >= 300 || json.errors) throw new Error(`${res.statusCode} ${JSON.stringify(json).slice(0, 200)}`);
  return json;
}

const reported = new Map<number, number>();
const inDoubt = new Map<number, number>();
const latencies: number[] = [];
/** Of the cycles' requests, the leases' latencies alone (a lease waits on the database only when its key's claimed slice ran out). */
const leaseLatencies: number[] = [];
/** The first units of a process warm it up (its code compiled, its connections open): done, reported, but not timed. */
const WARM_UNITS = 20;
let warming = true;
const timed = async <T>(work: () => Promise<T>, alsoIn?: number[]): Promise<T> => {
  const t0 = performance.now();
  const out = await work();
  const ms = performance.now() - t0;
  if (warming) return out;
  if (latencies.length < 200_000) latencies.push(ms);
  if (alsoIn && alsoIn.length < 200_000) alsoIn.push(ms);
  return out;
};

async function unit(): Promise<void> {
  const url = baseUrl();
  const token = pick(job.tokens);
  const provider = pick(job.providers);
  const micros = Math.floor(Math.random() * 5_000_000);
  const failed = Math.random() < 0.02;
  if (job.kind === 'typename') {
    await timed(() => post(`${url}/graphql`, token, { query: '{ __typename }' }));
  } else if (job.kind === 'lease') {
    await timed(() => post(`${url}/api/v1/integrations/lease`, token, { provider_name: provider }));
  } else if (job.kind === 'rest') {
    const lease = await timed(() => post(`${url}/api/v1/integrations/lease`, token, { provider_name: provider }), leaseLatencies);
    const id = lease.lease.integration_id;
    try {
      await timed(() => post(`${url}/api/v1/integrations/usage`, token, {
        lease_id: lease.lease.lease_id, success: !failed, status_code: failed ? 503 : 200, latency_ms: 420,
        cost_usd: micros / 1e6, prompt_tokens: 812, completion_tokens: 96,
      }));
    } catch (e) {
      // Sent, not acknowledged (an instance killed, a connection dropped): it may or may not have counted.
      inDoubt.set(id, (inDoubt.get(id) ?? 0) + micros);
      throw e;
    }
    reported.set(id, (reported.get(id) ?? 0) + micros);
  } else {
    const { data } = await timed(() => post(`${url}/graphql`, token, {
      query: 'mutation($p: String!) { leaseKey(input: { providerName: $p }) { leaseId integration { id } } }', variables: { p: provider },
    }));
    await timed(() => post(`${url}/graphql`, token, {
      query: 'mutation($i: ReportKeyUsageInput!) { reportKeyUsage(input: $i) { id healthStatus } }',
      variables: { i: { leaseId: data.leaseKey.leaseId, success: !failed, statusCode: failed ? 503 : 200, latencyMs: 420, costUsd: (micros / 1e6).toFixed(6), promptTokens: 812, completionTokens: 96 } },
    }));
    const id = Number(data.leaseKey.integration.id);
    reported.set(id, (reported.get(id) ?? 0) + micros);
  }
}

let units = 0;
let errors = 0;
let warmUnits = 0;
for (; warmUnits < WARM_UNITS; warmUnits++) {
  await unit().catch((e: unknown) => {
    errors++;
    if (process.env.BENCH_VERBOSE) console.error(e);
  });
}
warming = false;
const end = performance.now() + job.seconds * 1000;
const run = () => unit().then(() => void units++, (e) => {
  errors++;
  if (process.env.BENCH_VERBOSE) console.error(e);
});
if (job.rate) {
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; performance.now() < end; i++) {
    const wait = start + (i * 1000) / job.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(run());
  }
  await Promise.all(pending);
} else {
  await Promise.all(Array.from({ length: job.clients }, async () => {
    while (performance.now() < end) await run();
  }));
}
// Latencies are sampled evenly so the parent can merge processes' samples.
const step = Math.max(1, Math.floor(latencies.length / 20_000));
const leaseStep = Math.max(1, Math.floor(leaseLatencies.length / 20_000));
process.stdout.write(`${JSON.stringify({
  units, warmUnits, errors, latencies: latencies.filter((_, i) => i % step === 0), leaseLatencies: leaseLatencies.filter((_, i) => i % leaseStep === 0),
  reported: [...reported], inDoubt: [...inDoubt],
})}\n`);
await dispatcher.close();
