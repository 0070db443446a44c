/**
 * Coalesces concurrent callers into one database statement. The first caller
 * goes at once; callers that arrive while a batch runs go together in the
 * next one (up to `maxBatch` items). With `gatherMs`, a batch of fewer than
 * GATHER_ENOUGH items waits up to that long for company, but only while
 * items have lately been arriving at least one per 2 × `gatherMs` on average
 * (half an item or more expected in the wait): a busy instance sends fewer,
 * larger statements (each statement has a fixed cost to the database, several
 * times one more item's), and a quiet one, or the first caller after a quiet
 * spell, goes at once. Each caller gets its own
 * result. When a batch of several fails, each of its items is run alone, so
 * one bad item never fails its batch-mates; `isShared` tells the failures that
 * are everyone's (a lost database), which are not retried. `stats` counts what
 * ran since start (for /metrics): batches, the items they held, their time.
 */
export interface BatcherOptions {
  maxBatch?: number;
  isShared?: (error: unknown) => boolean;
  /** The longest a batch waits for company, in ms (0 or absent: it never waits). */
  gatherMs?: number;
  /** A monotonic clock in ms (performance.now unless a test sets one). */
  now?: () => number;
}

/** A batch that holds this many items already goes without waiting: its fixed cost is spread thin enough. */
export const GATHER_ENOUGH = 16;
/** How much one gap between arrivals moves their running average (the last ten or so count). */
const GAP_WEIGHT = 0.1;
/** A longer gap counts as this long: one quiet spell is enough to stop waiting, however long it was. */
const LONGEST_GAP_MS = 1000;

export interface BatchStats {
  batches: number;
  items: number;
  /** From a batch's start to every item's outcome (re-runs item by item included; its wait for company not counted). */
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
  private readonly gatherMs: number;
  private readonly now: () => number;
  /** The running average gap between arrivals, in ms (Infinity until there are two). */
  private averageGapMs = Infinity;
  private lastArrival: number | null = null;
  /** Ends a batch's wait for company early, once it has enough (set while one waits). */
  private gathered: (() => void) | null = null;

  constructor(
    private readonly execute: (items: I[]) => Promise<R[]>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.isShared = options.isShared ?? (() => false);
    this.gatherMs = options.gatherMs ?? 0;
    this.now = options.now ?? (() => performance.now());
  }

  take(item: I): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    this.arrived();
    if (!this.running) void this.drain();
    else if (this.gathered && this.queue.length >= GATHER_ENOUGH) this.gathered();
    return promise;
  }

  private arrived(): void {
    if (this.gatherMs <= 0) return;
    const at = this.now();
    if (this.lastArrival !== null) {
      const gap = Math.min(Math.max(at - this.lastArrival, 0), LONGEST_GAP_MS);
      this.averageGapMs = this.averageGapMs === Infinity ? gap : this.averageGapMs + (gap - this.averageGapMs) * GAP_WEIGHT;
    }
    this.lastArrival = at;
  }

  /** Whether the next batch should wait for company: it is small, and items have been arriving at least one per two gatherMs. */
  private worthGathering(): boolean {
    return this.gatherMs > 0 && this.queue.length < GATHER_ENOUGH && this.averageGapMs <= 2 * this.gatherMs;
  }

  private gather(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.gathered = null;
        resolve();
      };
      const timer = setTimeout(done, this.gatherMs);
      this.gathered = done;
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        if (this.worthGathering()) await this.gather();
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
