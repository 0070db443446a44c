/**
 * npm run bench:lease — leases/s and latency at 32 concurrent clients over
 * GraphQL and REST, beside the same server's `{ __typename }` rate measured in
 * the same run, then a limit-overshoot check. Prints figures; asserts nothing.
 */
import autocannon from 'autocannon';
import { createBrandToken, fmt, graphql, startServer } from './support.js';

const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const KEYS = 8;

interface Phase {
  name: string;
  path: string;
  body: string;
  /** Default: the brand's client token. */
  authorization?: string;
}

async function measure(url: string, token: string, phase: Phase) {
  const options = {
    url: `${url}${phase.path}`,
    method: 'POST' as const,
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json', authorization: phase.authorization ?? `Bearer ${token}` },
    body: phase.body,
  };
  await autocannon({ ...options, duration: 2 }); // warm-up
  const r = await autocannon({ ...options, duration: DURATION_S });
  return { name: phase.name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts, total: r.requests.total };
}

const server = await startServer();
try {
  const token = await createBrandToken(server, 'bench');
  for (let i = 0; i < KEYS; i++) {
    await graphql(server.url, token, 'mutation($k: JSONObject!) { createIntegration(input: { providerName: "groq", credentials: $k }) { id } }', {
      k: { api_key: `gsk_bench_${i}_0123456789abcdef` },
    });
  }
  // A node credential that may lease: its leases go through Basic authentication (cached) and are attributed to its node.
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const node = (await (await fetch(`${server.url}/api/v1/nodes`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench-workers' }) })).json()) as { node: { id: string } };
  const credential = (await (await fetch(`${server.url}/api/v1/integrations`, {
    method: 'POST', headers, body: JSON.stringify({ node_id: node.node.id, name: 'bench', permissions: ['integrations.lease'] }),
  })).json()) as { api_key: string; secret: string };
  const basic = `Basic ${Buffer.from(`${credential.api_key}:${credential.secret}`).toString('base64')}`;
  const phases: Phase[] = [
    { name: '{ __typename }', path: '/graphql', body: JSON.stringify({ query: '{ __typename }' }) },
    { name: 'leaseKey (GraphQL)', path: '/graphql', body: JSON.stringify({ query: 'mutation { leaseKey(input: { providerName: "groq" }) { leaseId credentials expiresAt integration { id } } }' }) },
    { name: 'lease (REST)', path: '/api/v1/integrations/lease', body: JSON.stringify({ provider_name: 'groq' }) },
    { name: 'lease (REST, node credential, Basic)', path: '/api/v1/integrations/lease', body: JSON.stringify({ provider_name: 'groq' }), authorization: basic },
  ];
  const results = [];
  for (const phase of phases) results.push(await measure(server.url, token, phase));
  const base = results[0].rps;

  // Overshoot: a key with minute_limit 300 under 3,000 concurrent leases must grant exactly 300.
  const { createIntegration } = await graphql(server.url, token, 'mutation { createIntegration(input: { providerName: "cerebras", credentials: { api_key: "csk-bench-limit-0123456789" }, minuteLimit: 300 }) { id } }');
  const second = new Date().getUTCSeconds();
  if (second > 45) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
  const limitRun = await autocannon({
    url: `${server.url}/api/v1/integrations/lease`, method: 'POST', connections: CONNECTIONS, amount: 3000,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ provider_name: 'cerebras' }),
  });
  const granted = limitRun['2xx'];
  const { integration } = await graphql(server.url, token, `{ integration(id: ${createIntegration.id}) { minuteCount } }`);

  console.log(`\nkeypool lease benchmark — ${CONNECTIONS} connections, ${DURATION_S} s per phase, ${KEYS} keys, embedded PostgreSQL, one server process`);
  console.log('| phase | req/s | p50 ms | p99 ms | × { __typename } | non-2xx |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${fmt(r.rps / base, 2)} | ${r.errors} |`);
  const byToken = results.find((r) => r.name === 'lease (REST)')!.rps;
  const byCredential = results.find((r) => r.name.startsWith('lease (REST, node'))!.rps;
  console.log(`\nnode credential vs client token (REST lease): ${fmt(byCredential / byToken, 2)}× (target ≥ 0.90×)`);
  console.log(`\nlimit check: 3,000 leases against minute_limit 300 → ${granted} granted, ${limitRun['4xx']} refused (429), minute_count ${integration.minuteCount}; overshoot ${Math.max(0, granted - 300)}`);
} finally {
  await server.stop();
}
