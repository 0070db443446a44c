import { describe, expect, it } from 'vitest';
import { planLease, type Candidate } from '../../src/modules/leases/selection.js';
import { seededRandom } from '../support/random.js';

const now = new Date('2026-02-26T15:00:30Z');
let nextId = 1;
const key = (over: Partial<Candidate> = {}): Candidate => ({
  id: nextId++, isActive: true, priority: 0, weight: 1, healthStatus: 'healthy', models: null, blacklistedModels: [],
  minuteLimit: null, minuteCount: 0, minuteWindow: null, dailyLimit: null, dailyCount: 0, dayWindow: null,
  cooldownUntil: null, probeDueAt: null, spendBlockedUntil: null, credentialUnreadable: false, useForBatchApi: false, envRefs: [], outOfCredits: null, ...over,
});
const order = (keys: Candidate[], random = seededRandom(1), model?: string) => {
  const plan = planLease(keys, model, now, random);
  if (plan.kind !== 'ordered') throw new Error(`expected an order, got ${plan.kind}`);
  return plan.order.map((o) => o.id);
};

describe('planLease ordering', () => {
  it('puts primary (priority 10) keys first, and healthy before degraded within a priority', () => {
    const degradedPrimary = key({ priority: 10, healthStatus: 'degraded' });
    const healthySecondary = key();
    const healthyPrimary = key({ priority: 10 });
    expect(order([healthySecondary, degradedPrimary, healthyPrimary])).toEqual([healthyPrimary.id, degradedPrimary.id, healthySecondary.id]);
  });

  it('offers a due recovery probe first, and never an unhealthy key before its probe is due', () => {
    const healthy = key({ priority: 10 });
    const due = key({ healthStatus: 'unhealthy', probeDueAt: new Date('2026-02-26T15:00:00Z') });
    const notDue = key({ healthStatus: 'unhealthy', probeDueAt: new Date('2026-02-26T15:05:00Z') });
    const plan = planLease([healthy, due, notDue], undefined, now, seededRandom(1));
    expect(plan).toMatchObject({ kind: 'ordered', order: [{ id: due.id, probe: true }, { id: healthy.id, probe: false }] });
    expect(plan.kind === 'ordered' && plan.skipped).toEqual([{ integrationId: notDue.id, reason: 'unhealthy', until: notDue.probeDueAt }]);
  });

  it('draws among equals in proportion to fractional weights (seeded, 20,000 draws)', () => {
    const keys = [key({ weight: 0.5 }), key({ weight: 1.5 }), key({ weight: 3 })];
    const random = seededRandom(42);
    const firsts = new Map<number, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const first = order(keys, random)[0];
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    const shares = keys.map((k) => (firsts.get(k.id) ?? 0) / draws);
    expect(shares[0]).toBeCloseTo(0.5 / 5, 1);
    expect(shares[1]).toBeCloseTo(1.5 / 5, 1);
    expect(shares[2]).toBeCloseTo(3 / 5, 1);
    expect(Math.abs(shares[2] - 0.6)).toBeLessThan(0.02);
  });

  it('never offers a weight-0 key while another key, of any priority, is eligible', () => {
    const zero = key({ priority: 10, weight: 0 });
    const low = key({ priority: 0, weight: 1 });
    for (let seed = 0; seed < 50; seed++) expect(order([zero, low], seededRandom(seed))).toEqual([low.id, zero.id]);
  });
});

describe('planLease eligibility', () => {
  it('compares model names case-insensitively; null or "*" allows every model, [] none, a blacklisted "*" all', () => {
    const exact = key({ models: ['GPT-4o'] });
    const star = key({ models: ['*'] });
    const none = key({ models: [] });
    const blocked = key({ blacklistedModels: ['*'] });
    const blacklisted = key({ blacklistedModels: ['O1'] });
    const plan = planLease([exact, star, none, blocked, blacklisted], 'gpt-4O', now, seededRandom(1));
    if (plan.kind !== 'ordered') throw new Error(plan.kind);
    expect(plan.order.map((o) => o.id).sort()).toEqual([exact.id, star.id, blacklisted.id].sort());
    expect(plan.skipped.map((s) => [s.integrationId, s.reason])).toEqual([[none.id, 'model_not_allowed'], [blocked.id, 'model_not_allowed']]);
    const o1 = planLease([blacklisted], 'o1', now, seededRandom(1));
    expect(o1.kind).toBe('exhausted');
  });

  it('gives a batch lease only batch keys, and skips a key whose environment variable is unavailable', () => {
    const plain = key();
    const batch = key({ useForBatchApi: true });
    const fromEnv = key({ useForBatchApi: true, envRefs: ['GONE'] });
    const needs = { batch: true, envAvailable: (name: string) => name !== 'GONE' };
    const plan = planLease([plain, batch, fromEnv], undefined, now, seededRandom(1), needs);
    if (plan.kind !== 'ordered') throw new Error(plan.kind);
    expect(plan.order.map((o) => o.id)).toEqual([batch.id]);
    expect(plan.skipped).toEqual([
      { integrationId: plain.id, reason: 'not_batch', until: null },
      { integrationId: fromEnv.id, reason: 'environment_unset', until: null, variable: 'GONE' },
    ]);
    const ordinary = planLease([plain, batch], undefined, now, seededRandom(1));
    expect(ordinary.kind === 'ordered' && ordinary.order.length).toBe(2);
  });

  it('skips each ineligible key with its reason and the time it frees up', () => {
    const keys = [
      key({ isActive: false }),
      key({ models: ['gpt-4o'] }),
      key({ blacklistedModels: ['llama-3'] }),
      key({ minuteLimit: 5, minuteCount: 5, minuteWindow: new Date('2026-02-26T15:00:00Z') }),
      key({ dailyLimit: 10, dailyCount: 10, dayWindow: '2026-02-26' }),
      key({ cooldownUntil: new Date('2026-02-26T15:02:00Z') }),
      key({ spendBlockedUntil: new Date('2026-03-01T00:00:00Z') }),
    ];
    const plan = planLease(keys, 'llama-3', now, seededRandom(1));
    expect(plan).toEqual({
      kind: 'exhausted',
      retryAt: new Date('2026-02-26T15:01:00Z'),
      skipped: [
        { integrationId: keys[0].id, reason: 'inactive', until: null },
        { integrationId: keys[1].id, reason: 'model_not_allowed', until: null },
        { integrationId: keys[2].id, reason: 'model_not_allowed', until: null },
        { integrationId: keys[3].id, reason: 'minute_limit', until: new Date('2026-02-26T15:01:00Z') },
        { integrationId: keys[4].id, reason: 'daily_limit', until: new Date('2026-02-27T00:00:00Z') },
        { integrationId: keys[5].id, reason: 'cooling_down', until: new Date('2026-02-26T15:02:00Z') },
        { integrationId: keys[6].id, reason: 'spend_blocked', until: new Date('2026-03-01T00:00:00Z') },
      ],
    });
  });

  it('treats counters of a past minute or day as reset', () => {
    const stale = key({ minuteLimit: 5, minuteCount: 5, minuteWindow: new Date('2026-02-26T14:59:00Z'), dailyLimit: 1, dailyCount: 1, dayWindow: '2026-02-25' });
    expect(order([stale])).toEqual([stale.id]);
  });

  it('allows every model when the allow-list is absent, and says so when there are no keys at all', () => {
    const open = key();
    expect(order([open], seededRandom(1), 'anything')).toEqual([open.id]);
    expect(planLease([], undefined, now, seededRandom(1))).toEqual({ kind: 'no_keys' });
  });
});
