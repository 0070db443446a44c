import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireBrandId, type GraphQLContext } from '../../graphql/context.js';
import { IntegrationType } from '../integrations/index.js';
import { UsageFilterInput, UsageGroupByEnum, UsageReportType } from './billing.types.js';

@Resolver()
export class BillingResolver {
  @Authorized('integrations.read')
  @Query(() => UsageReportType, {
    description: 'Totals of the daily usage ledger from `from` to `to` (UTC days, YYYY-MM-DD; default the last 30 days, at most 400), grouped.',
    complexity: 50,
  })
  async usage(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => String, { nullable: true }) from?: string,
    @Arg('to', () => String, { nullable: true }) to?: string,
    @Arg('groupBy', () => [UsageGroupByEnum], { nullable: true }) groupBy?: UsageGroupByEnum[],
    @Arg('filter', () => UsageFilterInput, { nullable: true }) filter?: UsageFilterInput,
  ): Promise<UsageReportType> {
    const report = await ctx.services.usage.usage(requireBrandId(ctx), { from, to, groupBy, ...filter });
    return report as unknown as UsageReportType;
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, {
    description: 'Syncs the key\'s billing now (balance, usage, spend limit) and returns it; within 10 s of the last sync, returns that one without calling the provider.',
  })
  async syncBilling(@Arg('integrationId', () => Int) integrationId: number, @Ctx() ctx: GraphQLContext): Promise<IntegrationType> {
    return (await ctx.services.billing.syncNow(requireBrandId(ctx), integrationId)) as unknown as IntegrationType;
  }
}
