/**
 * Events across instances through PostgreSQL LISTEN/NOTIFY. Every instance
 * (the publisher included) receives each event from the database, so several
 * instances on one database behave as one. The LISTEN connection reconnects
 * by itself after a database restart; `isListening()` feeds /readyz.
 * NOTIFY is not durable: events published while an instance is disconnected
 * do not reach it.
 */
import pg from 'pg';
import type { SqlPool } from '../db/sql-pool.js';
import { InProcessEventBus, type EventBus } from './event-bus.js';

/** Events that are plain JSON on the wire. */
export const jsonCodec = <E>(): EventCodec<E> => ({ encode: (event) => JSON.stringify(event), decode: async (payload) => JSON.parse(payload) as E });

/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more. */
export const MAX_NOTIFY_BYTES = 7900;

export interface EventCodec<E> {
  encode(event: E): string;
  /** Null drops the event (e.g. its subject is gone); may load what the payload left out. */
  decode(payload: string): Promise<E | null>;
}

export interface PgNotifyOptions<E> {
  connectionString: string;
  channel: string;
  publishPool: SqlPool;
  codec: EventCodec<E>;
  log: (message: string, error?: unknown) => void;
  /** Called after every (re)connection, to catch up on what was missed meanwhile. */
  onListening?: () => Promise<void>;
}

export class PgNotifyEventBus<E> implements EventBus<E> {
  private readonly local = new InProcessEventBus<E>();
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Decoding may load from the database; the chain keeps events in publish order. */
  private delivery: Promise<void> = Promise.resolve();

  constructor(private readonly options: PgNotifyOptions<E>) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`invalid channel name: ${options.channel}`);
  }

  /** Connects and LISTENs; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  isListening(): boolean {
    return this.client !== null;
  }

  async publish(event: E): Promise<void> {
    const payload = this.options.codec.encode(event);
    try {
      await this.options.publishPool.query('select pg_notify($1, $2)', [this.options.channel, payload]);
    } catch (e) {
      // The change itself is committed; an undeliverable event must not turn it into an error.
      this.options.log('event not published: the database is unreachable', e);
    }
  }

  subscribe(listener: (event: E) => void): () => void {
    return this.local.subscribe(listener);
  }

  listenerCount(): number {
    return this.local.listenerCount();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    await this.delivery;
    await this.local.close();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 5000 });
    client.on('notification', (message) => {
      if (message.channel === this.options.channel && message.payload !== undefined) this.receive(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`listen ${this.options.channel}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    await this.options.onListening?.().catch((e: unknown) => this.options.log('could not catch up after (re)connecting', e));
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    if (!this.closed) {
      this.options.log('LISTEN connection lost; reconnecting');
      this.scheduleReconnect(0);
    }
  }

  private scheduleReconnect(attempt: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => this.options.log('LISTEN connection restored'),
        () => {
          if (!this.closed) this.scheduleReconnect(attempt + 1);
        },
      );
    }, Math.min(250 * 2 ** attempt, 5000));
  }

  private receive(payload: string): void {
    this.delivery = this.delivery
      .then(() => this.options.codec.decode(payload))
      .then((event) => {
        if (event) this.local.dispatch(event);
      })
      .catch((e) => this.options.log('event dropped: could not decode it', e));
  }
}
