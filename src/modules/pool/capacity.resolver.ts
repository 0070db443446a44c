/** GraphQL: what is left of each provider's limits (capacity.ts). */
import { Authorized, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import type { CapacityService } from './capacity.service.js';
import type { ProviderCapacity } from './capacity.js';

@ObjectType('CapacityBudget', { description: 'One window of a provider\'s limits, every key and quota group counted once.' })
export class CapacityBudgetType {
  @Field(() => Float, { nullable: true, description: 'The limits together; null when a key or group has none (unlimited).' }) limit!: number | null;
  @Field(() => Float, { description: 'What is used of them (claimed by the instances, reserved or reported).' }) used!: number;
  @Field(() => Float, { nullable: true, description: 'What is left; null: unlimited.' }) remaining!: number | null;
  @Field(() => Date, { description: 'When the window next resets (the earliest of the provider\'s keys and groups, for a day).' }) resetsAt!: Date;
}

@ObjectType('ProviderCapacity', { description: 'What is left of a provider\'s limits this minute and today, and when today\'s runs out at today\'s rate.' })
export class ProviderCapacityType {
  @Field(() => String) providerName!: string;
  @Field(() => Int, { description: 'Active keys with a readable credential.' }) keys!: number;
  @Field(() => CapacityBudgetType) requestsThisMinute!: CapacityBudgetType;
  @Field(() => CapacityBudgetType) requestsToday!: CapacityBudgetType;
  @Field(() => CapacityBudgetType) tokensThisMinute!: CapacityBudgetType;
  @Field(() => CapacityBudgetType) tokensToday!: CapacityBudgetType;
  @Field(() => Float, { description: 'Requests per minute, today\'s average so far.' }) requestsPerMinute!: number;
  @Field(() => Float, { description: 'Tokens per minute, today\'s average so far (keys with token limits or a quota group).' }) tokensPerMinute!: number;
  @Field(() => Date, { nullable: true, description: 'When today\'s requests run out at that rate; null: they last until the reset, or are unlimited.' }) requestsRunOutAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'The same for tokens.' }) tokensRunOutAt!: Date | null;
}

@Resolver(() => ProviderCapacityType)
export class CapacityResolver {
  constructor(private readonly service: CapacityService) {}

  @Authorized('integrations.read')
  @Query(() => [ProviderCapacityType], { description: 'Per provider with keys: what is left this minute and today, requests and tokens.' })
  capacity(@CurrentBrandId() brandId: string): Promise<ProviderCapacity[]> {
    return this.service.ofBrand(brandId);
  }
}
