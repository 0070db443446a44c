/**
 * Coalesces concurrent callers into one database statement. The first caller
 * goes at once; callers that arrive while a batch runs go together in the
 * next one (up to `maxBatch` items). Each caller gets its own
 * result. When a batch of several fails, each of its items is run alone, so
 * one bad item never fails its batch-mates; `isShared` tells the failures that
 * are everyone's (a lost database), which are not retried. `stats` counts what
 * ran since start (for /metrics): batches, the items they held, their time.
 */
export interface BatcherOptions {
  maxBatch?: number;
  isShared?: (error: unknown) => boolean;
}

export interface BatchStats {
  batches: number;
  items: number;
  /** From a batch's start to every item's outcome (re-runs item by item included). */
  seconds: number;
}

interface Waiter<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class StatementBatcher<I, R> {
  private readonly queue: Waiter<I, R>[] = [];
  private running = false;
  readonly stats: BatchStats = { batches: 0, items: 0, seconds: 0 };
  private readonly maxBatch: number;
  private readonly isShared: (error: unknown) => boolean;

  constructor(
    private readonly execute: (items: I[]) => Promise<R[]>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.isShared = options.isShared ?? (() => false);
  }

  take(item: I): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    if (!this.running) void this.drain();
    return promise;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const started = performance.now();
        await this.settle(batch);
        this.stats.batches++;
        this.stats.items += batch.length;
        this.stats.seconds += (performance.now() - started) / 1000;
      }
    } finally {
      this.running = false;
    }
  }

  private async settle(batch: Waiter<I, R>[]): Promise<void> {
    try {
      const results = await this.execute(batch.map((w) => w.item));
      batch.forEach((waiter, i) => waiter.resolve(results[i]));
    } catch (e) {
      if (batch.length === 1 || this.isShared(e)) {
        for (const waiter of batch) waiter.reject(e);
        return;
      }
      for (const waiter of batch) await this.settle([waiter]);
    }
  }
}
