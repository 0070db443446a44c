/**
 * Live events over GraphQL subscriptions (graphql-ws on /graphql), a key's recent history
 * (`integrationEvents`) and the brand's (`events`, paged by id). A subscriber receives its own
 * brand's events only; the optional filters are applied on the server. A subscription given
 * `since` (the last event id it saw) first receives the events recorded after it.
 */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Field, ID, Int, ObjectType, Query, registerEnumType, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { badRequest } from '../../platform/errors/app-error.js';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import { MAX_REPLAY, type IntegrationEventLog } from './integration-event-log.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import { eventStream, resumableStream } from '../../platform/events/event-stream.js';
import { requireBrandId, type PrincipalContext } from '../../platform/auth/principal-args.js';
import type { IntegrationEvent } from './integration.events.js';
import { IntegrationChangedEventType, IntegrationHealthEventType, SpendLimitEventType } from './integration-events.types.js';

type EventType = IntegrationEvent['type'];
type Filter = { providerName?: string | null; integrationId?: number | null; since?: string | null };
/** What a subscription needs of its request's context: who is asking, the bus to listen to, the history to resume from. */
interface EventsContext extends PrincipalContext {
  services: { events: EventBus<IntegrationEvent>; eventLog: Pick<IntegrationEventLog, 'replay'> };
}

const EVENT_ID = /^[1-9]\d{0,18}$/;
function checkEventId(value: string | null | undefined, name: string): void {
  if (value != null && !EVENT_ID.test(value)) throw badRequest(`${name} must be an event id (a positive whole number, as a string)`);
}

function subscribeTo(type: EventType) {
  return ({ context, args }: SubscribeResolverData<unknown, Filter, EventsContext>) => {
    const brandId = requireBrandId(context);
    checkEventId(args.since, 'since');
    const select = (event: IntegrationEvent) =>
      event.type === type &&
      event.brandId === brandId &&
      (args.providerName == null || event.integration.providerName === args.providerName) &&
      (args.integrationId == null || event.integration.id === args.integrationId)
        ? event
        : null;
    if (args.since == null) return eventStream(context.services.events, select);
    const filter = { types: [type], providerName: args.providerName, integrationId: args.integrationId };
    return resumableStream(context.services.events, select, () => context.services.eventLog.replay(brandId, args.since!, filter));
  };
}

/** The history's event types, by the names RecordedIntegrationEvent.type gives them. */
enum KeyEventTypeEnum {
  CHANGED = 'integration.changed',
  HEALTH_CHANGED = 'integration.health_changed',
  SPEND_LIMIT_CHANGED = 'integration.spend_limit_changed',
}
registerEnumType(KeyEventTypeEnum, { name: 'KeyEventType' });

const EVENT_TYPE_NAMES: Record<EventType, string> = { 'integration.changed': 'CHANGED', 'integration.health_changed': 'HEALTH_CHANGED', 'integration.spend_limit_changed': 'SPEND_LIMIT_CHANGED' };

@ObjectType('RecordedIntegrationEvent', { description: 'One event of a key\'s history, as subscribers saw it.' })
export class RecordedIntegrationEventType {
  @Field(() => ID) id!: string;
  @Field(() => Int) integrationId!: number;
  @Field(() => String, { description: 'CHANGED, HEALTH_CHANGED or SPEND_LIMIT_CHANGED.' }) type!: string;
  @Field(() => Date) at!: Date;
  @Field(() => GraphQLJSONObject, { description: 'The event\'s own fields: kind; previousStatus, status, reason; exceeded, previousExceeded, usage, amount, period, action.' })
  details!: Record<string, unknown>;
}

@ObjectType('EventHistoryPage', { description: 'Events oldest first; ask again with since: lastId for the next page.' })
export class EventHistoryPageType {
  @Field(() => [RecordedIntegrationEventType]) items!: RecordedIntegrationEventType[];
  @Field(() => ID, { nullable: true, description: 'The last event\'s id (the since of the next page); null when there were none.' }) lastId!: string | null;
  @Field(() => Boolean, { description: 'Whether more events follow.' }) hasMore!: boolean;
}

export const MAX_HISTORY = 100;

@Resolver()
export class IntegrationEventsResolver {
  constructor(private readonly history: Pick<IntegrationEventLog, 'recent' | 'after' | 'latestId'>) {}

  @Authorized('integrations.read')
  @Query(() => ID, { nullable: true, description: 'The id of the brand\'s newest event: a page that starts following now asks events(since:) from it after a reconnect.' })
  latestEventId(@CurrentBrandId() brandId: string): Promise<string | null> {
    return this.history.latestId(brandId);
  }

  @Authorized('integrations.read')
  @Query(() => EventHistoryPageType, {
    description: `The brand's events after \`since\` (from the oldest kept, when omitted), oldest first (kept for KEYPOOL_EVENT_RETENTION_DAYS); limit 1 to ${MAX_REPLAY}.`,
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? 100), MAX_REPLAY) * childComplexity,
  })
  async events(
    @CurrentBrandId() brandId: string,
    @Arg('since', () => ID, { nullable: true }) since: string | null,
    @Arg('types', () => [KeyEventTypeEnum], { nullable: true }) types: KeyEventTypeEnum[] | null,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
  ): Promise<EventHistoryPageType> {
    checkEventId(since, 'since');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY) throw badRequest(`limit must be a whole number from 1 to ${MAX_REPLAY}`);
    const events = await this.history.after(brandId, since, { types: types as EventType[] | null }, limit + 1);
    const items = events.slice(0, limit).map((e) => ({ ...e, type: EVENT_TYPE_NAMES[e.type] }));
    return { items, lastId: items.at(-1)?.id ?? since, hasMore: events.length > limit };
  }

  @Authorized('integrations.read')
  @Query(() => [RecordedIntegrationEventType], {
    description: 'A key\'s most recent events, newest first (kept for KEYPOOL_EVENT_RETENTION_DAYS).',
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? 20), MAX_HISTORY) * childComplexity,
  })
  async integrationEvents(
    @CurrentBrandId() brandId: string,
    @Arg('integrationId', () => Int) integrationId: number,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
  ): Promise<RecordedIntegrationEventType[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) throw badRequest(`limit must be a whole number from 1 to ${MAX_HISTORY}`);
    const events = await this.history.recent(brandId, integrationId, limit);
    return events.map((e) => ({ ...e, type: EVENT_TYPE_NAMES[e.type] }));
  }

  @Authorized('events.subscribe')
  @Subscription(() => IntegrationHealthEventType, { subscribe: subscribeTo('integration.health_changed'), description: 'A key turned healthy, degraded or unhealthy.' })
  integrationHealthChanged(
    @Root() event: IntegrationHealthEventType,
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
    @Arg('since', () => ID, { nullable: true, description: 'The last event id seen: the events recorded after it come first.' }) _since?: string,
  ): IntegrationHealthEventType {
    return event;
  }

  @Authorized('events.subscribe')
  @Subscription(() => SpendLimitEventType, { subscribe: subscribeTo('integration.spend_limit_changed'), description: 'A spend-limit setting changed, or the limit was crossed or re-armed.' })
  spendLimitChanged(
    @Root() event: SpendLimitEventType,
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
    @Arg('since', () => ID, { nullable: true, description: 'The last event id seen: the events recorded after it come first.' }) _since?: string,
  ): SpendLimitEventType {
    return event;
  }

  @Authorized('events.subscribe')
  @Subscription(() => IntegrationChangedEventType, { subscribe: subscribeTo('integration.changed'), description: 'A key was created, updated or deleted.' })
  integrationChanged(
    @Root() event: IntegrationChangedEventType,
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
    @Arg('since', () => ID, { nullable: true, description: 'The last event id seen: the events recorded after it come first.' }) _since?: string,
  ): IntegrationChangedEventType {
    return event;
  }
}
