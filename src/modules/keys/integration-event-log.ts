/**
 * The recent history of every key's events (health, spend-limit and key
 * changes): each event published is also written to `integration_event`, so
 * a page opened now can show what happened before it. A recording bus wraps
 * the live one; a history that cannot be written never stops the event, nor
 * the change behind it. Kept for `retentionDays`, pruned by the scheduler.
 */
import type { Queryable } from '../../platform/db/sql-pool.js';
import { ForwardingEventBus, type EventBus } from '../../platform/events/event-bus.js';
import type { IntegrationEvent } from './integration.events.js';

/** One recorded event: what a subscriber saw, without the key's snapshot. */
export interface RecordedEvent {
  id: string;
  integrationId: number;
  type: IntegrationEvent['type'];
  at: Date;
  /** The event's own fields: kind, status, previousStatus, reason, exceeded, … */
  details: Record<string, unknown>;
}

function detailsOf(event: IntegrationEvent): Record<string, unknown> {
  const { brandId: _brand, integration, at: _at, type: _type, ...details } = event;
  return { ...details, providerName: integration.providerName, keyLabel: integration.keyLabel };
}

export class IntegrationEventLog {
  constructor(private readonly db: Queryable) {}

  /** Writes one event (`db`: a caller's transaction, where what the event raises is written too). */
  async record(event: IntegrationEvent, db: Queryable = this.db): Promise<void> {
    await db.query('insert into integration_event (brand_id, integration_id, type, at, payload) values ($1, $2, $3, $4, $5)', [
      event.brandId, event.integration.id, event.type, event.at, JSON.stringify(detailsOf(event)),
    ]);
  }

  /** A key's most recent events, newest first. */
  async recent(brandId: string, integrationId: number, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.db.query<{ id: string; integration_id: number; type: IntegrationEvent['type']; at: Date; payload: Record<string, unknown> }>(
      'select e.id::text as id, e.integration_id, e.type, e.at, e.payload from integration_event e where e.brand_id = $1 and e.integration_id = $2 order by e.id desc limit $3',
      [brandId, integrationId, limit],
    );
    return rows.map((r) => ({ id: r.id, integrationId: r.integration_id, type: r.type, at: r.at, details: r.payload }));
  }

  async prune(olderThan: Date): Promise<void> {
    await this.db.query('delete from integration_event where at < $1', [olderThan]);
  }
}

/** The live bus, with every published event written to the log first. */
export class RecordingEventBus extends ForwardingEventBus<IntegrationEvent> {
  constructor(
    live: EventBus<IntegrationEvent>,
    private readonly log: Pick<IntegrationEventLog, 'record'>,
    private readonly warn: (message: string, error?: unknown) => void,
  ) {
    super(live);
  }

  async publish(event: IntegrationEvent): Promise<void> {
    await this.log.record(event).catch((e: unknown) => this.warn('event not recorded in the history', e));
    await this.inner.publish(event);
  }
}
