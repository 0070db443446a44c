/**
 * npm run bench:free-tier — provider-shaped limits against request limits alone, in one run.
 *
 * A local fake provider (Gemini's generateContent, where the gateway sends a `google_ai/…` chat call) holds
 * its keys to free-tier limits the way Gemini does: per key 20 requests and 6,000 tokens a minute
 * and 150 requests a day; three of its six keys belong to one project whose quota (200 requests a
 * day, 12,000 tokens a minute) they share; days reset at midnight in Los Angeles; answers carry
 * x-ratelimit-* headers, refusals Gemini's QuotaFailure and RetryInfo; 2 % of calls answer 503
 * "overloaded". Its tokenizer is not keypool's (it counts 15 % more than o200k).
 *
 * Four keypool instances on one PostgreSQL, on one manual clock with the fake, serve a workload
 * of mixed prompt sizes (short, medium, long; max_tokens 256) through the gateway: 80 calls a
 * simulated minute in four bursts, for 30 minutes across midnight in Los Angeles. Twice, on a
 * fresh database each time:
 *  - request limits only (today's keys): minute_limit 20 and daily_limit 150 per key, days in UTC;
 *  - provider-shaped: the same, plus token_minute_limit 6,000, the three project keys in a quota
 *    group (daily_limit 200, token_minute_limit 12,000), days in America/Los_Angeles.
 *
 * Printed: calls served, upstream 429s, keys marked unhealthy or degraded, keys penalised for an
 * overloaded provider, and (provider-shaped) token-limit overshoot: minutes in which a key's or the
 * group's served tokens passed its configured limit. The last line reads
 * RESULT upstream_429_reduction=<0..1> served_ratio=<x> token_overshoot=<n> punished_healthy=<n>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import pg from 'pg';
import { createApp, type App } from '../src/app.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { ManualClock } from '../src/platform/time/clock.js';
import { dayIn } from '../src/modules/keys/reset-clock.js';
import { testConfig } from '../test/support/config.js';

const INSTANCES = 4;
const MINUTES = Number(process.env.BENCH_MINUTES ?? 30);
const CALLS_PER_MINUTE = 80;
const BURSTS = 4;
const KEYS = 6;
const PROJECT_KEYS = 3;
const LIMITS = { rpm: 20, tpm: 6000, rpd: 150, projectRpd: 200, projectTpm: 12_000 };
const ZONE = 'America/Los_Angeles';
/** 23:45 in Los Angeles (PST): midnight there comes 15 minutes in. */
const START = '2026-01-15T07:45:00Z';
const OVERLOAD_RATE = 0.02;
const MAX_TOKENS = 256;

/** A seeded PRNG (mulberry32): both scenarios see the same workload and the same overloads. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PROMPTS = [
  'Summarise this in one line: the quick brown fox jumps over the lazy dog.',
  'Explain, step by step, how a hash map handles collisions. '.repeat(25),
  'Review the following design document and list its risks. '.repeat(120),
];

interface Served {
  key: string;
  minute: number;
  tokens: number;
}

/** The fake provider: free-tier limits per key and per project, on the bench's clock. */
function fakeProvider(clock: ManualClock, random: () => number) {
  const keys = new Map<string, { minute: number; requests: number; tokens: number; day: string; daily: number }>();
  const project = { minute: 0, tokens: 0, day: '', daily: 0 };
  const stats = { calls: 0, served: [] as Served[], rateLimited: 0, overloaded: 0 };
  const isProject = (key: string) => Number(key.split('-').pop()) < PROJECT_KEYS;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      stats.calls++;
      const key = String(req.headers['x-goog-api-key'] ?? '');
      const body = JSON.parse(raw) as { contents: { parts: { text?: string }[] }[]; generationConfig?: { maxOutputTokens?: number } };
      const now = clock.now();
      const minute = Math.floor(now.getTime() / 60_000);
      const day = dayIn(ZONE, now);
      const k = keys.get(key) ?? { minute, requests: 0, tokens: 0, day, daily: 0 };
      keys.set(key, k);
      if (k.minute !== minute) Object.assign(k, { minute, requests: 0, tokens: 0 });
      if (k.day !== day) Object.assign(k, { day, daily: 0 });
      if (project.minute !== minute) Object.assign(project, { minute, tokens: 0 });
      if (project.day !== day) Object.assign(project, { day, daily: 0 });
      const text = body.contents.flatMap((c) => c.parts.map((p) => p.text ?? '')).join('');
      const input = Math.ceil(countTokens(text) * 1.15) + 3;
      const cap = body.generationConfig?.maxOutputTokens ?? 1024;
      const secondsLeft = 60 - (Math.floor(now.getTime() / 1000) % 60);
      const refuse = (quotaId: string, perDay: boolean) => {
        stats.rateLimited++;
        const details: object[] = [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId }] }];
        if (!perDay) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${secondsLeft}s` });
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 429, message: 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED', details } }));
      };
      if (k.daily >= LIMITS.rpd) return refuse('GenerateRequestsPerDayPerProjectPerModel-FreeTier', true);
      if (isProject(key) && project.daily >= LIMITS.projectRpd) return refuse('GenerateRequestsPerDayPerProjectPerModel-FreeTier', true);
      if (k.requests >= LIMITS.rpm) return refuse('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', false);
      // As OpenAI's do, the token limits count a request's max_tokens when it is admitted.
      if (k.tokens + input + cap > LIMITS.tpm || (isProject(key) && project.tokens + input + cap > LIMITS.projectTpm)) {
        return refuse('GenerateContentInputTokensPerModelPerMinute-FreeTier', false);
      }
      if (random() < OVERLOAD_RATE) {
        stats.overloaded++;
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }));
      }
      const output = Math.min(cap, 40 + Math.floor(random() * 300));
      k.requests++;
      k.daily++;
      k.tokens += input + output;
      if (isProject(key)) {
        project.daily++;
        project.tokens += input + output;
      }
      stats.served.push({ key, minute, tokens: input + output });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-limit-requests': String(LIMITS.rpd), 'x-ratelimit-remaining-requests': String(LIMITS.rpd - k.daily),
        'x-ratelimit-limit-tokens': String(LIMITS.tpm), 'x-ratelimit-remaining-tokens': String(Math.max(0, LIMITS.tpm - k.tokens)),
        'x-ratelimit-reset-tokens': `${secondsLeft}s`,
      });
      res.end(JSON.stringify({
        candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output },
        modelVersion: 'gemini-2.0-flash',
      }));
    });
  });
  return { server, stats };
}

interface Outcome {
  served: number;
  refused: number;
  failed: number;
  upstream429: number;
  overloaded: number;
  unhealthyMarks: number;
  punished: number;
  overshoot: number;
}

async function scenario(adminUrl: string, database: string, shaped: boolean): Promise<Outcome> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const clock = new ManualClock(START);
  const fake = fakeProvider(clock, prng(7));
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const fakeUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/v1beta/openai`;
  const base = testConfig({ databaseUrl });
  const config = { ...base, gateway: { ...base.gateway, baseUrls: { google_ai: fakeUrl } } };
  const apps: App[] = [];
  const urls: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const app = await createApp({ config, clock, databaseUrl, logger: false, warmDashboard: false });
    apps.push(app);
    urls.push(await app.listen());
  }
  try {
    const brand = await apps[0].services.brands.createBrand(shaped ? 'provider-shaped' : 'request limits');
    const { token } = await apps[0].services.brands.issueClientToken(brand.id, 86_400);
    if (shaped) await apps[0].services.quotaGroups.create(brand.id, { name: 'project', dailyLimit: LIMITS.projectRpd, tokenMinuteLimit: LIMITS.projectTpm, dailyResetZone: ZONE });
    const keyIds: number[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = await apps[0].services.integrations.createIntegration(brand.id, {
        providerName: 'google_ai', credentials: { api_key: `AIzaFreeTierBenchKey-${shaped ? 's' : 'r'}-${i}` },
        minuteLimit: LIMITS.rpm, dailyLimit: LIMITS.rpd,
        ...(shaped ? { tokenMinuteLimit: LIMITS.tpm, dailyResetZone: ZONE, ...(i < PROJECT_KEYS && { quotaGroup: 'project' }) } : { dailyResetZone: 'UTC' }),
      });
      keyIds.push(key.id);
    }
    const workload = prng(11);
    const outcome: Outcome = { served: 0, refused: 0, failed: 0, upstream429: 0, overloaded: 0, unhealthyMarks: 0, punished: 0, overshoot: 0 };
    const marked = new Set<number>();
    const punished = new Set<number>();
    let overloadedSoFar = 0;
    for (let minute = 0; minute < MINUTES; minute++) {
      for (let burst = 0; burst < BURSTS; burst++) {
        const calls = Array.from({ length: CALLS_PER_MINUTE / BURSTS }, (_, i) => {
          const prompt = PROMPTS[Math.floor(workload() * PROMPTS.length)];
          return fetch(`${urls[i % INSTANCES]}/v1/chat/completions`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ model: 'google_ai/gemini-2.0-flash', messages: [{ role: 'user', content: prompt }], max_tokens: MAX_TOKENS }),
          }).then(async (res) => {
            await res.arrayBuffer();
            if (res.status === 200) outcome.served++;
            else if (res.headers.get('x-keypool-attempts') === '0') outcome.refused++;
            else outcome.failed++;
          });
        });
        await Promise.all(calls);
        // Reports land after their answers: let them, then see which keys the pool holds against.
        await new Promise((resolve) => setTimeout(resolve, 30));
        const { rows } = await apps[0].sqlPool.query<{ id: number; health_status: string; consecutive_failures: number }>(
          'select id, health_status, consecutive_failures from integration where brand_id = $1', [brand.id]);
        for (const r of rows) {
          if (r.health_status !== 'healthy') marked.add(r.id);
          // A failure counted against a key while the provider said it was overloaded.
          if (r.consecutive_failures > 0 && fake.stats.overloaded > overloadedSoFar) punished.add(r.id);
        }
        overloadedSoFar = fake.stats.overloaded;
        clock.advance(60_000 / BURSTS);
      }
    }
    outcome.upstream429 = fake.stats.rateLimited;
    outcome.overloaded = fake.stats.overloaded;
    outcome.unhealthyMarks = marked.size;
    outcome.punished = punished.size;
    if (shaped) outcome.overshoot = overshoot(fake.stats.served);
    return outcome;
  } finally {
    for (const app of apps.reverse()) await app.close();
    await new Promise<void>((resolve) => fake.server.close(() => resolve()));
  }
}

/** Minutes in which a key's, or the project's, served tokens passed the token limit keypool was given. */
function overshoot(served: Served[]): number {
  const perKey = new Map<string, number>();
  const perProject = new Map<number, number>();
  for (const s of served) {
    perKey.set(`${s.key}@${s.minute}`, (perKey.get(`${s.key}@${s.minute}`) ?? 0) + s.tokens);
    if (Number(s.key.split('-').pop()) < PROJECT_KEYS) perProject.set(s.minute, (perProject.get(s.minute) ?? 0) + s.tokens);
  }
  return [...perKey.values()].filter((t) => t > LIMITS.tpm).length + [...perProject.values()].filter((t) => t > LIMITS.projectTpm).length;
}

const dataDir = mkdtempSync(join(tmpdir(), 'keypool-free-tier-'));
const cluster = await startEmbeddedPostgres({ dataDir, password: 'bench' });
try {
  const before = await scenario(cluster.url, 'free_tier_requests', false);
  const after = await scenario(cluster.url, 'free_tier_shaped', true);
  const calls = MINUTES * CALLS_PER_MINUTE;
  console.log(`\nbench:free-tier — ${calls} calls through ${INSTANCES} instances over ${MINUTES} simulated minutes (midnight in Los Angeles at minute 15); ${KEYS} keys, ${PROJECT_KEYS} sharing a project quota\n`);
  console.log('| | request limits only | provider-shaped |');
  console.log('|---|---:|---:|');
  const row = (name: string, pick: (o: Outcome) => number | string) => console.log(`| ${name} | ${pick(before)} | ${pick(after)} |`);
  row('calls served', (o) => o.served);
  row('refused by keypool (429 with Retry-After, no upstream call)', (o) => o.refused);
  row('failed after upstream attempts', (o) => o.failed);
  row('upstream 429s', (o) => o.upstream429);
  row('upstream 503 overloaded', (o) => o.overloaded);
  row('keys marked degraded or unhealthy', (o) => o.unhealthyMarks);
  row('keys penalised for an overloaded provider', (o) => o.punished);
  row('token-limit overshoot (key or group minutes over)', (o) => (o === after ? o.overshoot : '—'));
  const reduction = before.upstream429 === 0 ? 0 : 1 - after.upstream429 / before.upstream429;
  console.log(`\nRESULT upstream_429_reduction=${reduction.toFixed(3)} served_ratio=${(after.served / Math.max(1, before.served)).toFixed(3)} token_overshoot=${after.overshoot} punished_healthy=${after.punished}`);
} finally {
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
