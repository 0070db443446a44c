/**
 * npm run bench:cycle — the workload as users run it: many brands at once, each
 * loop a whole lease → (provider call) → report cycle, over REST and over
 * GraphQL, beside the same load generator's `{ __typename }` rate in the same
 * run (the ratio is what compares across machines). Then each cycle at a fixed
 * rate, half the measured one, for its latency. Afterwards every key's
 * spend_month must equal the sum of the costs reported for it, exactly.
 * Prints figures; asserts nothing (mismatches are printed and set the exit code).
 *
 * 20 brands × 3 providers × 4 keys, minute/daily/spend limits set; 32 concurrent
 * clients; each loop leases a random brand's random provider and reports it:
 * 2 % as 503s, costs with 6 decimals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuCores, createBrandToken, fmt, paced, saturate, startChild, startServer, type Phase, type Work } from './support.js';

const BRANDS = 20;
const PROVIDERS = ['groq', 'mistral', 'cerebras'] as const;
const KEYS_PER_PROVIDER = 4;
const CLIENTS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const FAILURE_SHARE = 0.02;

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok || json.errors) throw new Error(`${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Costs are counted in micro-dollars (whole numbers), so the expected sums are exact. */
const reported = new Map<number, number>();
function randomCost(): { text: string; micros: number } {
  const micros = Math.floor(Math.random() * 5_000_000);
  return { text: (micros / 1e6).toFixed(6), micros };
}

async function timed(request: () => Promise<void>, into: number[]) {
  const t0 = performance.now();
  await request();
  into.push(performance.now() - t0);
}

function outcome(): { success: boolean; status: number } {
  return Math.random() < FAILURE_SHARE ? { success: false, status: 503 } : { success: true, status: 200 };
}

const server = await startServer();
let bare: Awaited<ReturnType<typeof startChild>> | undefined;
try {
  const tokens: string[] = [];
  for (let b = 0; b < BRANDS; b++) {
    const token = await createBrandToken(server, `cycle-${b}`);
    tokens.push(token);
    for (const provider of PROVIDERS) {
      for (let k = 0; k < KEYS_PER_PROVIDER; k++) {
        await post(`${server.url}/api/v1/integrations`, token, {
          provider_name: provider, credentials: { api_key: `${provider}-bench-${b}-${k}-0123456789` },
          minute_limit: 100_000, daily_limit: 10_000_000, spend_limit_amount: 1_000_000_000, spend_limit_period: 'monthly', spend_limit_action: 'warn',
        });
      }
    }
  }

  /** A lease and its report over REST against `baseUrl`, each request timed into `latencies`; both answers. */
  async function leaseAndReport(baseUrl: string, token: string, provider: string, cost: { text: string }, result: { success: boolean; status: number }, latencies: number[]) {
    let lease: any;
    let usage: any;
    await timed(async () => void (lease = await post(`${baseUrl}/api/v1/integrations/lease`, token, { provider_name: provider })), latencies);
    await timed(async () => void (usage = await post(`${baseUrl}/api/v1/integrations/usage`, token, {
      lease_id: lease.lease.lease_id, success: result.success, status_code: result.status, latency_ms: 420, cost_usd: Number(cost.text), prompt_tokens: 812, completion_tokens: 96,
    })), latencies);
    return { lease, usage };
  }
  /** One REST cycle against `baseUrl`; `count` adds its cost to the spend check (not for the bare server). */
  const restCycle = (baseUrl: string, count: boolean): Work => async () => {
    const latencies: number[] = [];
    const cost = randomCost();
    const { lease } = await leaseAndReport(baseUrl, pick(tokens), pick(PROVIDERS), cost, outcome(), latencies);
    if (count) reported.set(lease.lease.integration_id, (reported.get(lease.lease.integration_id) ?? 0) + cost.micros);
    return latencies;
  };
  const rest = restCycle(server.url, true);
  const graphql: Work = async () => {
    const token = pick(tokens);
    const latencies: number[] = [];
    let lease: any;
    await timed(async () => {
      const { data } = await post(`${server.url}/graphql`, token, {
        query: 'mutation($p: String!) { leaseKey(input: { providerName: $p }) { leaseId integration { id } } }', variables: { p: pick(PROVIDERS) },
      });
      lease = data.leaseKey;
    }, latencies);
    const cost = randomCost();
    const { success, status } = outcome();
    await timed(() => post(`${server.url}/graphql`, token, {
      query: 'mutation($i: ReportKeyUsageInput!) { reportKeyUsage(input: $i) { id healthStatus } }',
      variables: { i: { leaseId: lease.leaseId, success, statusCode: status, latencyMs: 420, costUsd: cost.text, promptTokens: 812, completionTokens: 96 } },
    }), latencies);
    const id = Number(lease.integration.id);
    reported.set(id, (reported.get(id) ?? 0) + cost.micros);
    return latencies;
  };
  const typename: Work = async () => {
    const latencies: number[] = [];
    await timed(() => post(`${server.url}/graphql`, pick(tokens), { query: '{ __typename }' }), latencies);
    return latencies;
  };

  // The ceiling (bench/bare-rest.ts): the same two requests against a server that answers a real
  // lease's and a real report's bodies, captured here (that report counts in the spend check), and does nothing else.
  const answersFile = join(mkdtempSync(join(tmpdir(), 'keypool-bare-')), 'answers.json');
  const captured = await leaseAndReport(server.url, tokens[0], PROVIDERS[0], { text: '0.000001' }, { success: true, status: 200 }, []);
  reported.set(captured.lease.lease.integration_id, (reported.get(captured.lease.lease.integration_id) ?? 0) + 1);
  writeFileSync(answersFile, JSON.stringify(captured));
  bare = await startChild('bench/bare-rest.ts', 'bare', [answersFile]);
  const bareCycle = restCycle(bare.url, false);
  const bareCpu = { ...server, pid: bare.pid }; // its phase counts the bare server's CPU in the first column

  await saturate(server, typename, 2, CLIENTS); // warm-up
  await saturate(bareCpu, bareCycle, 2, CLIENTS);
  await saturate(server, rest, 2, CLIENTS);
  await saturate(server, graphql, 2, CLIENTS);
  const base = await saturate(server, typename, DURATION_S, CLIENTS);
  const bareSat = await saturate(bareCpu, bareCycle, DURATION_S, CLIENTS);
  const restSat = await saturate(server, rest, DURATION_S, CLIENTS);
  const graphqlSat = await saturate(server, graphql, DURATION_S, CLIENTS);
  const restPaced = await paced(server, rest, Math.round(restSat.rate / 2), DURATION_S);
  const graphqlPaced = await paced(server, graphql, Math.round(graphqlSat.rate / 2), DURATION_S);

  // Every key's spend this month against what was reported for it, in micro-dollars.
  let keys = 0;
  const mismatches: string[] = [];
  for (const token of tokens) {
    const { data } = await post(`${server.url}/graphql`, token, { query: '{ integrations(limit: 100) { items { id spendMonth } } }' });
    for (const i of data.integrations.items as { id: string; spendMonth: string }[]) {
      keys++;
      const [whole, fraction = ''] = i.spendMonth.split('.');
      const micros = Number(whole) * 1e6 + Number(fraction.padEnd(6, '0').slice(0, 6));
      const expected = reported.get(Number(i.id)) ?? 0;
      if (micros !== expected || fraction.replace(/0+$/, '').length > 6) mismatches.push(`#${i.id}: spendMonth ${i.spendMonth}, reported ${(expected / 1e6).toFixed(6)}`);
    }
  }

  const row = (name: string, p: Phase, ratio: string) =>
    console.log(`| ${name} | ${fmt(p.rate)} | ${fmt(p.p50, 1)} | ${fmt(p.p99, 1)} | ${ratio} | ${p.errors} | ${cpuCores(p)} |`);
  console.log(`\nkeypool cycle benchmark — ${BRANDS} brands × ${PROVIDERS.length} providers × ${KEYS_PER_PROVIDER} keys, ${CLIENTS} clients, ${DURATION_S} s per phase, ${FAILURE_SHARE * 100} % 503s, embedded PostgreSQL, one server process`);
  console.log('| phase | cycles/s | p50 ms per request | p99 ms per request | × { __typename } | errors | CPU cores: server / PostgreSQL / load generator |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  row('{ __typename } (saturation, requests)', base, '1.00');
  row('for comparison: the same two requests against a bare server answering fixed bodies (CPU: that server)', bareSat, fmt(bareSat.rate / base.rate, 2));
  row('REST lease + report (saturation)', restSat, fmt(restSat.rate / base.rate, 2));
  row('GraphQL leaseKey + reportKeyUsage (saturation)', graphqlSat, fmt(graphqlSat.rate / base.rate, 2));
  row(`REST cycle at ${Math.round(restSat.rate / 2)}/s (half)`, restPaced, '');
  row(`GraphQL cycle at ${Math.round(graphqlSat.rate / 2)}/s (half)`, graphqlPaced, '');
  console.log(`\nspend check: ${keys} keys, ${[...reported.values()].length} with reports, ${mismatches.length} mismatches`);
  for (const m of mismatches.slice(0, 20)) console.log(`  ${m}`);
  if (mismatches.length > 0) process.exitCode = 1;
} finally {
  bare?.stop();
  await server.stop();
}
