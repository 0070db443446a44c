/** GraphQL payloads of the pool's live events. They never carry credentials. */
import { Field, ID, ObjectType, Int } from 'type-graphql';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import type { HealthStatus, SpendLimitAction, SpendLimitPeriod } from './integration.entity.js';
import { INTEGRATION_CHANGE_KINDS, type IntegrationChangeKind } from './integration.events.js';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';
import { HealthStatusEnum, IntegrationType, SpendLimitActionEnum, SpendLimitPeriodEnum } from './integration.types.js';

const EVENT_ID = 'Its id in the brand\'s event history: subscribe again with `since` set to the last one seen to get what was missed. Null when the history could not be written.';

export const IntegrationChangeKindEnum = graphqlEnum(INTEGRATION_CHANGE_KINDS, 'IntegrationChangeKind');

@ObjectType('IntegrationHealthEvent', { description: 'A key\'s health status changed.' })
export class IntegrationHealthEventType {
  @Field(() => ID, { nullable: true, description: EVENT_ID }) id?: string;
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => HealthStatusEnum) previousStatus!: HealthStatus;
  @Field(() => HealthStatusEnum) status!: HealthStatus;
  @Field(() => Int) consecutiveFailures!: number;
  @Field(() => String) reason!: string;
  @Field(() => Date) at!: Date;
}

@ObjectType('SpendLimitEvent', { description: 'A spend-limit setting changed, or spend_limit_exceeded flipped.' })
export class SpendLimitEventType {
  @Field(() => ID, { nullable: true, description: EVENT_ID }) id?: string;
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => Boolean) exceeded!: boolean;
  @Field(() => Boolean) previousExceeded!: boolean;
  @Field(() => SpendLimitActionEnum) action!: SpendLimitAction;
  @Field(() => DecimalScalar, { nullable: true }) amount!: string | null;
  @Field(() => SpendLimitPeriodEnum) period!: SpendLimitPeriod;
  @Field(() => DecimalScalar, { description: 'Spend in the current period (USD).' }) usage!: string;
  @Field(() => Date) at!: Date;
}

@ObjectType('IntegrationChangedEvent', { description: 'A key was created, updated or deleted.' })
export class IntegrationChangedEventType {
  @Field(() => ID, { nullable: true, description: EVENT_ID }) id?: string;
  @Field(() => IntegrationChangeKindEnum) kind!: IntegrationChangeKind;
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => Date) at!: Date;
}
