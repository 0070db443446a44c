/** GraphQL payloads of the pool's live events. They never carry credentials. */
import { Field, ObjectType, registerEnumType, Int } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars.js';
import { HealthStatusEnum, IntegrationType, SpendLimitActionEnum, SpendLimitPeriodEnum } from './integration.types.js';

export enum IntegrationChangeKindEnum {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  DELETED = 'DELETED',
}
registerEnumType(IntegrationChangeKindEnum, { name: 'IntegrationChangeKind' });

@ObjectType('IntegrationHealthEvent', { description: 'A key\'s health status changed.' })
export class IntegrationHealthEventType {
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => HealthStatusEnum) previousStatus!: HealthStatusEnum;
  @Field(() => HealthStatusEnum) status!: HealthStatusEnum;
  @Field(() => Int) consecutiveFailures!: number;
  @Field(() => String) reason!: string;
  @Field(() => Date) at!: Date;
}

@ObjectType('SpendLimitEvent', { description: 'A spend-limit setting changed, or spend_limit_exceeded flipped.' })
export class SpendLimitEventType {
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => Boolean) exceeded!: boolean;
  @Field(() => Boolean) previousExceeded!: boolean;
  @Field(() => SpendLimitActionEnum) action!: SpendLimitActionEnum;
  @Field(() => DecimalScalar, { nullable: true }) amount!: string | null;
  @Field(() => SpendLimitPeriodEnum) period!: SpendLimitPeriodEnum;
  @Field(() => DecimalScalar, { description: 'Spend in the current period (USD).' }) usage!: string;
  @Field(() => Date) at!: Date;
}

@ObjectType('IntegrationChangedEvent', { description: 'A key was created, updated or deleted.' })
export class IntegrationChangedEventType {
  @Field(() => IntegrationChangeKindEnum) kind!: IntegrationChangeKindEnum;
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => Date) at!: Date;
}
