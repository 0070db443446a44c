/**
 * Coalesces concurrent leases of one brand, provider and model into one
 * database round trip. The first caller goes at once; callers that arrive
 * while a batch runs go together in the next one. Each caller gets its own
 * lease, or null when the pool ran dry before its turn.
 */
export interface BatchKey {
  brandId: string;
  providerName: string;
  model: string | null;
  batch: boolean;
}

interface Waiter<R> {
  resolve: (result: R | null) => void;
  reject: (error: unknown) => void;
}

export class LeaseBatcher<R> {
  private readonly queues = new Map<string, { key: BatchKey; waiters: Waiter<R>[]; running: boolean }>();

  constructor(
    private readonly execute: (key: BatchKey, count: number) => Promise<R[]>,
    private readonly maxBatch = 64,
  ) {}

  take(key: BatchKey): Promise<R | null> {
    const id = `${key.brandId}\n${key.providerName}\n${key.batch ? 'batch' : ''}\n${key.model ?? ''}`;
    let queue = this.queues.get(id);
    if (!queue) {
      queue = { key, waiters: [], running: false };
      this.queues.set(id, queue);
    }
    const promise = new Promise<R | null>((resolve, reject) => queue.waiters.push({ resolve, reject }));
    if (!queue.running) void this.drain(id, queue);
    return promise;
  }

  private async drain(id: string, queue: { key: BatchKey; waiters: Waiter<R>[]; running: boolean }): Promise<void> {
    queue.running = true;
    while (queue.waiters.length > 0) {
      const batch = queue.waiters.splice(0, this.maxBatch);
      try {
        const results = await this.execute(queue.key, batch.length);
        batch.forEach((waiter, i) => waiter.resolve(results[i] ?? null));
      } catch (e) {
        for (const waiter of batch) waiter.reject(e);
      }
    }
    queue.running = false;
    this.queues.delete(id);
  }
}
