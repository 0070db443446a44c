/** GraphQL: a brand's quota groups (quota-group.ts). */
import { Arg, Authorized, Field, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import type { QuotaGroupService } from './quota-group.service.js';
import type { QuotaGroupSettings } from './quota-group.js';

@ObjectType('QuotaGroup', { description: 'Keys that share one provider quota (a Gemini project, an OpenRouter account): its limits hold for all its keys together.' })
export class QuotaGroupType {
  @Field(() => String) name!: string;
  @Field(() => Int, { nullable: true, description: 'Requests per minute, all keys together; null: none.' }) minuteLimit!: number | null;
  @Field(() => Int, { nullable: true, description: 'Requests per day (in dailyResetZone), all keys together; null: none.' }) dailyLimit!: number | null;
  @Field(() => Int, { nullable: true, description: 'Tokens per minute, all keys together; null: none.' }) tokenMinuteLimit!: number | null;
  @Field(() => Int, { nullable: true, description: 'Tokens per day, all keys together; null: none.' }) tokenDailyLimit!: number | null;
  @Field(() => String, { description: 'The IANA zone the group\'s days turn in.' }) dailyResetZone!: string;
  @Field(() => Int, { description: 'Requests counted this minute.' }) minuteCount!: number;
  @Field(() => Int, { description: 'Requests counted today.' }) dailyCount!: number;
  @Field(() => Int, { description: 'Tokens counted this minute (estimates of leases out, then what their reports say).' }) tokenMinuteCount!: number;
  @Field(() => Int, { description: 'Tokens counted today.' }) tokenDailyCount!: number;
  @Field(() => [Int], { description: 'The keys that draw from the group.' }) integrationIds!: number[];
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date, { description: 'The instant the counts are for.' }) asOf!: Date;
}

@InputType('QuotaGroupSettingsInput', { description: 'Omitted fields stay as they are; null clears a limit.' })
export class QuotaGroupSettingsInput {
  @Field(() => Int, { nullable: true }) minuteLimit?: number | null;
  @Field(() => Int, { nullable: true }) dailyLimit?: number | null;
  @Field(() => Int, { nullable: true }) tokenMinuteLimit?: number | null;
  @Field(() => Int, { nullable: true }) tokenDailyLimit?: number | null;
  @Field(() => String, { nullable: true, description: 'An IANA zone, e.g. America/Los_Angeles (default UTC).' }) dailyResetZone?: string;
}

/** A null zone means "leave as is", as omission does (the limits' nulls clear them). */
const settingsOf = (input: QuotaGroupSettingsInput): QuotaGroupSettings => {
  const { dailyResetZone, ...limits } = input;
  return { ...limits, ...(dailyResetZone !== null && dailyResetZone !== undefined && { dailyResetZone }) };
};

@Resolver(() => QuotaGroupType)
export class QuotaGroupResolver {
  constructor(private readonly groups: QuotaGroupService) {}

  @Authorized('integrations.read')
  @Query(() => [QuotaGroupType], { description: 'The brand\'s quota groups, by name.' })
  quotaGroups(@CurrentBrandId() brandId: string): Promise<QuotaGroupType[]> {
    return this.groups.list(brandId);
  }

  @Authorized('integrations.write')
  @Mutation(() => QuotaGroupType)
  createQuotaGroup(
    @Arg('name', () => String) name: string,
    @Arg('input', () => QuotaGroupSettingsInput, { nullable: true }) input: QuotaGroupSettingsInput | null,
    @CurrentBrandId() brandId: string,
  ): Promise<QuotaGroupType> {
    return this.groups.create(brandId, { name, ...settingsOf(input ?? {}) });
  }

  @Authorized('integrations.write')
  @Mutation(() => QuotaGroupType)
  updateQuotaGroup(
    @Arg('name', () => String) name: string,
    @Arg('input', () => QuotaGroupSettingsInput) input: QuotaGroupSettingsInput,
    @CurrentBrandId() brandId: string,
  ): Promise<QuotaGroupType> {
    return this.groups.update(brandId, name, settingsOf(input));
  }

  @Authorized('integrations.write')
  @Mutation(() => QuotaGroupType, { description: 'Deletes the group (its keys stay, ungrouped) and returns it as it was.' })
  deleteQuotaGroup(@Arg('name', () => String) name: string, @CurrentBrandId() brandId: string): Promise<QuotaGroupType> {
    return this.groups.delete(brandId, name);
  }
}
