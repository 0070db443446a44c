/**
 * The dashboard's state: every key of the brand by id, the live event feed
 * (newest first, bounded), the providers. Changes are coalesced into one
 * render per animation frame, so a burst of events costs one render; each
 * key is replaced (never mutated), so unchanged rows skip rendering.
 */
import { useEffect, useState } from 'preact/hooks';
import type { KeyFieldsFragment } from './generated/graphql';

export type Key = KeyFieldsFragment;

export interface FeedEvent {
  seq: number;
  at: string;
  kind: 'health' | 'spend' | 'key';
  integrationId: number;
  providerName: string;
  label: string;
  text: string;
  /** Words for the badge: HEALTHY, DEGRADED, UNHEALTHY, EXCEEDED, RE-ARMED, CREATED, … */
  tag: string;
}

export const MAX_EVENTS = 500;

export class Store {
  keys = new Map<number, Key>();
  events: FeedEvent[] = [];
  loaded = false;
  private seq = 0;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replaceKeys(keys: Key[]): void {
    this.keys = new Map(keys.map((k) => [k.id, k]));
    this.loaded = true;
    this.changed();
  }

  upsert(key: Key): void {
    this.keys.set(key.id, key);
    this.changed();
  }

  remove(id: number): void {
    this.keys.delete(id);
    this.changed();
  }

  addEvent(event: Omit<FeedEvent, 'seq'>): void {
    this.events = [{ ...event, seq: ++this.seq }, ...this.events.slice(0, MAX_EVENTS - 1)];
    this.changed();
  }

  clear(): void {
    this.keys = new Map();
    this.events = [];
    this.loaded = false;
    this.changed();
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}

export const store = new Store();

/** Re-renders the calling component after each (coalesced) store change. */
export function useStore(): Store {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), []);
  return store;
}

/** One shared one-second tick for countdowns. */
const tickers = new Set<() => void>();
setInterval(() => tickers.forEach((t) => t()), 1000);

export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    tickers.add(tick);
    return () => void tickers.delete(tick);
  }, [active]);
  return now;
}
