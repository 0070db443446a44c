import { describe, expect, it } from 'vitest';
import { LeaseBatcher, type BatchKey } from '../../src/modules/leases/lease-batcher.js';

const key: BatchKey = { brandId: 'b', providerName: 'groq', model: null, batch: false };

describe('LeaseBatcher', () => {
  it('sends the first caller at once and batches the callers that arrive meanwhile', async () => {
    const calls: number[] = [];
    let release: () => void = () => {};
    let next = 0;
    const batcher = new LeaseBatcher<number>(async (_key, count) => {
      calls.push(count);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      return Array.from({ length: count }, () => next++);
    });
    const first = batcher.take(key);
    const rest = Array.from({ length: 5 }, () => batcher.take(key));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls).toEqual([1, 5]);
  });

  it('gives null to the callers the pool could not serve, and keeps keys apart', async () => {
    const seen: [string | null, number][] = [];
    let release: () => void = () => {};
    const batcher = new LeaseBatcher<string>(async (k, count) => {
      seen.push([k.model, count]);
      if (seen.length === 1) await new Promise<void>((r) => (release = r));
      return [`${k.providerName}:${k.model}`]; // the pool serves one lease per batch
    });
    const first = batcher.take(key);
    const queued = [batcher.take(key), batcher.take(key)];
    const otherModel = batcher.take({ ...key, model: 'm' });
    expect(await otherModel).toBe('groq:m');
    release();
    expect(await Promise.all([first, ...queued])).toEqual(['groq:null', 'groq:null', null]);
    expect(seen).toEqual([[null, 1], ['m', 1], [null, 2]]);
  });

  it('rejects every caller of a batch that failed', async () => {
    const batcher = new LeaseBatcher<number>(async () => {
      throw new Error('database down');
    });
    await expect(Promise.all([batcher.take(key), batcher.take(key)])).rejects.toThrow('database down');
  });
});
