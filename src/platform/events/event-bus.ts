/**
 * The internal event bus. Services publish after their transaction commits;
 * the transport (in-process, PostgreSQL LISTEN/NOTIFY, later Redis) decides
 * how events reach every instance. Listeners receive events of every brand
 * and must filter by brand themselves (the GraphQL subscriptions do).
 */
export interface EventBus<E> {
  publish(event: E): Promise<void>;
  subscribe(listener: (event: E) => void): () => void;
  close(): Promise<void>;
}

/**
 * A bus that does something around publishing and hands everything else to the bus it wraps
 * (a subclass writes publish).
 */
export abstract class ForwardingEventBus<E> implements EventBus<E> {
  constructor(protected readonly inner: EventBus<E>) {}

  abstract publish(event: E): Promise<void>;

  subscribe(listener: (event: E) => void): () => void {
    return this.inner.subscribe(listener);
  }

  /** The wrapped bus's local subscribers (for tests and /metrics). */
  listenerCount(): number {
    return (this.inner as { listenerCount?: () => number }).listenerCount?.() ?? 0;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Delivers to listeners of this process only. */
export class InProcessEventBus<E> implements EventBus<E> {
  private readonly listeners = new Set<(event: E) => void>();

  async publish(event: E): Promise<void> {
    this.dispatch(event);
  }

  /** Hands an event to every local listener; one failing listener does not stop the others. */
  dispatch(event: E): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's own failure is its own: keep delivering to the rest
      }
    }
  }

  subscribe(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
