/**
 * Appended reports (keypool_append, keypool_fold in src/modules/pool/pool-functions.sql.ts): a
 * plain success (its key healthy, no failure counted, no spend limit) is appended with no lock on
 * its key and folded into the key's spend, the usage ledger and its node's counters later, by any
 * instance; every read folds first, so what a caller reads is exact; a report is still taken at
 * most once, whichever way it went; the fold heals and judges spend limits as a report applied at
 * once would have. Two instances of one deployment, real PostgreSQL; their fold timers are slowed
 * so each fold here is the test's (or a read's).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationEvent } from '../../src/modules/keys/index.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createPeerApp, createTestApp, type TestApp } from '../support/harness.js';
import { collectEvents } from '../support/events.js';
import { poolClient } from '../support/pool.js';

const clock = new ManualClock('2026-03-10T12:00:00Z');
const slowFold = { config: { foldIntervalMs: 60_000 } };
let a: TestApp;
let b: TestApp;
let sql: pg.Pool;
let brandId: string;
let token: string;
let keys: ReturnType<typeof poolClient>;
let collected: ReturnType<typeof collectEvents>;

beforeAll(async () => {
  a = await createTestApp({ clock, ...slowFold });
  b = await createPeerApp(a, { clock, ...slowFold });
  sql = new pg.Pool({ connectionString: a.databaseUrl, max: 2 });
  // A test terminates every backend: an idle connection of this pool goes with them.
  sql.on('error', () => {});
  ({ brandId, token } = await a.createBrand('Appended'));
  keys = poolClient(a, token);
  collected = collectEvents(a);
});
afterAll(async () => {
  await sql.end();
  await b.close();
  await a.close();
});

async function lease(t: TestApp, providerName: string, nodeId?: string): Promise<string> {
  const res = await t.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: providerName, ...(nodeId && { node_id: nodeId }) } });
  expect(res.status).toBe(200);
  return res.body.lease.lease_id as string;
}
const report = (t: TestApp, leaseId: string, body: Record<string, unknown>) =>
  t.rest('POST', '/api/v1/integrations/usage', { token, body: { lease_id: leaseId, ...body } });
const pending = async () => (await sql.query('select count(*)::int as n from pool_outcome')).rows[0].n as number;
const stored = async (id: number) => (await sql.query(
  `select trim_scale(spend_today)::text as spend_today, trim_scale(spend_month)::text as spend_month, health_status, consecutive_failures,
     spend_limit_exceeded from integration where id = $1`, [id])).rows[0];
const ledger = async (id: number) => (await sql.query(
  'select coalesce(sum(requests), 0)::int as requests, coalesce(trim_scale(sum(cost_usd)), 0)::text as cost from usage_daily where integration_id = $1', [id])).rows[0];
/** The pool functions' instant (p_at) at `now`. */
const atOf = (now: Date) => {
  const today = now.toISOString().slice(0, 10);
  return JSON.stringify({ now: now.toISOString(), minute: now.toISOString(), today, month_start: `${today.slice(0, 8)}01`, day_key: today, month_key: today.slice(0, 7) });
};
/** `n` plain successes of the key appended in one batch statement, as the service sends them. */
const appendOutcomes = (id: number, n: number, cost: string, brand = brandId) => sql.query(
  `select count(*) from keypool_settle($1::jsonb, '[]', '[]', '[]', '[]', $2::jsonb, $3::jsonb, '{}')`,
  [JSON.stringify(Array.from({ length: n }, () => ({
    lease: randomUUID(), key: id, brand, node: null, model: 'm', cost, prompt_tokens: 1, completion_tokens: 1, latency_ms: 5, first_token_ms: null, append: true,
  }))), atOf(clock.now()), JSON.stringify({ degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [], appended_spend: true })]);
const pendingOf = async (ids: number[]) => {
  const { rows } = await sql.query('select integration_id as id, count(*)::int as n from pool_outcome where integration_id = any($1) group by 1', [ids]);
  return ids.map((id) => rows.find((r) => r.id === id)?.n ?? 0);
};
/** Micro-dollars as a decimal string, exact. */
const usd = (micros: number) => (micros / 1e6).toFixed(6).replace(/\.?0+$/, '');

describe('appended reports', () => {
  it('leave the key untouched until folded, yet the report and every read show them, from any instance', async () => {
    const id = await keys.addKey('groq');
    const node = (await a.rest('POST', '/api/v1/nodes', { token, body: { name: 'worker-1' } })).body.node.id as string;
    const leaseId = await lease(a, 'groq', node);
    const res = await report(a, leaseId, { success: true, cost_usd: 0.25, prompt_tokens: 100, completion_tokens: 20 });
    expect(res.status).toBe(200);
    // The answer is the key as it now stands: this report's spend counted in.
    expect(res.body.integration).toMatchObject({ id, spend_today: 0.25, spend_month: 0.25 });
    // Appended, not applied: no write to the key's row.
    expect(await pending()).toBe(1);
    expect(await stored(id)).toMatchObject({ spend_today: '0', spend_month: '0' });

    // A read on the other instance folds first (any instance's outcomes).
    expect((await b.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration).toMatchObject({ spend_today: 0.25 });
    expect(await pending()).toBe(0);
    expect(await stored(id)).toMatchObject({ spend_today: '0.25', spend_month: '0.25', health_status: 'healthy' });
    expect(await ledger(id)).toEqual({ requests: 1, cost: '0.25' });

    // The ledger and the node's counters read through the API the same way.
    const second = await lease(b, 'groq', node);
    expect((await report(b, second, { success: true, cost_usd: 0.5 })).status).toBe(200);
    expect(await pending()).toBe(1);
    const usage = await a.rest('GET', `/api/v1/usage?integration_id=${id}`, { token });
    expect(usage.status).toBe(200);
    expect(JSON.stringify(usage.body)).toMatch(/"requests":2/);
    const third = await lease(a, 'groq', node);
    expect((await report(a, third, { success: true, cost_usd: 0.125 })).status).toBe(200);
    const nodeRead = await b.rest('GET', `/api/v1/nodes/${node}`, { token });
    expect(nodeRead.body.node.usage).toMatchObject({ leases: 3, spend_today: 0.875 });
  });

  it('answer with the spend in columns of their own, and in a key row to a caller of the version before (a rolling upgrade)', async () => {
    const id = await keys.addKey('parasail');
    const now = clock.now();
    const today = now.toISOString().slice(0, 10);
    const at = JSON.stringify({ now: now.toISOString(), minute: now.toISOString(), today, month_start: `${today.slice(0, 8)}01`, day_key: today, month_key: today.slice(0, 7) });
    const rules = { degraded_after: 3, unhealthy_after: 6, rate_limit_ms: 60_000, probe_base_ms: 30_000, probe_max_ms: 3_600_000, credit_providers: [] };
    const settle = async (cost: string, appendedSpend: boolean) => (await sql.query(
      `select a.kind, a.report_outcome, a.appended_today::text, a.appended_month::text, (a.key).id, (a.key).spend_today::text
       from keypool_settle($1::jsonb, '[]', '[]', '[]', '[]', $2::jsonb, $3::jsonb, '{}') a`,
      [JSON.stringify([{ lease: randomUUID(), key: id, brand: brandId, node: null, model: 'm', cost, prompt_tokens: 1, completion_tokens: 1, latency_ms: 5, first_token_ms: null, append: true }]),
        at, JSON.stringify(appendedSpend ? { ...rules, appended_spend: true } : rules)])).rows[0];
    // This version: the spend alone, no key row to build, send or parse.
    expect(await settle('0.5', true)).toMatchObject({ kind: 'appended', report_outcome: 'reported', id: null, spend_today: null });
    expect(Number((await settle('0.25', true)).appended_today)).toBe(0.75);
    // The version before reads the spend from the key row (its id and spend), and the new columns are past the ones it names.
    const before = await settle('0.125', false);
    expect(before).toMatchObject({ kind: 'appended', report_outcome: 'reported', id });
    expect(Number(before.spend_today)).toBe(0.875);
    await a.app.services.leases.foldOutcomes();
    expect(await stored(id)).toMatchObject({ spend_today: '0.875' });
    // Two reports of the key in one batch, one appended before it: each answers with the spend after the batch (the folded
    // spend, the outcome pending from before, and both of this batch's).
    await settle('0.0625', true);
    const { rows } = await sql.query(
      `select a.appended_today::text, a.appended_month::text from keypool_settle($1::jsonb, '[]', '[]', '[]', '[]', $2::jsonb, $3::jsonb, '{}') a order by a.item`,
      [JSON.stringify(['0.03125', '0.03125'].map((cost) => ({
        lease: randomUUID(), key: id, brand: brandId, node: null, model: 'm', cost, prompt_tokens: 1, completion_tokens: 1, latency_ms: 5, first_token_ms: null, append: true,
      }))), at, JSON.stringify({ ...rules, appended_spend: true })]);
    expect(rows.map((r) => [Number(r.appended_today), Number(r.appended_month)])).toEqual([[1, 1], [1, 1]]);
    await a.app.services.leases.foldOutcomes();
    expect(await stored(id)).toMatchObject({ spend_today: '1', spend_month: '1' });
  });

  it('hold spend exactly over hundreds of concurrent reports through two instances, folded meanwhile by both', async () => {
    const ids = [await keys.addKey('mistral'), await keys.addKey('mistral')];
    let sent = 0;
    const cycles = Array.from({ length: 240 }, async (_, i) => {
      const t = i % 2 === 0 ? a : b;
      const leaseId = await lease(t, 'mistral');
      const micros = 1 + i * 7;
      const res = await report(t, leaseId, { success: true, cost_usd: micros / 1e6 });
      expect(res.status).toBe(200);
      sent += micros;
      if (i % 60 === 0) await Promise.all([a.app.services.leases.foldOutcomes(), b.app.services.leases.foldOutcomes()]);
    });
    await Promise.all(cycles);
    await a.app.services.leases.foldOutcomes();
    expect(await pending()).toBe(0);
    const spent = (await sql.query('select trim_scale(sum(spend_today))::text as s from integration where id = any($1)', [ids])).rows[0].s;
    expect(spent).toBe(usd(sent));
    const booked = (await sql.query(
      'select sum(requests)::int as n, trim_scale(sum(cost_usd))::text as cost from usage_daily where integration_id = any($1)', [ids])).rows[0];
    expect(booked).toEqual({ n: 240, cost: usd(sent) });
  });

  it('take a lease\'s report once, whether the first was appended or applied, folded or not', async () => {
    const id = await keys.addKey('cerebras');
    const first = await lease(a, 'cerebras');
    expect((await report(a, first, { success: true, cost_usd: 0.01 })).status).toBe(200);
    // Again while appended, on either instance, as a success or as a failure (which would be applied at once).
    for (const [t, body] of [[a, { success: true }], [b, { success: true }], [b, { success: false, status_code: 500 }]] as const) {
      const again = await report(t, first, body);
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('This lease was already reported');
    }
    await a.app.services.leases.foldOutcomes();
    expect((await report(b, first, { success: true })).status).toBe(409);
    expect(await ledger(id)).toEqual({ requests: 1, cost: '0.01' });
    expect(await stored(id)).toMatchObject({ consecutive_failures: 0, spend_today: '0.01' });
  });

  it('heal a key as reports applied in the order they were made would', async () => {
    const id = await keys.addKey('deepseek');
    // b leases while the key is healthy; then a's failure counts one (no health change, so no event reaches b).
    const onB = await lease(b, 'deepseek');
    clock.advance(1000);
    expect((await report(a, await lease(a, 'deepseek'), { success: false, status_code: 500 })).status).toBe(200);
    expect(await stored(id)).toMatchObject({ consecutive_failures: 1 });
    // b's success comes after the failure: appended (b saw the key without failures), and the fold forgets the failure.
    clock.advance(1000);
    expect((await report(b, onB, { success: true })).status).toBe(200);
    expect(await pending()).toBe(1);
    await b.app.services.leases.foldOutcomes();
    expect(await stored(id)).toMatchObject({ consecutive_failures: 0, health_status: 'healthy' });

    // A success appended before a failure does not undo it.
    const early = await lease(b, 'deepseek');
    expect((await report(b, early, { success: true })).status).toBe(200);
    clock.advance(1000);
    expect((await report(a, await lease(a, 'deepseek'), { success: false, status_code: 502 })).status).toBe(200);
    await a.app.services.leases.foldOutcomes();
    expect(await stored(id)).toMatchObject({ consecutive_failures: 1 });
  });

  it('judge health and spend limits at the fold, with their events, when a report was appended on an out-of-date copy', async () => {
    // What a copy out of date by a moment leaves behind, written as it would be: a success appended for a key that has since
    // become degraded, and for a key that has since been given a `block` limit below the spend.
    const degraded = await keys.addKey('fireworks');
    const limited = await keys.addKey('openrouter', { spend_limit_amount: 1, spend_limit_period: 'daily', spend_limit_action: 'block' });
    await sql.query(`update integration set health_status = 'degraded', consecutive_failures = 3, last_error_at = $2 where id = $1`,
      [degraded, new Date(clock.now().getTime() - 5000)]);
    a.app.services.leases.forgetKeys();
    b.app.services.leases.forgetKeys();
    clock.advance(1000);
    for (const [key, provider, cost] of [[degraded, 'fireworks', '0.1'], [limited, 'openrouter', '1.5']] as const) {
      await sql.query(
        `insert into pool_outcome (integration_id, brand_id, provider_name, node_id, model, day, month_start, reported_at, cost_usd, prompt_tokens, completion_tokens)
         values ($1, $2, $3, null, '', $4::date, date_trunc('month', $4::date), $5, $6, 10, 5)`,
        [key, brandId, provider, clock.now().toISOString().slice(0, 10), clock.now(), cost]);
    }
    collected.events.length = 0;
    await a.app.services.leases.foldOutcomes();
    expect(await stored(degraded)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0 });
    expect(await stored(limited)).toMatchObject({ spend_today: '1.5', spend_limit_exceeded: true });
    const published = await collected.settled(brandId);
    const healed = published.find((e): e is Extract<IntegrationEvent, { type: 'integration.health_changed' }> =>
      e.type === 'integration.health_changed' && e.integration.id === degraded);
    expect(healed).toMatchObject({ previousStatus: 'degraded', status: 'healthy', reason: 'request succeeded' });
    expect(published.find((e) => e.type === 'integration.spend_limit_changed' && e.integration.id === limited)).toMatchObject({ exceeded: true });
    // The block holds: the limited key is skipped.
    const refused = await a.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'openrouter' } });
    expect(refused.status).toBe(429);
  });

  it('are folded a chunk of whole keys at a time, in key order, and a read folds every chunk', async () => {
    const first = await keys.addKey('cohere');
    const second = await keys.addKey('huggingface');
    expect(first).toBeLessThan(second);
    // 100 outcomes of each key, appended as the service appends them (the batch statement), the second key's first.
    for (const id of [second, first]) await appendOutcomes(id, 100, '0.001');
    // One fold transaction takes 128 outcomes in key order: every outcome of the first key, and 28 of the second.
    const folded = (await sql.query('select a.folded from keypool_fold($1::jsonb, 128) a', [atOf(clock.now())])).rows[0].folded;
    expect(folded).toBe(128);
    expect(await pendingOf([first, second])).toEqual([0, 72]);
    expect(await stored(first)).toMatchObject({ spend_today: '0.1' });
    // A read folds chunk after chunk until none is left: here one chunk, and nothing more (a read folds once).
    const before = b.app.services.leases.foldStats.transactions;
    expect((await b.rest('GET', `/api/v1/integrations/${second}`, { token })).body.integration).toMatchObject({ spend_today: 0.1 });
    expect(await pendingOf([first, second])).toEqual([0, 0]);
    expect(b.app.services.leases.foldStats.transactions - before).toBe(1);
    expect(await ledger(second)).toEqual({ requests: 100, cost: '0.1' });
  });

  it('are folded for a read of one key, that key\'s alone; a read of many keys folds every key\'s', async () => {
    const read = await keys.addKey('fal_ai');
    const other = await keys.addKey('replicate');
    await appendOutcomes(read, 3, '0.25');
    await appendOutcomes(other, 2, '0.5');
    const one = await b.rest('GET', `/api/v1/integrations/${read}`, { token });
    expect(one.body.integration).toMatchObject({ spend_today: 0.75 });
    expect(await pendingOf([read, other])).toEqual([0, 2]);
    // GraphQL's read of one key the same way.
    await appendOutcomes(read, 1, '0.25');
    expect((await b.gql<{ integration: { spendToday: string } }, Record<string, never>>(`{ integration(id: ${read}) { spendToday } }`, {}, token)).data?.integration.spendToday).toBe('1');
    expect(await pendingOf([read, other])).toEqual([0, 2]);
    const list = await b.rest('GET', '/api/v1/integrations?provider_name=replicate', { token });
    expect(list.body.integrations.find((k: { id: number }) => k.id === other)).toMatchObject({ spend_today: 1 });
    expect(await pendingOf([read, other])).toEqual([0, 0]);
  });

  it('are folded for a read of a brand\'s keys, usage or nodes, that brand\'s alone: another tenant\'s wait for the timer or their own reads', async () => {
    const other = await a.createBrand('Appended, another tenant');
    const mine = await keys.addKey('huggingface');
    const theirs = await poolClient(a, other.token).addKey('huggingface');
    await appendOutcomes(mine, 2, '0.5');
    await appendOutcomes(theirs, 3, '0.25', other.brandId);
    const list = await b.rest('GET', '/api/v1/integrations?provider_name=huggingface', { token });
    expect(list.body.integrations.find((k: { id: number }) => k.id === mine)).toMatchObject({ spend_today: 1 });
    expect(await pendingOf([mine, theirs])).toEqual([0, 3]);
    await appendOutcomes(mine, 1, '0.5');
    expect((await b.rest('GET', `/api/v1/usage?integration_id=${mine}`, { token })).status).toBe(200);
    expect((await b.rest('GET', '/api/v1/nodes', { token })).status).toBe(200);
    expect(await pendingOf([mine, theirs])).toEqual([0, 3]);
    expect(await ledger(mine)).toEqual({ requests: 3, cost: '1.5' });
    // The other tenant's read of its usage folds its own.
    const usage = await b.rest('GET', `/api/v1/usage?integration_id=${theirs}`, { token: other.token });
    expect(usage.status).toBe(200);
    expect(JSON.stringify(usage.body)).toMatch(/"requests":3/);
    expect(await pendingOf([mine, theirs])).toEqual([0, 0]);
    expect(await stored(theirs)).toMatchObject({ spend_today: '0.75' });
  });

  it('are folded by one instance\'s timer per interval, however many instances run', async () => {
    const id = await keys.addKey('github_models');
    const c = await createPeerApp(a, { clock, config: { foldIntervalMs: 300 } });
    const d = await createPeerApp(a, { clock, config: { foldIntervalMs: 300 } });
    try {
      const turns = () => c.app.services.leases.foldStats.turns + d.app.services.leases.foldStats.turns;
      const before = turns();
      // Something to fold at every tick, for three seconds: ten intervals, twenty ticks of the two timers.
      const until = performance.now() + 3000;
      while (performance.now() < until) {
        await appendOutcomes(id, 1, '0.01');
        await new Promise((r) => setTimeout(r, 50));
      }
      // A turn is taken at most once per 240 ms (80% of the interval) by the database's clock: 13 in 3 s at most; every tick folding would be 20.
      const taken = turns() - before;
      expect(taken).toBeGreaterThanOrEqual(5);
      expect(taken).toBeLessThanOrEqual(13);
      expect(c.app.services.leases.foldStats.reports + d.app.services.leases.foldStats.reports).toBeGreaterThan(0);
      // Each instance's /metrics counts its own turns, transactions and reports folded.
      const scraped = await Promise.all([c, d].map(async (t) => {
        const text = await (await fetch(`${t.url}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
        return { turns: value('keypool_pool_fold_turns_total'), transactions: value('keypool_pool_fold_transactions_total'), reports: value('keypool_pool_folded_reports_total') };
      }));
      expect(scraped[0].turns + scraped[1].turns).toBeGreaterThanOrEqual(taken);
      expect(scraped[0].transactions + scraped[1].transactions).toBeGreaterThanOrEqual(scraped[0].turns + scraped[1].turns);
      expect(scraped[0].reports + scraped[1].reports).toBeGreaterThan(0);
    } finally {
      await d.close();
      await c.close();
    }
    await a.app.services.leases.foldOutcomes();
    expect(await pending()).toBe(0);
  });

  it('leave their table vacuumed by the timer once its folds have deleted a thousand of them', async () => {
    const id = await keys.addKey('ai21');
    // Nothing left over from the tests before: the timer below folds only what this test appends.
    await a.app.services.leases.foldOutcomes();
    const c = await createPeerApp(a, { clock, config: { foldIntervalMs: 200 } });
    const vacuumCount = async () => Number((await sql.query("select vacuum_count from pg_stat_user_tables where relname = 'pool_outcome'")).rows[0].vacuum_count);
    const until = async (check: () => Promise<boolean> | boolean) => {
      const end = performance.now() + 10_000;
      while (!(await check())) {
        if (performance.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const vacuumsBefore = await vacuumCount();
      // 500 folded by the timer: short of the threshold, no vacuum.
      for (let i = 0; i < 5; i++) await appendOutcomes(id, 100, '0.001');
      await until(async () => (await pending()) === 0);
      expect(c.app.services.leases.foldStats.vacuums).toBe(0);
      // 600 more: past it, one vacuum, after the turn that crossed it.
      for (let i = 0; i < 6; i++) await appendOutcomes(id, 100, '0.001');
      await until(() => c.app.services.leases.foldStats.vacuums === 1);
      // PostgreSQL's own count of the table's vacuums (its statistics reach the view within a second or so).
      await until(async () => (await vacuumCount()) > vacuumsBefore);
      const text = await (await fetch(`${c.url}/metrics`)).text();
      expect(text).toMatch(/^keypool_pool_outcome_vacuums_total 1$/m);
      expect(await stored(id)).toMatchObject({ spend_today: '1.1' });
    } finally {
      await c.close();
    }
  });

  it('flip a `warn` spend limit at the fold, by the timer, with its event once', async () => {
    const c = await createPeerApp(a, { clock, config: { foldIntervalMs: 100 } });
    try {
      const id = await keys.addKey('nebius', { spend_limit_amount: 0.5, spend_limit_period: 'daily', spend_limit_action: 'warn' });
      collected.events.length = 0;
      const leased = await c.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'nebius' } });
      const res = await report(c, leased.body.lease.lease_id, { success: true, cost_usd: 0.75 });
      // The answer judges the limit as it now stands; the verdict is stored, and announced, by the fold.
      expect(res.body.integration).toMatchObject({ spend_today: 0.75, spend_limit_exceeded: true });
      await expect.poll(async () => (await stored(id)).spend_limit_exceeded, { timeout: 5000 }).toBe(true);
      const published = await collected.settled(brandId);
      // Once: the fold's (the key's creation announced its first verdict, not exceeded, maybe after the list was cleared).
      expect(published.filter((e) => e.type === 'integration.spend_limit_changed' && e.integration.id === id && e.exceeded)).toHaveLength(1);
      // A warn key stays in the pool.
      expect((await c.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'nebius' } })).status).toBe(200);
    } finally {
      await c.close();
    }
  });

  it('are applied at once on keys with a `block` spend limit, so the report that crosses it takes the key out', async () => {
    const id = await keys.addKey('together', { spend_limit_amount: 0.5, spend_limit_period: 'daily', spend_limit_action: 'block' });
    const res = await report(a, await lease(a, 'together'), { success: true, cost_usd: 0.75 });
    expect(res.body.integration).toMatchObject({ spend_limit_exceeded: true });
    expect(await pending()).toBe(0);
    expect(await stored(id)).toMatchObject({ spend_today: '0.75', spend_limit_exceeded: true });
  });

  it('count in a spend limit set after them (a change of settings folds first)', async () => {
    const id = await keys.addKey('perplexity');
    expect((await report(a, await lease(a, 'perplexity'), { success: true, cost_usd: 0.6 })).status).toBe(200);
    expect(await pending()).toBe(1);
    const updated = await b.rest('PATCH', `/api/v1/integrations/${id}`, { token, body: { spend_limit_amount: 0.5, spend_limit_period: 'daily', spend_limit_action: 'block' } });
    expect(updated.status).toBe(200);
    expect(updated.body.integration).toMatchObject({ spend_today: 0.6, spend_limit_exceeded: true });
  });

  it('reach the ledger even when their key is deleted before the fold', async () => {
    const id = await keys.addKey('xai');
    expect((await report(a, await lease(a, 'xai'), { success: true, cost_usd: 0.2 })).status).toBe(200);
    expect((await a.app.services.integrations.deleteIntegration(brandId, id))).toBeTruthy();
    await a.app.services.leases.foldOutcomes();
    expect(await pending()).toBe(0);
    expect(await ledger(id)).toEqual({ requests: 1, cost: '0.2' });
  });

  it('lose nothing when the database drops every connection while they are folded', async () => {
    const id = await keys.addKey('baseten');
    let sent = 0;
    for (let i = 0; i < 60; i++) {
      const micros = 1000 + i;
      expect((await report(i % 2 ? a : b, await lease(i % 2 ? a : b, 'baseten'), { success: true, cost_usd: micros / 1e6 })).status).toBe(200);
      sent += micros;
    }
    expect(await pending()).toBe(60);
    // Hold the key, so a fold takes the outcomes and then waits for its key mid-transaction; then every backend but ours goes.
    const holder = new pg.Client({ connectionString: a.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from integration where id = $1 for update', [id]);
      // Its outcome is taken at once (it fails when its connection goes).
      const fold = a.app.services.leases.foldOutcomes().then(() => 'folded', (e: unknown) => e);
      await expect.poll(async () => (await sql.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%keypool_fold%'`)).rows[0].n).toBe(1);
      await sql.query(`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid not in (pg_backend_pid(), $1) and backend_type = 'client backend'`, [(holder as unknown as { processID: number }).processID]);
      expect(await fold).toBeInstanceOf(Error);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    // Whatever a fold had taken when its connection went is back (its transaction never committed): the next fold takes it.
    await expect.poll(async () => {
      await a.app.services.leases.foldOutcomes().catch(() => {});
      return pending();
    }, { timeout: 10_000 }).toBe(0);
    expect(await stored(id)).toMatchObject({ spend_today: usd(sent) });
    expect(await ledger(id)).toEqual({ requests: 60, cost: usd(sent) });
  });

  it('are applied at once everywhere with KEYPOOL_POOL_FOLD_MS=0', async () => {
    const c = await createPeerApp(a, { clock, config: { foldIntervalMs: 0 } });
    try {
      const id = await keys.addKey('sambanova');
      const res = await c.rest('POST', '/api/v1/integrations/lease', { token, body: { provider_name: 'sambanova' } });
      expect((await report(c, res.body.lease.lease_id, { success: true, cost_usd: 0.3 })).status).toBe(200);
      expect(await pending()).toBe(0);
      expect(await stored(id)).toMatchObject({ spend_today: '0.3' });
      expect(await ledger(id)).toEqual({ requests: 1, cost: '0.3' });
    } finally {
      await c.close();
    }
  });
});
