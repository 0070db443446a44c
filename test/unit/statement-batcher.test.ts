import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GATHER_ENOUGH, StatementBatcher } from '../../src/platform/db/statement-batcher.js';

/** A batcher whose first statement waits until released, so later callers queue behind it. */
function heldBatcher<R>(run: (items: string[]) => R[] | Promise<R[]>, options = {}) {
  const calls: string[][] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  const batcher = new StatementBatcher<string, R>(async (items) => {
    calls.push(items);
    if (calls.length === 1) await held;
    return run(items);
  }, options);
  return { batcher, calls, release: () => release() };
}

describe('StatementBatcher', () => {
  it('sends the first caller at once and the callers that arrive meanwhile together, whatever they ask for', async () => {
    const { batcher, calls, release } = heldBatcher((items) => items.map((i) => `${i}!`));
    const first = batcher.take('brand-a/groq');
    const rest = ['brand-b/mistral', 'brand-c/groq', 'brand-a/groq'].map((i) => batcher.take(i));
    expect(calls).toEqual([['brand-a/groq']]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual(['brand-a/groq!', 'brand-b/mistral!', 'brand-c/groq!', 'brand-a/groq!']);
    expect(calls).toEqual([['brand-a/groq'], ['brand-b/mistral', 'brand-c/groq', 'brand-a/groq']]);
  });

  it('runs each item of a failed batch alone, so only the bad one fails', async () => {
    const { batcher, calls, release } = heldBatcher((items) => {
      if (items.includes('bad')) throw new Error('bad item');
      return items;
    });
    const first = batcher.take('one');
    const queued = ['two', 'bad', 'three'].map((i) => batcher.take(i).catch((e: Error) => e.message));
    release();
    expect(await Promise.all([first, ...queued])).toEqual(['one', 'two', 'bad item', 'three']);
    expect(calls).toEqual([['one'], ['two', 'bad', 'three'], ['two'], ['bad'], ['three']]);
  });

  it('fails every caller at once on a failure they all share (the database is gone)', async () => {
    const { batcher, calls, release } = heldBatcher(() => {
      throw new Error('connection lost');
    }, { isShared: (e: unknown) => (e as Error).message === 'connection lost' });
    const all = ['one', 'two', 'three'].map((i) => batcher.take(i).catch((e: Error) => e.message));
    release();
    expect(await Promise.all(all)).toEqual(['connection lost', 'connection lost', 'connection lost']);
    expect(calls).toEqual([['one'], ['two', 'three']]);
  });

  it('keeps at most maxBatch items in one statement', async () => {
    const { batcher, calls, release } = heldBatcher((items) => items, { maxBatch: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((i) => batcher.take(i));
    release();
    await Promise.all(all);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });
});

describe('StatementBatcher gathering (gatherMs)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A batcher that waits up to 2 ms for company, on a clock the test moves; its statements answer at once. */
  function gatheringBatcher() {
    let now = 0;
    const calls: number[][] = [];
    const batcher = new StatementBatcher<number, number>(async (items) => {
      calls.push(items);
      return items;
    }, { gatherMs: 2, now: () => now });
    /** Items arriving `gapMs` apart on the clock (none of them awaited). */
    const arrive = (items: number[], gapMs: number) => items.map((item) => {
      now += gapMs;
      return batcher.take(item);
    });
    return { batcher, calls, arrive, later: (ms: number) => (now += ms) };
  }
  /** Every result, with the timers run (a gathering batch waits on one). */
  const settled = async <T>(results: Promise<T>[]) => (await Promise.all([Promise.all(results), vi.advanceTimersByTimeAsync(10)]))[0];

  it('sends each item at once while they come slower than one per 4 ms', async () => {
    const { calls, arrive } = gatheringBatcher();
    for (const item of [1, 2, 3, 4, 5]) {
      const [result] = arrive([item], 10);
      // No timer moved: a quiet batcher never waits.
      expect(await result).toBe(item);
    }
    expect(calls).toEqual([[1], [2], [3], [4], [5]]);
  });

  it('holds a small batch up to 2 ms for company while items come fast, then sends what gathered', async () => {
    const { calls, arrive } = gatheringBatcher();
    // A burst: the first goes at once (no history yet), the rest gather behind it.
    await settled(arrive([1, 2, 3, 4], 0.5));
    const calls0 = calls.length;
    const next = arrive([5], 0.5);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.length).toBe(calls0);
    const more = arrive([6, 7], 0.5);
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all([...next, ...more])).toEqual([5, 6, 7]);
    expect(calls.slice(calls0)).toEqual([[5, 6, 7]]);
  });

  it('sends a gathering batch as soon as it holds enough, without waiting out the 2 ms', async () => {
    const { calls, arrive } = gatheringBatcher();
    await settled(arrive([0, 0, 0], 0.1));
    calls.length = 0;
    const items = Array.from({ length: GATHER_ENOUGH }, (_, i) => i + 1);
    const results = arrive(items, 0.01);
    // Not one timer tick: the batch went when its last item arrived.
    expect(await Promise.all(results)).toEqual(items);
    expect(calls).toEqual([items]);
  });

  it('sends the first item after a quiet spell at once, however busy it was before', async () => {
    const { calls, arrive, later } = gatheringBatcher();
    await settled(arrive([1, 2, 3, 4, 5, 6], 0.2));
    later(60_000);
    calls.length = 0;
    const [result] = arrive([7], 0);
    expect(await result).toBe(7);
    expect(calls).toEqual([[7]]);
  });
});
