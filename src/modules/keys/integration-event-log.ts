/**
 * The history of every key's events (health, spend-limit and key changes): each event published
 * is first written to `integration_event`, and published with its id there, so a page opened now
 * can show what happened before it, and a subscriber that reconnects can ask for what it missed
 * after the last id it saw. Each row keeps the key as the event showed it, so a replayed event
 * reads as the live one did (even for a key deleted since). A history that cannot be written
 * never stops the event, nor the change behind it. Kept for `retentionDays`, pruned by the scheduler.
 */
import type { Queryable } from '../../platform/db/sql-pool.js';
import { ForwardingEventBus, type EventBus } from '../../platform/events/event-bus.js';
import type { IntegrationEvent } from './integration.events.js';
import type { IntegrationView } from './integration.view.js';
import { reviveView } from './integration-event-codec.js';

/** One recorded event: what a subscriber saw, without the key's snapshot. */
export interface RecordedEvent {
  id: string;
  integrationId: number;
  type: IntegrationEvent['type'];
  at: Date;
  /** The event's own fields: kind, status, previousStatus, reason, exceeded, … */
  details: Record<string, unknown>;
}

export interface HistoryFilter {
  types?: IntegrationEvent['type'][] | null;
  integrationId?: number | null;
  providerName?: string | null;
}

export const MAX_REPLAY = 1000;

function detailsOf(event: IntegrationEvent): Record<string, unknown> {
  const { brandId: _brand, integration, at: _at, type: _type, id: _id, ...details } = event;
  return { ...details, providerName: integration.providerName, keyLabel: integration.keyLabel };
}

interface EventRow { id: string; integration_id: number; type: IntegrationEvent['type']; at: Date; payload: Record<string, unknown> & { integration?: IntegrationView } }

const toRecorded = (r: EventRow): RecordedEvent => {
  const { integration: _snapshot, ...details } = r.payload;
  return { id: r.id, integrationId: r.integration_id, type: r.type, at: r.at, details };
};

export class IntegrationEventLog {
  constructor(private readonly db: Queryable) {}

  /** Writes one event and returns its id (`db`: a caller's transaction, where what the event raises is written too). */
  async record(event: IntegrationEvent, db: Queryable = this.db): Promise<string> {
    const { rows } = await db.query<{ id: string }>('insert into integration_event (brand_id, integration_id, type, at, payload) values ($1, $2, $3, $4, $5) returning id::text as id', [
      event.brandId, event.integration.id, event.type, event.at, JSON.stringify({ ...detailsOf(event), integration: event.integration }),
    ]);
    return rows[0].id;
  }

  /** A key's most recent events, newest first. */
  async recent(brandId: string, integrationId: number, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      'select e.id::text as id, e.integration_id, e.type, e.at, e.payload from integration_event e where e.brand_id = $1 and e.integration_id = $2 order by e.id desc limit $3',
      [brandId, integrationId, limit],
    );
    return rows.map(toRecorded);
  }

  /** The brand's events after `sinceId` (all kept, when null), oldest first, at most `limit`. */
  async after(brandId: string, sinceId: string | null, filter: HistoryFilter, limit: number): Promise<RecordedEvent[]> {
    return (await this.rowsAfter(brandId, sinceId, filter, limit)).map(toRecorded);
  }

  /** The id of the brand's newest event (where a page opened now starts following), or null. */
  async latestId(brandId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string | null }>('select max(id)::text as id from integration_event where brand_id = $1', [brandId]);
    return rows[0].id;
  }

  /** The same, as the events subscribers were given (a subscription that resumes). */
  async replay(brandId: string, sinceId: string, filter: HistoryFilter): Promise<IntegrationEvent[]> {
    const rows = await this.rowsAfter(brandId, sinceId, filter, MAX_REPLAY);
    return rows.filter((r) => r.payload.integration).map((r) => {
      const { integration, providerName: _p, keyLabel: _k, ...details } = r.payload;
      return { ...details, type: r.type, brandId, at: r.at, id: r.id, integration: reviveView(integration!) } as IntegrationEvent;
    });
  }

  private async rowsAfter(brandId: string, sinceId: string | null, filter: HistoryFilter, limit: number): Promise<EventRow[]> {
    const { rows } = await this.db.query<EventRow>(
      `select e.id::text as id, e.integration_id, e.type, e.at, e.payload from integration_event e
       where e.brand_id = $1 and e.id > $2 and ($3::text[] is null or e.type = any($3)) and ($4::int is null or e.integration_id = $4)
         and ($5::text is null or e.payload ->> 'providerName' = $5)
       order by e.id limit $6`,
      [brandId, sinceId ?? '0', filter.types ?? null, filter.integrationId ?? null, filter.providerName ?? null, limit],
    );
    return rows;
  }

  async prune(olderThan: Date): Promise<void> {
    await this.db.query('delete from integration_event where at < $1', [olderThan]);
  }
}

/** The live bus, with every published event written to the log first and published with its id. */
export class RecordingEventBus extends ForwardingEventBus<IntegrationEvent> {
  constructor(
    live: EventBus<IntegrationEvent>,
    private readonly log: { record(event: IntegrationEvent): Promise<string | null> },
    private readonly warn: (message: string, error?: unknown) => void,
  ) {
    super(live);
  }

  async publish(event: IntegrationEvent): Promise<void> {
    const id = await this.log.record(event).catch((e: unknown) => {
      this.warn('event not recorded in the history', e);
      return null;
    });
    await this.inner.publish(id === null ? event : { ...event, id });
  }
}
