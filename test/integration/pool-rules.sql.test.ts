/**
 * The pool's rules (selection.ts for the pick, pool-functions.sql.ts for claims and reports):
 * why each key is skipped and until when, which reason wins, and how a report moves health.
 * Driven through the lease service on a manual clock; key states are set in SQL (and the pool,
 * which leases from its copy of the keys, is told). Limits are judged on claimed allowance.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseOutcome } from '../../src/modules/pool/index.js';
import { ManualClock } from '../../src/platform/time/clock.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';

const clock = new ManualClock('2026-02-26T15:00:30Z');
let t: TestApp;
let sql: pg.Pool;
let brandId: string;
let pool: ReturnType<typeof poolClient>;

beforeAll(async () => {
  t = await createTestApp({ clock });
  sql = new pg.Pool({ connectionString: t.databaseUrl, max: 2 });
  const brand = await t.createBrand('Rules');
  brandId = brand.brandId;
  pool = poolClient(t, brand.token);
});
afterAll(async () => {
  await sql.end();
  await t.close();
});
beforeEach(() => clock.set('2026-02-26T15:00:30Z'));

const at = (iso: string) => new Date(iso);
const lease = (providerName: string, extra: { model?: string; batch?: boolean } = {}) => t.app.services.leases.leaseKey(brandId, { providerName, ...extra });
const leasedId = (o: LeaseOutcome) => (o.kind === 'leased' ? o.lease.integration.id : o.kind);

/** Writes a key's state behind the pool's back, and tells the pool (which leases from its copy of the keys). */
async function setState(id: number, state: string, values: unknown[] = []): Promise<void> {
  await sql.query(`update integration set ${state} where id = $1`, [id, ...values]);
  t.app.services.leases.forgetKeys();
}

async function keyIn(provider: string, state: string, values: unknown[] = [], settings: Record<string, unknown> = {}): Promise<number> {
  const id = await pool.addKey(provider, settings);
  if (state) await setState(id, state, values);
  return id;
}

describe('keypool_skip_reason and keypool_skip_until', () => {
  it('skips each ineligible key with its reason and the time it frees up, and retries at the earliest', async () => {
    const p = 'together';
    const batch = 'use_for_batch_api = true';
    const keys = {
      inactive: await keyIn(p, `${batch}, is_active = false`),
      unreadable: await keyIn(p, `${batch}, credential_error = 'cannot decrypt'`),
      notBatch: await keyIn(p, ''),
      envUnset: await keyIn(p, `${batch}, env_refs = '{GONE}'`),
      outOfCredits: await keyIn(p, `${batch}, out_of_credits_at = $2, out_of_credits_until = $3`, [at('2026-02-26T15:00:00Z'), at('2026-02-27T00:00:00Z')]),
      outUntilSync: await keyIn(p, `${batch}, out_of_credits_at = $2, out_of_credits_until = null`, [at('2026-02-26T15:00:00Z')]),
      modelNotListed: await keyIn(p, `${batch}, models = '{gpt-4o}'`),
      blacklisted: await keyIn(p, `${batch}, blacklisted_models = '{LLAMA-3}'`),
      unhealthy: await keyIn(p, `${batch}, health_status = 'unhealthy', probe_due_at = $2`, [at('2026-02-26T15:05:00Z')]),
      cooling: await keyIn(p, `${batch}, cooldown_until = $2`, [at('2026-02-26T15:02:00Z')]),
      spendBlocked: await keyIn(p, `${batch}, spend_limit_exceeded = true, spend_exceeded_period = '2026-02'`, [], { spend_limit_amount: 1, spend_limit_period: 'monthly', spend_limit_action: 'block' }),
      minute: await keyIn(p, `${batch}, minute_claimed = 5, claim_minute = $2`, [at('2026-02-26T15:00:00Z')], { minute_limit: 5 }),
      daily: await keyIn(p, `${batch}, daily_claimed = 10, claim_day = '2026-02-26'`, [], { daily_limit: 10 }),
    };
    const outcome = await lease(p, { model: 'llama-3', batch: true });
    expect(outcome).toEqual({
      kind: 'refused',
      providerName: p,
      at: clock.now(),
      retryAt: at('2026-02-26T15:01:00Z'),
      skipped: [
        { integrationId: keys.inactive, reason: 'inactive', until: null },
        { integrationId: keys.unreadable, reason: 'credential_unreadable', until: null },
        { integrationId: keys.notBatch, reason: 'not_batch', until: null },
        { integrationId: keys.envUnset, reason: 'environment_unset', until: null, variable: 'GONE' },
        { integrationId: keys.outOfCredits, reason: 'out_of_credits', until: at('2026-02-27T00:00:00Z') },
        { integrationId: keys.outUntilSync, reason: 'out_of_credits', until: null },
        { integrationId: keys.modelNotListed, reason: 'model_not_allowed', until: null },
        { integrationId: keys.blacklisted, reason: 'model_not_allowed', until: null },
        { integrationId: keys.unhealthy, reason: 'unhealthy', until: at('2026-02-26T15:05:00Z') },
        { integrationId: keys.cooling, reason: 'cooling_down', until: at('2026-02-26T15:02:00Z') },
        { integrationId: keys.spendBlocked, reason: 'spend_blocked', until: at('2026-03-01T00:00:00Z') },
        { integrationId: keys.minute, reason: 'minute_limit', until: at('2026-02-26T15:01:00Z') },
        { integrationId: keys.daily, reason: 'daily_limit', until: at('2026-02-27T00:00:00Z') },
      ],
    });
    // Each of those frees up at its time: one minute on, the minute-limited key serves again.
    clock.set('2026-02-26T15:01:00Z');
    expect(leasedId(await lease(p, { model: 'llama-3', batch: true }))).toBe(keys.minute);
  });

  it('gives the first reason that applies, in the documented order', async () => {
    const p = 'fireworks';
    const inactiveAndCooling = await keyIn(p, 'is_active = false, cooldown_until = $2', [at('2026-02-26T16:00:00Z')]);
    const unhealthyAndLimited = await keyIn(p, `health_status = 'unhealthy', probe_due_at = $2, minute_claimed = 1, claim_minute = $3`,
      [at('2026-02-26T15:10:00Z'), at('2026-02-26T15:00:00Z')], { minute_limit: 1 });
    const coolingAndBlocked = await keyIn(p, `cooldown_until = $2, spend_limit_exceeded = true, spend_exceeded_period = '2026-02-26'`,
      [at('2026-02-26T15:03:00Z')], { spend_limit_amount: 1, spend_limit_period: 'daily', spend_limit_action: 'block' });
    const outcome = await lease(p);
    expect(outcome.kind === 'refused' && outcome.skipped.map((s) => [s.integrationId, s.reason])).toEqual([
      [inactiveAndCooling, 'inactive'],
      [unhealthyAndLimited, 'unhealthy'],
      [coolingAndBlocked, 'cooling_down'],
    ]);
  });

  it('treats counters of a past minute or day as reset, and a warn-only spend flag or a past period as no block', async () => {
    const p = 'cohere';
    const stale = await keyIn(p, `minute_claimed = 5, claim_minute = $2, daily_claimed = 1, claim_day = '2026-02-25'`, [at('2026-02-26T14:59:00Z')], { minute_limit: 5, daily_limit: 1 });
    expect(leasedId(await lease(p))).toBe(stale);
    await setState(stale, 'is_active = false');
    const warned = await keyIn(p, `spend_limit_exceeded = true, spend_exceeded_period = '2026-02'`, [], { spend_limit_amount: 1, spend_limit_period: 'monthly', spend_limit_action: 'warn' });
    expect(leasedId(await lease(p))).toBe(warned);
    await setState(warned, 'is_active = false');
    const lastMonth = await keyIn(p, `spend_limit_exceeded = true, spend_exceeded_period = '2026-01'`, [], { spend_limit_amount: 1, spend_limit_period: 'monthly', spend_limit_action: 'block' });
    expect(leasedId(await lease(p))).toBe(lastMonth);
  });

  it('compares model names case-insensitively: null or "*" allows all, [] none, a blacklisted "*" all', async () => {
    const p = 'openrouter';
    const exact = await keyIn(p, `models = '{"GPT-4o"}'`);
    const star = await keyIn(p, `models = '{*}'`);
    const none = await keyIn(p, `models = '{}'`);
    const blockedAll = await keyIn(p, `blacklisted_models = '{*}'`);
    const quoted = await keyIn(p, `models = $2`, [['Model "quoted", with comma']]);
    const served = new Set<number | string>();
    for (let i = 0; i < 40; i++) served.add(leasedId(await lease(p, { model: 'gpt-4O' })));
    expect([...served].sort()).toEqual([exact, star].sort());
    await setState(star, 'is_active = false');
    // A list is lower-cased in its text form: quotes and commas inside a name survive.
    expect(leasedId(await lease(p, { model: 'model "QUOTED", with comma' }))).toBe(quoted);
    const refused = await lease(p, { model: 'o1' });
    expect(refused.kind === 'refused' && refused.skipped.filter((s) => s.reason === 'model_not_allowed').map((s) => s.integrationId)).toEqual([exact, none, blockedAll, quoted]);
  });

  it('says there are no keys at all (an empty refusal), not why none serve', async () => {
    expect(await lease('sambanova')).toEqual({ kind: 'no_keys', providerName: 'sambanova' });
  });
});

describe('keypool_health (through keypool_report)', () => {
  const reportOn = async (provider: string, report: { success: boolean; statusCode?: number; errorType?: string; retryAfterSeconds?: number }) => {
    const outcome = await lease(provider);
    if (outcome.kind !== 'leased') throw new Error(`expected a lease, got ${JSON.stringify(outcome)}`);
    return t.app.services.leases.reportUsage(brandId, { leaseId: outcome.lease.leaseId, ...report });
  };
  const state = async (id: number) =>
    (await sql.query('select health_status, consecutive_failures, probe_failures, cooldown_until, probe_due_at from integration where id = $1', [id])).rows[0];

  it('makes a key unhealthy at once on 401 or 403, with its probe due after the base wait', async () => {
    for (const [provider, statusCode] of [['ai21', 401], ['baseten', 403]] as const) {
      const id = await pool.addKey(provider);
      const view = await reportOn(provider, { success: false, statusCode });
      expect(view.healthStatus).toBe('unhealthy');
      expect(await state(id)).toMatchObject({ consecutive_failures: 1, probe_due_at: at('2026-02-26T15:01:00Z') });
    }
  });

  it('counts timeouts and network errors as server failures, and a 400 as nothing (the caller was wrong)', async () => {
    const id = await pool.addKey('nvidia_nim');
    for (let i = 0; i < 3; i++) await reportOn('nvidia_nim', { success: false, errorType: i % 2 ? 'network' : 'timeout' });
    expect(await state(id)).toMatchObject({ health_status: 'degraded', consecutive_failures: 3 });
    await reportOn('nvidia_nim', { success: false, statusCode: 400 });
    expect(await state(id)).toMatchObject({ health_status: 'degraded', consecutive_failures: 3 });
    await reportOn('nvidia_nim', { success: true, statusCode: 200 });
    expect(await state(id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, probe_failures: 0, probe_due_at: null });
  });

  it('cools a key down for Retry-After, or the configured 60 s, without touching its health', async () => {
    const id = await pool.addKey('perplexity');
    await reportOn('perplexity', { success: false, statusCode: 429, retryAfterSeconds: 17 });
    expect(await state(id)).toMatchObject({ health_status: 'healthy', consecutive_failures: 0, cooldown_until: at('2026-02-26T15:00:47Z') });
    clock.advance(17_000);
    await reportOn('perplexity', { success: false, errorType: 'rate_limited' });
    expect(await state(id)).toMatchObject({ health_status: 'healthy', cooldown_until: at('2026-02-26T15:01:47Z') });
  });

  it('doubles the wait after each failed probe up to an hour, and a successful probe heals', async () => {
    const id = await pool.addKey('github_models');
    await reportOn('github_models', { success: false, statusCode: 401 });
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const { probe_due_at: due } = await state(id);
      clock.set(due);
      await reportOn('github_models', { success: false, statusCode: 500 });
      expect((await state(id)).health_status).toBe('unhealthy');
      waits.push((await state(id)).probe_due_at.getTime() - clock.now().getTime());
    }
    expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    clock.set((await state(id)).probe_due_at);
    expect((await reportOn('github_models', { success: true })).healthStatus).toBe('healthy');
  });
});

describe('keypool_lease and keypool_report batches', () => {
  it('gives each caller of one batch its own outcome: leases of different brands, and a duplicate report among good ones', async () => {
    const other = await t.createBrand('Rules, other brand');
    const otherPool = poolClient(t, other.token);
    const mine = await pool.addKey('huggingface');
    const theirs = await otherPool.addKey('groq');
    const leases = await Promise.all([
      lease('huggingface'),
      t.app.services.leases.leaseKey(other.brandId, { providerName: 'groq' }),
      t.app.services.leases.leaseKey(other.brandId, { providerName: 'mistral' }),
      lease('huggingface'),
    ]);
    expect(leases.map(leasedId)).toEqual([mine, theirs, 'no_keys', mine]);
    const [a, , , b] = leases.map((o) => (o.kind === 'leased' ? o.lease.leaseId : ''));
    await t.app.services.leases.reportUsage(brandId, { leaseId: a, success: true });
    const settled = await Promise.allSettled([
      t.app.services.leases.reportUsage(brandId, { leaseId: b, success: true }),
      t.app.services.leases.reportUsage(brandId, { leaseId: a, success: true }),
      t.app.services.leases.reportUsage(brandId, { leaseId: b, success: true }),
    ]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? 'reported' : (s.reason as { code: string }).code))).toEqual(['reported', 'lease.already_reported', 'lease.already_reported']);
    // Plain successes are appended; the ledger has them once they are folded (as every read of it does first).
    await t.app.services.leases.foldOutcomes();
    expect((await sql.query('select count(*)::int as n from usage_daily where integration_id = $1', [mine])).rows[0].n).toBe(1);
    expect((await sql.query('select requests from usage_daily where integration_id = $1', [mine])).rows[0].requests).toBe('2');
  });
});
