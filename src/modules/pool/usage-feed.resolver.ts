/**
 * `integrationUsageChanged`: the keys whose counts, spend, last use or cooldown changed, a batch
 * at a time (at most a few per second per key), for the subscriber's own brand only.
 */
import { Arg, Authorized, Field, Int, ObjectType, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { EventBus } from '../../platform/events/event-bus.js';
import { eventStream } from '../../platform/events/event-stream.js';
import { requireBrandId, type PrincipalContext } from '../../platform/auth/principal-args.js';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';
import { HealthStatusEnum, type HealthStatus } from '../keys/index.js';
import type { KeyUsage, UsageFeed, UsageMessage } from './usage-feed.js';

@ObjectType('IntegrationUsage', { description: 'A key\'s usage as it stands: counts, spend, last use, cooldown and health.' })
export class IntegrationUsageType {
  @Field(() => Int) integrationId!: number;
  @Field(() => String) providerName!: string;
  @Field(() => Int) minuteCount!: number;
  @Field(() => Int) dailyCount!: number;
  @Field(() => DecimalScalar) spendToday!: string;
  @Field(() => DecimalScalar) spendMonth!: string;
  @Field(() => Boolean) spendLimitExceeded!: boolean;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) cooldownUntil!: Date | null;
  @Field(() => HealthStatusEnum) healthStatus!: HealthStatus;
  @Field(() => Int) consecutiveFailures!: number;
  @Field(() => Date, { nullable: true }) probeDueAt!: Date | null;
  @Field(() => Date, { description: 'The instant the counts and spend are for; they reset at the next UTC minute, day and month.' }) asOf!: Date;
}

type Filter = { providerName?: string | null; integrationId?: number | null };
interface UsageContext extends PrincipalContext {
  services: { usageChanges: EventBus<UsageMessage>; usageFeed: Pick<UsageFeed, 'watch'> };
}

const date = (s: string | null) => (s === null ? null : new Date(s));
const toType = (u: KeyUsage): IntegrationUsageType =>
  ({ ...u, healthStatus: u.healthStatus as HealthStatus, lastUsedAt: date(u.lastUsedAt), cooldownUntil: date(u.cooldownUntil), probeDueAt: date(u.probeDueAt), asOf: new Date(u.asOf) });

function subscribe({ context, args }: SubscribeResolverData<unknown, Filter, UsageContext>) {
  const brandId = requireBrandId(context);
  // Watched while the stream lasts: every instance publishes this brand's usage in full meanwhile.
  const release = context.services.usageFeed.watch(brandId);
  return eventStream(context.services.usageChanges, (event: UsageMessage) => {
    if (!('usages' in event) || event.brandId !== brandId) return null;
    const usages = event.usages.filter((u) => (args.providerName == null || u.providerName === args.providerName) && (args.integrationId == null || u.integrationId === args.integrationId));
    return usages.length > 0 ? usages.map(toType) : null;
  }, { onEnd: release });
}

@Resolver()
export class UsageFeedResolver {
  @Authorized('events.subscribe')
  @Subscription(() => [IntegrationUsageType], { subscribe, description: 'Keys whose counts, spend, last use or cooldown changed: every lease and report reaches watchers within about a quarter of a second, coalesced per key.' })
  integrationUsageChanged(
    @Root() usages: IntegrationUsageType[],
    @Arg('providerName', () => String, { nullable: true }) _providerName?: string,
    @Arg('integrationId', () => Int, { nullable: true }) _integrationId?: number,
  ): IntegrationUsageType[] {
    return usages;
  }
}
