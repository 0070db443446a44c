/**
 * The pool's selection rule and its allowance slices, as pure functions: the
 * skip reasons in their documented order and their "until", the pick order with
 * fixed random draws, the model rule, and how slices are sized, held, taken and
 * given back. (The database's part, claims that never pass a limit, is proved
 * end to end in lease-concurrency.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Allowance } from '../../src/modules/leases/allowance.js';
import { modelAllowed, pickKey, poolTime, skipReason, skipUntil, type LeaseAsk, type PoolKey } from '../../src/modules/leases/selection.js';
import type { IntegrationRecord } from '../../src/modules/integrations/index.js';

const t = poolTime(new Date('2026-02-26T15:00:30Z'));
const ask: LeaseAsk = { model: 'llama-3', batch: false, envAvailable: new Set(['SET']) };
let nextId = 1;

function key(fields: Partial<IntegrationRecord> = {}, held = 0): PoolKey {
  const record = {
    id: nextId++, keyId: 'k', providerName: 'groq', isActive: true, isPrimary: false, priority: 0, weight: '1', keyPreview: {},
    minuteCount: 0, dailyCount: 0, healthStatus: 'healthy', consecutiveFailures: 0, spendLimitPeriod: 'monthly', spendLimitAction: 'warn',
    spendLimitExceeded: false, spendToday: '0', spendMonth: '0', createdAt: new Date(), updatedAt: new Date(), ...fields,
  } as IntegrationRecord;
  return { record, held };
}

describe('skipReason and skipUntil', () => {
  it('gives each ineligible key its reason and the time it frees up', () => {
    const cases: [Partial<IntegrationRecord>, string, string | null][] = [
      [{ isActive: false }, 'inactive', null],
      [{ credentialError: 'cannot decrypt' }, 'credential_unreadable', null],
      [{ envRefs: ['GONE'] }, 'environment_unset', null],
      [{ outOfCreditsAt: new Date('2026-02-26T15:00:00Z'), outOfCreditsUntil: new Date('2026-02-27T00:00:00Z') }, 'out_of_credits', '2026-02-27T00:00:00.000Z'],
      [{ outOfCreditsAt: new Date('2026-02-26T15:00:00Z'), outOfCreditsUntil: null }, 'out_of_credits', null],
      [{ models: ['gpt-4o'] }, 'model_not_allowed', null],
      [{ blacklistedModels: ['LLAMA-3'] }, 'model_not_allowed', null],
      [{ healthStatus: 'unhealthy', probeDueAt: new Date('2026-02-26T15:05:00Z') }, 'unhealthy', '2026-02-26T15:05:00.000Z'],
      [{ cooldownUntil: new Date('2026-02-26T15:02:00Z') }, 'cooling_down', '2026-02-26T15:02:00.000Z'],
      [{ spendLimitExceeded: true, spendLimitAction: 'block', spendLimitPeriod: 'monthly', spendExceededPeriod: '2026-02' }, 'spend_blocked', '2026-03-01T00:00:00.000Z'],
      [{ spendLimitExceeded: true, spendLimitAction: 'block', spendLimitPeriod: 'daily', spendExceededPeriod: '2026-02-26' }, 'spend_blocked', '2026-02-27T00:00:00.000Z'],
      [{ minuteLimit: 5, minuteCount: 5, minuteWindow: new Date('2026-02-26T15:00:00Z') }, 'minute_limit', '2026-02-26T15:01:00.000Z'],
      [{ dailyLimit: 10, dailyCount: 10, dayWindow: '2026-02-26' }, 'daily_limit', '2026-02-27T00:00:00.000Z'],
    ];
    for (const [fields, reason, until] of cases) {
      const k = key(fields);
      expect(skipReason(k, ask, t), JSON.stringify(fields)).toBe(reason);
      expect(skipUntil(k, reason as never, t)?.toISOString() ?? null, reason).toBe(until);
    }
    expect(skipReason(key({ useForBatchApi: false }), { ...ask, batch: true }, t)).toBe('not_batch');
  });

  it('gives the first reason that applies, in the documented order', () => {
    const all = key({
      isActive: false, credentialError: 'x', envRefs: ['GONE'], models: [], healthStatus: 'unhealthy', probeDueAt: null,
      cooldownUntil: new Date('2026-02-26T16:00:00Z'), minuteLimit: 1, minuteCount: 1, minuteWindow: new Date('2026-02-26T15:00:00Z'),
    });
    const order = ['inactive', 'credential_unreadable', 'environment_unset', 'model_not_allowed', 'unhealthy', 'cooling_down', 'minute_limit'];
    const strip: Partial<IntegrationRecord>[] = [{ isActive: true }, { credentialError: null }, { envRefs: [] }, { models: null }, { healthStatus: 'healthy' }, { cooldownUntil: null }];
    for (const [i, expected] of order.entries()) {
      expect(skipReason(all, ask, t)).toBe(expected);
      if (strip[i]) Object.assign(all.record, strip[i]);
    }
  });

  it('reads counters of a past window as zero, a warn-only or past-period spend flag as no block, and a held slice as room', () => {
    expect(skipReason(key({ minuteLimit: 5, minuteCount: 5, minuteWindow: new Date('2026-02-26T14:59:00Z') }), ask, t)).toBeNull();
    expect(skipReason(key({ dailyLimit: 10, dailyCount: 10, dayWindow: '2026-02-25' }), ask, t)).toBeNull();
    expect(skipReason(key({ spendLimitExceeded: true, spendLimitAction: 'warn', spendExceededPeriod: '2026-02' }), ask, t)).toBeNull();
    expect(skipReason(key({ spendLimitExceeded: true, spendLimitAction: 'block', spendExceededPeriod: '2026-01' }), ask, t)).toBeNull();
    expect(skipReason(key({ minuteLimit: 5, minuteCount: 5, minuteWindow: new Date('2026-02-26T15:00:00Z') }, 2), ask, t)).toBeNull();
    expect(skipReason(key({ healthStatus: 'unhealthy', probeDueAt: new Date('2026-02-26T15:00:00Z') }), ask, t)).toBeNull();
  });
});

describe('modelAllowed', () => {
  it('compares case-insensitively: null or "*" allows all, [] none, a blacklisted "*" all', () => {
    expect(modelAllowed(['GPT-4o'], [], 'gpt-4O')).toBe(true);
    expect(modelAllowed(['*'], null, 'anything')).toBe(true);
    expect(modelAllowed(null, undefined, 'anything')).toBe(true);
    expect(modelAllowed([], [], 'gpt-4o')).toBe(false);
    expect(modelAllowed(null, ['*'], 'gpt-4o')).toBe(false);
    expect(modelAllowed(null, ['O1'], 'o1')).toBe(false);
    expect(modelAllowed(['Model "quoted", with comma'], [], 'model "QUOTED", with comma')).toBe(true);
  });
});

describe('pickKey', () => {
  const draws = (...values: number[]) => (i: number) => values[i] ?? 0.5;

  it('takes a due probe first, then positive weights, priority, healthy before degraded', () => {
    const plain = key();
    const primary = key({ priority: 10 });
    const degradedPrimary = key({ priority: 10, healthStatus: 'degraded' });
    const zero = key({ weight: '0', priority: 10 });
    const probe = key({ healthStatus: 'unhealthy', probeDueAt: t.now });
    expect(pickKey([plain, primary, degradedPrimary, zero, probe], draws())).toBe(probe);
    expect(pickKey([plain, primary, degradedPrimary, zero], draws())).toBe(primary);
    expect(pickKey([plain, degradedPrimary, zero], draws())).toBe(degradedPrimary);
    expect(pickKey([zero], draws())).toBe(zero);
    expect(pickKey([], draws())).toBeNull();
  });

  it('draws by weight: the largest ln(1 - u) / weight wins', () => {
    const light = key({ weight: '1' });
    const heavy = key({ weight: '3' });
    // ln(1 - 0.5) / 1 = -0.69 against ln(1 - 0.5) / 3 = -0.23: the heavier key, same draw.
    expect(pickKey([light, heavy], draws(0.5, 0.5))).toBe(heavy);
    // A near-zero draw for the light key beats a high one for the heavy key.
    expect(pickKey([light, heavy], draws(0.01, 0.99))).toBe(light);
    // Over many draws, shares follow the weights (1 : 3).
    let heavyWins = 0;
    for (let i = 0; i < 4000; i++) if (pickKey([light, heavy], draws(((i * 0.618034) % 1), ((i * 0.381966 + 0.5) % 1))) === heavy) heavyWins++;
    expect(heavyWins / 4000).toBeGreaterThan(0.7);
    expect(heavyWins / 4000).toBeLessThan(0.8);
  });
});

describe('Allowance', () => {
  const at = (ms: number) => 1_000_000 + ms;

  it('claims one lease at a time until the key is busy here, then a quarter of a second of demand, capped by its limits', () => {
    const a = new Allowance();
    expect(a.sliceSize(1, {}, at(0))).toBe(1);
    for (let i = 0; i < 7; i++) a.claimed(1, at(i * 10));
    expect(a.sliceSize(1, {}, at(80))).toBe(1);
    for (let i = 7; i < 40; i++) a.claimed(1, at(i * 10));
    expect(a.sliceSize(1, {}, at(400))).toBe(10);
    expect(a.sliceSize(1, { minuteLimit: 30 }, at(400))).toBe(3);
    expect(a.sliceSize(1, { minuteLimit: 7 }, at(400))).toBe(1);
    expect(a.sliceSize(1, { dailyLimit: 320 }, at(400))).toBe(5);
    // Demand fades over the next second.
    expect(a.sliceSize(1, {}, at(3000))).toBe(1);
  });

  it('grants from a held slice in its minute only, and gives back what is idle or of a past minute', () => {
    const a = new Allowance();
    a.hold(7, 3, t, at(0));
    expect(a.held(7, t)).toBe(3);
    expect(a.take(7, t, at(10))).toBe(true);
    expect(a.held(7, t)).toBe(2);
    expect(a.idle(t, at(200))).toEqual([]);
    // Idle for 250 ms: the two left go back, minute and day.
    expect(a.idle(t, at(300))).toEqual([{ integrationId: 7, n: 2, minuteN: 2, minuteStart: t.minuteStart, day: '2026-02-26' }]);
    expect(a.held(7, t)).toBe(0);

    a.hold(8, 4, t, at(2000));
    const next = poolTime(new Date('2026-02-26T15:01:05Z'));
    expect(a.held(8, next)).toBe(0);
    expect(a.take(8, next)).toBe(false);
    // Of a past minute: only the day's part goes back (the minute's count belongs to a window that is over).
    expect(a.idle(next, at(2100))).toEqual([{ integrationId: 8, n: 4, minuteN: 0, minuteStart: t.minuteStart, day: '2026-02-26' }]);
  });

  it('adds to a slice of the same minute, sets an older one aside to give back, and gives everything back at shutdown', () => {
    const a = new Allowance();
    a.hold(9, 2, t, at(0));
    a.hold(9, 3, t, at(1));
    expect(a.held(9, t)).toBe(5);
    const next = poolTime(new Date('2026-02-26T15:01:05Z'));
    a.hold(9, 1, next, at(2));
    expect(a.held(9, next)).toBe(1);
    expect(a.all(next)).toEqual([
      { integrationId: 9, n: 5, minuteN: 0, minuteStart: t.minuteStart, day: '2026-02-26' },
      { integrationId: 9, n: 1, minuteN: 1, minuteStart: next.minuteStart, day: '2026-02-26' },
    ]);
    expect(a.held(9, next)).toBe(0);
  });
});
