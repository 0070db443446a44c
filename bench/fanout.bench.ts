/**
 * npm run bench:fanout — 100 and 1,000 graphql-ws subscribers on one
 * instance, one health change at a time: how long until every subscriber has
 * it (p50/p99 over subscribers and rounds), and server memory per subscriber.
 * Prints figures; asserts nothing.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createBrandToken, fmt, graphql, startServer, type BenchServer } from './support.js';

const ROUNDS = 5;
const SUBSCRIPTION = 'subscription { integrationHealthChanged(providerName: "groq") { status integration { id } } }';

async function metric(server: BenchServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function openSubscribers(server: BenchServer, token: string, count: number, onEvent: (i: number) => void) {
  const clients: Client[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
        clients.push(client);
        client.on('connected', () => setTimeout(resolve, 50));
        client.subscribe({ query: SUBSCRIPTION }, { next: () => onEvent(i), error: reject, complete: () => {} });
      }),
    ),
  );
  return clients;
}

async function healthChange(server: BenchServer, token: string, round: number) {
  const { createIntegration } = await graphql(server.url, token, 'mutation($k: JSONObject!) { createIntegration(input: { providerName: "groq", credentials: $k, isPrimary: true }) { id } }', {
    k: { api_key: `gsk_fanout_${round}_${Date.now()}_0123456789` },
  });
  const { leaseKey } = await graphql(server.url, token, 'mutation { leaseKey(input: { providerName: "groq" }) { leaseId integration { id } } }');
  if (leaseKey.integration.id !== createIntegration.id) throw new Error('expected the new primary key');
  const start = performance.now();
  await graphql(server.url, token, 'mutation($l: String!) { reportKeyUsage(input: { leaseId: $l, success: false, statusCode: 401 }) { id } }', { l: leaseKey.leaseId });
  return start;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const server = await startServer();
const rows: string[] = [];
try {
  const token = await createBrandToken(server, 'fanout');
  for (const count of [100, 1000]) {
    const rssBefore = await metric(server, 'process_resident_memory_bytes');
    let arrivals: number[] = [];
    const clients = await openSubscribers(server, token, count, () => arrivals.push(performance.now()));
    await new Promise((r) => setTimeout(r, 500));
    const rssAfter = await metric(server, 'process_resident_memory_bytes');
    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      arrivals = [];
      const start = await healthChange(server, token, round + count);
      const deadline = Date.now() + 10_000;
      while (arrivals.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (arrivals.length < count) throw new Error(`only ${arrivals.length} of ${count} subscribers got the event`);
      latencies.push(...arrivals.map((a) => a - start));
    }
    latencies.sort((a, b) => a - b);
    rows.push(`| ${fmt(count)} | ${ROUNDS} | ${fmt(percentile(latencies, 50), 1)} | ${fmt(percentile(latencies, 99), 1)} | ${fmt(latencies.at(-1)!, 1)} | ${fmt((rssAfter - rssBefore) / count / 1024, 1)} |`);
    await Promise.all(clients.map((c) => c.dispose()));
    await new Promise((r) => setTimeout(r, 500));
  }
  // Churn: rounds of 1,000 connect/subscribe/disconnect cycles; a leak shows as memory that grows round after round.
  const churn: string[] = [];
  for (let round = 0; round <= 3; round++) {
    if (round > 0) {
      for (let i = 0; i < 1000; i += 50) {
        const batch = await openSubscribers(server, token, 50, () => {});
        await Promise.all(batch.map((c) => c.dispose()));
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const heap = await metric(server, 'nodejs_heap_size_used_bytes');
    const rss = await metric(server, 'process_resident_memory_bytes');
    churn.push(`${round * 1000} cycles: heap ${fmt(heap / 2 ** 20, 1)} MiB, RSS ${fmt(rss / 2 ** 20, 1)} MiB`);
  }

  console.log('\nkeypool fan-out benchmark — one server process, embedded PostgreSQL, event: integrationHealthChanged after a reported 401');
  console.log('| subscribers | rounds | p50 ms | p99 ms | max ms | server RSS per subscriber (KiB) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log(`\nchurn (server memory after each round of 1,000 connect/subscribe/disconnect cycles):\n  ${churn.join('\n  ')}`);
  console.log('latency: from sending reportKeyUsage to each subscriber receiving the event (includes the report round trip)');
} finally {
  await server.stop();
}
