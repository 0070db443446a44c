/**
 * Live events over GraphQL subscriptions (graphql-ws on /graphql). A
 * subscriber receives its own brand's events only; the optional filters are
 * applied on the server.
 */
import { Arg, Authorized, Int, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
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

@Resolver()
export class IntegrationEventsResolver {
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
