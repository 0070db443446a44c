import { describe, expect, it } from 'vitest';
import { eventStream } from '../../src/platform/events/event-stream.js';
import { InProcessEventBus } from '../../src/platform/events/event-bus.js';

describe('eventStream', () => {
  it('does not let a slow consumer hold up the others, and ends it when it falls too far behind', async () => {
    const bus = new InProcessEventBus<number>();
    let ended = 0;
    const slow = eventStream(bus, (n) => n, { maxQueued: 10, onEnd: () => ended++ });
    const fast = eventStream(bus, (n) => n, { maxQueued: 10 });
    const fastReceived: number[] = [];
    for (let i = 0; i < 25; i++) {
      await bus.publish(i);
      fastReceived.push((await fast.next()).value);
    }
    expect(fastReceived).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const drained: number[] = [];
    for (let i = 0; i < 10; i++) drained.push((await slow.next()).value);
    expect(drained).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(slow.next()).rejects.toThrow(/Subscriber too slow/);
    expect(bus.listenerCount()).toBe(1);
    // Ended once (a return after the failure ends nothing more).
    await slow.return!();
    expect(ended).toBe(1);
  });

  it('filters events and unsubscribes when the consumer returns', async () => {
    const bus = new InProcessEventBus<number>();
    const evens = eventStream(bus, (n) => (n % 2 === 0 ? n * 10 : null));
    const pending = evens.next();
    await bus.publish(1);
    await bus.publish(2);
    expect(await pending).toEqual({ value: 20, done: false });
    await evens.return!();
    expect(bus.listenerCount()).toBe(0);
    expect(await evens.next()).toEqual({ value: undefined, done: true });
  });
});
