/**
 * A subscriber's own stream of events: the bus pushes, the subscriber pulls.
 * Each stream has a bounded queue, so one slow consumer never holds up the
 * bus or the others; a consumer that falls too far behind is ended with an
 * error. Returning (disconnect) unsubscribes at once.
 */
import { GraphQLError } from 'graphql';
import type { EventBus } from './event-bus.js';

export const MAX_QUEUED_EVENTS = 1000;

export interface StreamOptions {
  maxQueued?: number;
  /** Called once when the stream ends, however it ends. */
  onEnd?: () => void;
}

export function eventStream<E, T>(bus: EventBus<E>, select: (event: E) => T | null, { maxQueued = MAX_QUEUED_EVENTS, onEnd }: StreamOptions = {}): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let failure: GraphQLError | null = null;
  let done = false;

  const finish = () => {
    if (!done) onEnd?.();
    done = true;
    unsubscribe();
    queue.length = 0;
    waiting?.({ value: undefined, done: true });
    waiting = null;
  };

  const unsubscribe = bus.subscribe((event) => {
    if (done) return;
    const value = select(event);
    if (value === null) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value, done: false });
    } else if (queue.length < maxQueued) {
      queue.push(value);
    } else {
      failure = new GraphQLError(`Subscriber too slow: more than ${maxQueued} events waiting; resubscribe`, { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
      unsubscribe();
    }
  });

  return {
    next(): Promise<IteratorResult<T>> {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure) {
        const error = failure;
        finish();
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return(): Promise<IteratorResult<T>> {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown): Promise<IteratorResult<T>> {
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * A stream that first gives what the subscriber missed (`missed`, read from a history after the
 * live subscription is in place, so nothing falls between the two), then the live events, each
 * once: a live event already given from the history (the same id) is skipped.
 */
export function resumableStream<E, T extends { id?: string }>(
  bus: EventBus<E>, select: (event: E) => T | null, missed: () => Promise<T[]>, maxQueued = MAX_QUEUED_EVENTS,
): AsyncIterableIterator<T> {
  const live = eventStream(bus, select, { maxQueued });
  let backlog: T[] | null = null;
  const given = new Set<string>();
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      if (backlog === null) {
        try {
          backlog = await missed();
        } catch (e) {
          await live.return!();
          throw e;
        }
        for (const value of backlog) if (value.id !== undefined) given.add(value.id);
      }
      if (backlog.length > 0) return { value: backlog.shift()!, done: false };
      for (;;) {
        const result = await live.next();
        if (result.done || result.value.id === undefined || !given.has(result.value.id)) return result;
      }
    },
    return: () => live.return!(),
    throw: (error?: unknown) => live.throw!(error),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
