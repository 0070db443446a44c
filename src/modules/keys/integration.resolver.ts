import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import type { IntegrationService } from './integration.service.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './integration.service.js';
import { CreateIntegrationInput, IntegrationFilterInput, IntegrationPageType, IntegrationType, UpdateIntegrationInput } from './integration.types.js';
import type { IntegrationView } from './integration.view.js';

const asType = (v: IntegrationView) => v as unknown as IntegrationType;

/** Nulls for non-nullable settings mean "leave as is" in GraphQL, as omission does. */
function withoutNulls<T extends object>(input: T, keep: readonly string[]): T {
  return Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== null || keep.includes(k))) as T;
}
const NULLABLE_SETTINGS = ['keyLabel', 'models', 'dailyLimit', 'minuteLimit', 'tokenMinuteLimit', 'tokenDailyLimit', 'concurrencyLimit', 'quotaGroup', 'spendLimitAmount'] as const;

@Resolver(() => IntegrationType)
export class IntegrationResolver {
  constructor(private readonly integrationService: IntegrationService) {}

  /** Wherever an Integration appears (lists, leases, events), from the stored redacted rendering. */
  @FieldResolver(() => GraphQLJSONObject, { nullable: true })
  providerConfig(@Root() integration: IntegrationView): Record<string, unknown> | null {
    return integration.keyView?.config ?? null;
  }

  @Authorized('integrations.read')
  @Query(() => IntegrationPageType, {
    description: 'The brand\'s keys, oldest first.',
    // Counted as `limit` keys with everything selected on the page, for the operation cost limit
    // (a limit past the largest page is refused by the service, in its own words).
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE) * childComplexity,
  })
  async integrations(
    @CurrentBrandId() brandId: string,
    @Arg('filter', () => IntegrationFilterInput, { nullable: true }) filter?: IntegrationFilterInput,
    @Arg('limit', () => Int, { defaultValue: DEFAULT_PAGE_SIZE }) limit?: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset?: number,
  ): Promise<IntegrationPageType> {
    const page = await this.integrationService.listIntegrations(brandId, { ...filter }, limit, offset);
    return { ...page, items: page.items.map(asType) };
  }

  @Authorized('integrations.read')
  @Query(() => IntegrationType, { nullable: true, description: 'One key of the brand; null when it does not exist (or is another brand\'s).' })
  async integration(@Arg('id', () => Int) id: number, @CurrentBrandId() brandId: string): Promise<IntegrationType | null> {
    const view = await this.integrationService.findIntegration(brandId, id);
    return view && asType(view);
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType)
  async createIntegration(@Arg('input', () => CreateIntegrationInput) input: CreateIntegrationInput, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return asType(await this.integrationService.createIntegration(brandId, withoutNulls(input, [...NULLABLE_SETTINGS, 'credentials'])));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType)
  async updateIntegration(
    @Arg('id', () => Int) id: number,
    @Arg('input', () => UpdateIntegrationInput) input: UpdateIntegrationInput,
    @CurrentBrandId() brandId: string,
  ): Promise<IntegrationType> {
    return asType(await this.integrationService.updateIntegration(brandId, id, withoutNulls(input, NULLABLE_SETTINGS)));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, { description: 'Deletes the key and returns it as it was.' })
  async deleteIntegration(@Arg('id', () => Int) id: number, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return asType(await this.integrationService.deleteIntegration(brandId, id));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, { description: 'Ends the key\'s cooldown now (a 429\'s rest, a provider-wide backoff); recorded in the audit trail.' })
  async resetIntegrationCooldown(@Arg('id', () => Int) id: number, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return asType(await this.integrationService.recover(brandId, id, 'cooldown_reset'));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, { description: 'Makes an unhealthy key\'s probe due now: the next lease tries it. Recorded in the audit trail.' })
  async reprobeIntegration(@Arg('id', () => Int) id: number, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return asType(await this.integrationService.recover(brandId, id, 'reprobe_requested'));
  }
}
