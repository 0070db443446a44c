import { Arg, Authorized, Int, Mutation, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import type { BillingSync } from './billing-sync.js';
import type { UsageGroup, UsageService } from './usage.service.js';
import { IntegrationType } from '../keys/index.js';
import { UsageFilterInput, UsageGroupByEnum, UsageReportType } from './billing.types.js';

@Resolver()
export class BillingResolver {
  constructor(
    private readonly usageLedger: UsageService,
    private readonly billing: BillingSync,
  ) {}

  @Authorized('integrations.read')
  @Query(() => UsageReportType, {
    description: 'Totals of the daily usage ledger from `from` to `to` (UTC days, YYYY-MM-DD; default the last 30 days, at most 400), grouped.',
    complexity: 50,
  })
  async usage(
    @CurrentBrandId() brandId: string,
    @Arg('from', () => String, { nullable: true }) from?: string,
    @Arg('to', () => String, { nullable: true }) to?: string,
    @Arg('groupBy', () => [UsageGroupByEnum], { nullable: true }) groupBy?: UsageGroup[],
    @Arg('filter', () => UsageFilterInput, { nullable: true }) filter?: UsageFilterInput,
  ): Promise<UsageReportType> {
    const report = await this.usageLedger.usage(brandId, { from, to, groupBy, ...filter });
    return report as unknown as UsageReportType;
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, {
    description: 'Syncs the key\'s billing now (balance, usage, spend limit) and returns it; within 10 s of the last sync, returns that one without calling the provider.',
  })
  async syncBilling(@Arg('integrationId', () => Int) integrationId: number, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return (await this.billing.syncNow(brandId, integrationId)) as unknown as IntegrationType;
  }
}
