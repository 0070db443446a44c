/** How an instance sizes, holds and gives back allowance claimed of a key's limits (src/modules/pool/allowance.ts), and keeps the leases it granted until they are written (granted-counts.ts). */
import { describe, expect, it } from 'vitest';
import { Allowance, sliceCap } from '../../src/modules/pool/allowance.js';
import { GrantedCounts } from '../../src/modules/pool/granted-counts.js';
import type { PoolTime } from '../../src/modules/pool/pool-input.js';

const timeAt = (iso: string): PoolTime => {
  const now = new Date(iso);
  return {
    now, minuteStart: new Date(Math.floor(now.getTime() / 60_000) * 60_000), today: iso.slice(0, 10),
    monthStart: `${iso.slice(0, 7)}-01`, dayKey: iso.slice(0, 10), monthKey: iso.slice(0, 7),
  };
};
const t0 = timeAt('2026-03-01T10:00:05.000Z');
const none = { minuteLimit: null, dailyLimit: null };

describe('a claim\'s size', () => {
  it('is at most a sixteenth of a minute limit and a 256th of a daily one, 64 at most, 1 at least', () => {
    expect(sliceCap(none)).toBe(64);
    expect(sliceCap({ minuteLimit: 30, dailyLimit: null })).toBe(1);
    expect(sliceCap({ minuteLimit: 100, dailyLimit: null })).toBe(6);
    expect(sliceCap({ minuteLimit: 10_000, dailyLimit: null })).toBe(64);
    expect(sliceCap({ minuteLimit: 10_000, dailyLimit: 1_000 })).toBe(3);
  });

  it('is one lease for a small key without demand, a quarter of its cap (at least four) for a roomy one, and grows with two seconds of demand up to the cap', () => {
    const a = new Allowance();
    expect(a.sliceSize(1, { minuteLimit: 30, dailyLimit: null }, 0)).toBe(1);
    expect(a.sliceSize(2, none, 0)).toBe(16);
    // Cap 64 (a minute limit of 1,024 and more): 16; cap 16 (256 a minute): 4, the least of a roomy key; cap 8 (128): 4 as well.
    expect(a.sliceSize(2, { minuteLimit: 1_024, dailyLimit: null }, 0)).toBe(16);
    expect(a.sliceSize(2, { minuteLimit: 256, dailyLimit: null }, 0)).toBe(4);
    expect(a.sliceSize(2, { minuteLimit: 128, dailyLimit: null }, 0)).toBe(4);
    expect(a.sliceSize(2, { minuteLimit: 10_000, dailyLimit: 10_240 }, 0)).toBe(10);
    for (let i = 0; i < 10; i++) a.claimed(3, i * 10);
    expect(a.sliceSize(3, { minuteLimit: 100, dailyLimit: null }, 100)).toBe(6);
    expect(a.sliceSize(3, none, 100)).toBe(20);
    for (let i = 0; i < 100; i++) a.claimed(3, 100 + i);
    expect(a.sliceSize(3, none, 200)).toBe(64);
  });
});

describe('a held slice', () => {
  it('grants leases until it is used up', () => {
    const a = new Allowance();
    a.hold(1, 2, none, t0, 0);
    expect(a.take(1, t0, 1)).toBe(true);
    expect(a.take(1, t0, 2)).toBe(true);
    expect(a.take(1, t0, 3)).toBe(false);
    expect(a.held(1, t0)).toBe(0);
  });

  it('of a small key goes back after a second without a lease; a roomy key\'s after ten', () => {
    const a = new Allowance();
    a.hold(1, 3, { minuteLimit: 100, dailyLimit: null }, t0, 0);
    a.hold(2, 3, { minuteLimit: 10_000, dailyLimit: null }, t0, 0);
    expect(a.idle(t0, 500)).toEqual([]);
    expect(a.idle(t0, 1_500)).toEqual([{ integrationId: 1, minute: t0.minuteStart, minuteN: 3, day: '2026-03-01', dayN: 3 }]);
    expect(a.held(2, t0)).toBe(3);
    expect(a.take(2, t0, 9_000)).toBe(true);
    expect(a.idle(t0, 18_000)).toEqual([]);
    expect(a.idle(t0, 19_500)).toEqual([{ integrationId: 2, minute: t0.minuteStart, minuteN: 2, day: '2026-03-01', dayN: 2 }]);
  });

  it('of an ample key (no limits, or limits a slice is at most a 256th of) stays while its minute lasts however long it is idle', () => {
    const a = new Allowance();
    const roomy = { minuteLimit: 10_000, dailyLimit: null };
    const ampleDay = { minuteLimit: 16_384, dailyLimit: 262_143 };
    a.hold(1, 16, none, t0, 0);
    a.hold(2, 16, { minuteLimit: 16_384, dailyLimit: 262_144 }, t0, 0);
    a.hold(3, 16, roomy, t0, 0);
    a.hold(4, 16, ampleDay, t0, 0);
    // 50 s idle, the minute (10:00:05 to 10:01) not over: only the roomy key and the one whose daily limit is under 262,144 give theirs back.
    expect(a.idle(t0, 50_000).map((r) => r.integrationId)).toEqual([3, 4]);
    expect([1, 2].map((id) => a.held(id, t0))).toEqual([16, 16]);
    // The minute turned: their daily parts go back.
    expect(a.idle(timeAt('2026-03-01T10:01:00.000Z'), 55_000)).toEqual([
      { integrationId: 1, minute: t0.minuteStart, minuteN: 0, day: '2026-03-01', dayN: 16 },
      { integrationId: 2, minute: t0.minuteStart, minuteN: 0, day: '2026-03-01', dayN: 16 },
    ]);
  });

  it('belongs to its minute: when the minute turns, only its daily part goes back; a day later, nothing', () => {
    const a = new Allowance();
    a.hold(2, 3, none, t0, 0);
    const next = timeAt('2026-03-01T10:01:00.000Z');
    expect(a.held(2, next)).toBe(0);
    expect(a.idle(next, 10)).toEqual([{ integrationId: 2, minute: t0.minuteStart, minuteN: 0, day: '2026-03-01', dayN: 3 }]);
    a.hold(2, 2, none, next, 20);
    expect(a.all(timeAt('2026-03-02T00:00:00.000Z'))).toEqual([]);
  });

  it('of a past minute goes back when its key is due (the timer spreads a minute\'s turn over its ticks); an idle one whenever', () => {
    const a = new Allowance();
    a.hold(1, 3, none, t0, 0);
    a.hold(2, 3, none, t0, 0);
    const next = timeAt('2026-03-01T10:01:00.000Z');
    a.hold(3, 2, { minuteLimit: 100, dailyLimit: null }, next, 0);
    expect([1, 2].map((id) => a.outlived(id, next))).toEqual([true, true]);
    expect(a.outlived(1, t0)).toBe(false);
    // Key 3 (a small key, of this minute) is idle past a second: it goes back though not due; of 1 and 2, only the due one.
    expect(a.idle(next, 1_500, (id) => id === 2).map((r) => r.integrationId)).toEqual([2, 3]);
    expect(a.inUse()).toEqual([1]);
    expect(a.idle(next, 1_700, (id) => id === 1)).toEqual([{ integrationId: 1, minute: t0.minuteStart, minuteN: 0, day: '2026-03-01', dayN: 3 }]);
    expect(a.inUse()).toEqual([]);
  });

  it('of a roomy key in use is claimed again ahead once down to a quarter of the next claim, or ended with its minute; a small key\'s never, nor an idle one', () => {
    const a = new Allowance();
    const small = { minuteLimit: 100, dailyLimit: null };
    // Not leased lately: nothing to claim ahead.
    expect(a.refill(1, none, t0, 0)).toBe(0);
    a.hold(1, 3, none, t0, 0);
    a.hold(2, 3, small, t0, 0);
    for (const at of [10, 20]) {
      a.take(1, t0, at);
      a.take(2, t0, at);
    }
    // One left of key 1 and a claim would be sixteen (two leases this second, the floor of a quarter of 64): claimed ahead.
    expect(a.refill(1, none, t0, 30)).toBe(16);
    expect(a.refill(2, small, t0, 30)).toBe(0);
    // Three held: still a quarter of sixteen or less.
    a.hold(1, 2, none, t0, 35);
    expect(a.refill(1, none, t0, 36)).toBe(16);
    // Five held: more than a quarter.
    a.hold(1, 2, none, t0, 40);
    expect(a.refill(1, none, t0, 50)).toBe(0);
    // The minute turned: what is held is of the past minute.
    expect(a.refill(1, none, timeAt('2026-03-01T10:01:00.000Z'), 60)).toBe(16);
    // Ten seconds without a lease: the slice is idle (it goes back), nothing is claimed ahead.
    expect(a.refill(1, none, timeAt('2026-03-01T10:01:00.000Z'), 10_050)).toBe(0);
    expect(a.inUse()).toEqual([1, 2]);
  });

  it('is outdated once its key\'s limits as enforced differ from those it was claimed under (configured, or stated by the provider)', () => {
    const a = new Allowance();
    a.hold(1, 16, none, t0, 0);
    expect(a.outdated(1, none)).toBe(false);
    expect(a.outdated(1, { minuteLimit: 5, dailyLimit: null })).toBe(true);
    expect(a.outdated(1, { minuteLimit: null, dailyLimit: null, observedMinuteLimit: 30 })).toBe(true);
    a.hold(2, 4, { minuteLimit: 100, dailyLimit: 1_000, observedMinuteLimit: 60 }, t0, 0);
    expect(a.outdated(2, { minuteLimit: 80, dailyLimit: 1_000, observedMinuteLimit: 60 })).toBe(false);
    expect(a.outdated(2, { minuteLimit: 80, dailyLimit: 900, observedMinuteLimit: 60 })).toBe(true);
    expect(a.outdated(3, none)).toBe(false);
  });

  it('all goes back at shutdown', () => {
    const a = new Allowance();
    a.hold(1, 3, none, t0, 0);
    a.hold(2, 1, { minuteLimit: 50, dailyLimit: null }, t0, 0);
    expect(a.all(t0).map((r) => [r.integrationId, r.minuteN, r.dayN])).toEqual([[1, 3, 3], [2, 1, 1]]);
    expect(a.held(1, t0)).toBe(0);
  });
});

describe('leases granted from a slice, until written to the key\'s usage', () => {
  it('count in the key\'s view while noted and while being written, and are noted again when a write fails', () => {
    const counts = new GrantedCounts();
    counts.note(7, t0);
    counts.note(7, t0);
    counts.note(8, t0);
    expect(counts.of(7, t0)).toEqual({ minute: 2, day: 2, lastUsedAt: t0.now });
    const first = counts.drain();
    expect(counts.of(7, t0).day).toBe(2);
    counts.written(first, false);
    expect(counts.of(7, t0).day).toBe(2);
    const second = counts.drain();
    counts.note(7, t0);
    counts.written(second, true);
    expect(counts.of(7, t0)).toMatchObject({ minute: 1, day: 1 });
    expect(counts.of(8, t0).day).toBe(0);
  });

  it('are drained a share of the keys at a time when asked, the others staying noted (so a batch holds fewer key locks)', () => {
    const counts = new GrantedCounts();
    for (const id of [10, 11, 15, 16]) counts.note(id, t0);
    const share = counts.drain((id) => id % 5 === 0);
    expect(share.map((item) => item.integrationId)).toEqual([10, 15]);
    expect(counts.size).toBe(2);
    // Both the drained and the noted still count in their keys' views until written.
    expect([10, 11].map((id) => counts.of(id, t0).day)).toEqual([1, 1]);
    expect(counts.drain().map((item) => item.integrationId)).toEqual([11, 16]);
    expect(counts.size).toBe(0);
  });

  it('keep only the newer minute\'s count when the minute turns before they are written, and the whole day\'s', () => {
    const counts = new GrantedCounts();
    counts.note(7, t0);
    const next = timeAt('2026-03-01T10:01:10.000Z');
    counts.note(7, next);
    expect(counts.drain()).toEqual([{ integrationId: 7, minute: next.minuteStart, minuteN: 1, day: '2026-03-01', dayN: 2, lastUsedAt: next.now }]);
  });
});
