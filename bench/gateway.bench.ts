/**
 * npm run bench:gateway — what the OpenAI-compatible gateway adds. A fake
 * upstream (its own process, answering at once) is called directly and through
 * keypool by the same load generator in the same run: plain completions and
 * streamed ones (time to first byte), at saturation (throughput ratio) and at a
 * fixed rate (added p50/p99). Through keypool every call is a whole lease →
 * forward → report cycle, over 5 brands × 4 keys. Prints figures; asserts nothing.
 */
import { Agent, request } from 'undici';
import { cpuCores, createBrandToken, fmt, paced, saturate, startChild, startServer, type Phase, type Work } from './support.js';

const BRANDS = 5;
const KEYS = 4;
const CLIENTS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const PACED_RATE = Number(process.env.BENCH_RATE ?? 100);

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];
const agent = new Agent({ connections: CLIENTS * 2, keepAliveTimeout: 30_000 });

/** One call, timed until the first body byte (streams) or the whole answer (plain). */
function caller(baseUrl: string, token: () => string, stream: boolean): Work {
  return async () => {
    const t0 = performance.now();
    const res = await request(`${baseUrl}/chat/completions`, {
      method: 'POST', dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
      body: JSON.stringify({ model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }], ...(stream && { stream: true }) }),
    });
    let first = 0;
    for await (const _chunk of res.body) first ||= performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    return [stream ? first : performance.now() - t0];
  };
}

/** For comparison: the lease request alone (REST), timed; its report follows, untimed. */
function leaseOnly(keypoolUrl: string, token: () => string): Work {
  return async () => {
    const t = token();
    const post = (path: string, body: unknown) => request(`${keypoolUrl}${path}`, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` }, body: JSON.stringify(body),
    });
    const t0 = performance.now();
    const res = await post('/api/v1/integrations/lease', { provider_name: 'groq', model: 'llama-3.1-8b-instant' });
    const { lease } = (await res.body.json()) as { lease: { lease_id: string } };
    const elapsed = performance.now() - t0;
    await (await post('/api/v1/integrations/usage', { lease_id: lease.lease_id, success: true, status_code: 200, latency_ms: 1 })).body.dump();
    return [elapsed];
  };
}

const upstream = await startChild('bench/fake-upstream.ts', 'upstream');
const bare = await startChild('bench/bare-proxy.ts', 'proxy', [upstream.url]);
const upstreamOrigin = new URL(upstream.url).origin;
const server = await startServer({
  KEYPOOL_GATEWAY_BASE_URLS: `groq=${upstream.url},openai=${upstream.url},anthropic=${upstream.url},google_ai=${upstreamOrigin}/v1beta/openai`,
});
try {
  const tokens: string[] = [];
  for (let b = 0; b < BRANDS; b++) {
    const token = await createBrandToken(server, `gateway-${b}`);
    tokens.push(token);
    for (let k = 0; k < KEYS; k++) {
      const res = await fetch(`${server.url}/api/v1/integrations`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ provider_name: 'groq', credentials: { api_key: `gsk-bench-${b}-${k}-0123456789` } }),
      });
      if (res.status !== 201) throw new Error(`creating a key: ${res.status} ${await res.text()}`);
    }
    // One key of each provider the native protocols go to.
    for (const provider of ['openai', 'anthropic', 'google_ai']) {
      const res = await fetch(`${server.url}/api/v1/integrations`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ provider_name: provider, credentials: { api_key: `${provider}-bench-${b}-0123456789abcdef` } }),
      });
      if (res.status !== 201) throw new Error(`creating a key: ${res.status} ${await res.text()}`);
    }
  }
  const anyToken = () => pick(tokens);
  const direct = { plain: caller(upstream.url, () => 'gsk-direct', false), stream: caller(upstream.url, () => 'gsk-direct', true) };
  const via = { plain: caller(`${server.url}/v1`, anyToken, false), stream: caller(`${server.url}/v1`, anyToken, true) };
  // The bare proxy's phases count its CPU in the first column (keypool is idle then).
  const bareCpu = { ...server, pid: bare.pid };
  const proxied = { plain: caller(bare.url, () => 'unused', false), stream: caller(bare.url, () => 'unused', true) };

  for (const call of [direct.plain, via.plain, proxied.plain, direct.stream, via.stream, proxied.stream]) await saturate(server, call, 2, CLIENTS); // warm-up
  const sat = {
    directPlain: await saturate(server, direct.plain, DURATION_S, CLIENTS),
    viaPlain: await saturate(server, via.plain, DURATION_S, CLIENTS),
    barePlain: await saturate(bareCpu, proxied.plain, DURATION_S, CLIENTS),
    directStream: await saturate(server, direct.stream, DURATION_S, CLIENTS),
    viaStream: await saturate(server, via.stream, DURATION_S, CLIENTS),
    bareStream: await saturate(bareCpu, proxied.stream, DURATION_S, CLIENTS),
  };
  const fixed = {
    directPlain: await paced(server, direct.plain, PACED_RATE, DURATION_S),
    viaPlain: await paced(server, via.plain, PACED_RATE, DURATION_S),
    barePlain: await paced(bareCpu, proxied.plain, PACED_RATE, DURATION_S),
    directStream: await paced(server, direct.stream, PACED_RATE, DURATION_S),
    viaStream: await paced(server, via.stream, PACED_RATE, DURATION_S),
    bareStream: await paced(bareCpu, proxied.stream, PACED_RATE, DURATION_S),
    leaseOnly: await paced(server, leaseOnly(server.url, anyToken), PACED_RATE, DURATION_S),
  };

  // The ceiling: the transport alone (bench/bare-proxy.ts), in its own process like keypool; its CPU is in the first column.
  const BARE = 'for comparison: a bare forwarding proxy (no auth, lease or report; CPU: the proxy)';
  const row = (name: string, p: Phase, extra: string) => console.log(`| ${name} | ${fmt(p.rate)} | ${fmt(p.p50, 2)} | ${fmt(p.p99, 2)} | ${extra} | ${p.errors} | ${cpuCores(p)} |`);
  console.log(`\nkeypool gateway benchmark — fake upstream answering at once (own process), ${BRANDS} brands × ${KEYS} groq keys, ${CLIENTS} clients at saturation, ${PACED_RATE}/s fixed rate, ${DURATION_S} s per phase`);
  console.log('| phase | calls/s | p50 ms | p99 ms | vs direct | errors | CPU cores: keypool (or the bare proxy) / PostgreSQL / load generator |');
  console.log('|---|---:|---:|---:|---|---:|---|');
  row('direct, plain (saturation)', sat.directPlain, '');
  row('through keypool, plain (saturation)', sat.viaPlain, `${fmt(sat.viaPlain.rate / sat.directPlain.rate, 2)}× throughput`);
  row(BARE + ', plain (saturation)', sat.barePlain, `${fmt(sat.barePlain.rate / sat.directPlain.rate, 2)}× throughput`);
  row('direct, streamed: first byte (saturation)', sat.directStream, '');
  row('through keypool, streamed: first byte (saturation)', sat.viaStream, `${fmt(sat.viaStream.rate / sat.directStream.rate, 2)}× throughput`);
  row(BARE + ', streamed: first byte (saturation)', sat.bareStream, `${fmt(sat.bareStream.rate / sat.directStream.rate, 2)}× throughput`);
  const added = (p: Phase, base: Phase) => `+${fmt(p.p50 - base.p50, 2)} ms p50, +${fmt(p.p99 - base.p99, 2)} ms p99`;
  row(`direct, plain at ${PACED_RATE}/s`, fixed.directPlain, '');
  row(`through keypool, plain at ${PACED_RATE}/s`, fixed.viaPlain, added(fixed.viaPlain, fixed.directPlain));
  row(`${BARE}, plain at ${PACED_RATE}/s`, fixed.barePlain, added(fixed.barePlain, fixed.directPlain));
  row(`for comparison: REST lease alone at ${PACED_RATE}/s (report after it, untimed)`, fixed.leaseOnly, '');
  row(`direct, streamed at ${PACED_RATE}/s: first byte`, fixed.directStream, '');
  row(`through keypool, streamed at ${PACED_RATE}/s: first byte`, fixed.viaStream, added(fixed.viaStream, fixed.directStream));
  row(`${BARE}, streamed at ${PACED_RATE}/s: first byte`, fixed.bareStream, added(fixed.bareStream, fixed.directStream));

  // The providers' own protocols (and a translated chat), through keypool and through the bare proxy, at the fixed rate.
  const protocols: { name: string; path: string; body: object }[] = [
    { name: 'OpenAI Responses', path: '/v1/responses', body: { model: 'openai/gpt-4.1-mini', input: 'hi' } },
    { name: 'Anthropic Messages', path: '/v1/messages', body: { model: 'anthropic/claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] } },
    { name: 'Gemini generateContent', path: '/v1beta/models/gemini-2.0-flash:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } },
  ];
  const post = (origin: string, path: string, body: object, token: () => string): Work => async () => {
    const t0 = performance.now();
    const res = await request(`${origin}${path}`, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` }, body: JSON.stringify(body),
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    return [performance.now() - t0];
  };
  const bareOrigin = new URL(bare.url).origin;
  console.log(`\nthe providers' own protocols at ${PACED_RATE}/s, each through keypool and through the bare proxy`);
  console.log('| phase | calls/s | p50 ms | p99 ms | vs the bare proxy | errors | CPU cores: keypool (or the bare proxy) / PostgreSQL / load generator |');
  console.log('|---|---:|---:|---:|---|---:|---|');
  for (const p of protocols) {
    const through = post(server.url, p.path, p.body, anyToken);
    const proxied = post(bareOrigin, p.path, p.body, () => 'unused');
    await paced(server, through, PACED_RATE, 2); // warm-up
    const via = await paced(server, through, PACED_RATE, DURATION_S);
    const plain = await paced(bareCpu, proxied, PACED_RATE, DURATION_S);
    row(`${p.name} through keypool`, via, added(via, plain));
    row(`${p.name}, bare proxy`, plain, '');
  }
} finally {
  await server.stop();
  upstream.stop();
  bare.stop();
  await agent.close();
}
