/**
 * Live events over GraphQL subscriptions (graphql-ws on /graphql), and a key's
 * recent history (`integrationEvents`). A subscriber receives its own brand's
 * events only; the optional filters are applied on the server.
 */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Field, ID, Int, ObjectType, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { badRequest } from '../../platform/errors/app-error.js';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import type { IntegrationEventLog } from './integration-event-log.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import { eventStream } from '../../platform/events/event-stream.js';
import { requireBrandId, type PrincipalContext } from '../../platform/auth/principal-args.js';
import type { IntegrationEvent } from './integration.events.js';
import { IntegrationChangedEventType, IntegrationHealthEventType, SpendLimitEventType } from './integration-events.types.js';

type EventType = IntegrationEvent['type'];
type Filter = { providerName?: string | null; integrationId?: number | null };
/** What a subscription needs of its request's context: who is asking, and the bus to listen to. */
interface EventsContext extends PrincipalContext {
  services: { events: EventBus<IntegrationEvent> };
}

function subscribeTo(type: EventType) {
  return ({ context, args }: SubscribeResolverData<unknown, Filter, EventsContext>) => {
    const brandId = requireBrandId(context);
    return eventStream(context.services.events, (event: IntegrationEvent) =>
      event.type === type &&
      event.brandId === brandId &&
      (args.providerName == null || event.integration.providerName === args.providerName) &&
      (args.integrationId == null || event.integration.id === args.integrationId)
        ? event
        : null,
    );
  };
}

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

export const MAX_HISTORY = 100;

@Resolver()
export class IntegrationEventsResolver {
  constructor(private readonly history: Pick<IntegrationEventLog, 'recent'>) {}

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
  ): IntegrationHealthEventType {
    return event;
  }

  @Authorized('events.subscribe')
  @Subscription(() => SpendLimitEventType, { subscribe: subscribeTo('integration.spend_limit_changed'), description: 'A spend-limit setting changed, or the limit was crossed or re-armed.' })
  spendLimitChanged(
    @Root() event: SpendLimitEventType,
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
  ): SpendLimitEventType {
    return event;
  }

  @Authorized('events.subscribe')
  @Subscription(() => IntegrationChangedEventType, { subscribe: subscribeTo('integration.changed'), description: 'A key was created, updated or deleted.' })
  integrationChanged(
    @Root() event: IntegrationChangedEventType,
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
  ): IntegrationChangedEventType {
    return event;
  }
}
