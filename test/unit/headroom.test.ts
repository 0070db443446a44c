/** What providers say is left of a key's budgets, and how the pick weighs it (src/modules/pool/headroom.ts, selection.ts pickKey). */
import { describe, expect, it } from 'vitest';
import { Headroom } from '../../src/modules/pool/headroom.js';
import { pickKey, type PoolKey } from '../../src/modules/pool/selection.js';
import type { IntegrationRecord } from '../../src/modules/keys/index.js';

const now = new Date('2026-03-10T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('Headroom', () => {
  it('takes the smallest fraction left of any budget, until that budget resets', () => {
    const h = new Headroom();
    h.note(1, {
      'x-ratelimit-limit-requests': '14400', 'x-ratelimit-remaining-requests': '14000', 'x-ratelimit-reset-requests': '2m',
      'x-ratelimit-limit-tokens': '6000', 'x-ratelimit-remaining-tokens': '600', 'x-ratelimit-reset-tokens': '30s',
    }, now);
    expect(h.of(1, now)).toBeCloseTo(0.1);
    expect(h.of(1, later(29_000))).toBeCloseTo(0.1);
    // The budget it came from has reset: nothing is known any more.
    expect(h.of(1, later(30_000))).toBe(1);
  });

  it('reads Anthropic\'s headers, keeps a floor, and knows nothing of a key it never heard of', () => {
    const h = new Headroom();
    h.note(2, { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-03-10T12:00:20Z' }, now);
    expect(h.of(2, now)).toBe(0.02);
    expect(h.of(2, later(20_000))).toBe(1);
    expect(h.of(3, now)).toBe(1);
    // Headers without a limit say nothing.
    h.note(4, { 'x-ratelimit-remaining-requests': '3' }, now);
    expect(h.of(4, now)).toBe(1);
  });
});

describe('pickKey with headroom', () => {
  const key = (id: number, headroom?: number): PoolKey => ({
    record: { id, weight: '1', priority: 0, healthStatus: 'healthy' } as unknown as IntegrationRecord, held: 0, ...(headroom !== undefined && { headroom }),
  });

  it('prefers the key with more left when the draws are equal', () => {
    const half = () => 0.5;
    expect(pickKey([key(1), key(2)], half)?.record.id).toBe(1);
    expect(pickKey([key(1, 0.1), key(2)], half)?.record.id).toBe(2);
    expect(pickKey([key(1, 0.5), key(2, 0.9)], half)?.record.id).toBe(2);
  });

  it('still draws: a key with less left wins when its draw is much better', () => {
    const draws = [0.001, 0.99];
    expect(pickKey([key(1, 0.5), key(2)], () => draws.shift()!)?.record.id).toBe(1);
  });
});
