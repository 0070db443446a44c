import { describe, expect, it } from 'vitest';
import { StatementBatcher } from '../../src/platform/db/statement-batcher.js';

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
