import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireBrandId, type GraphQLContext } from '../../graphql/context.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './integration.service.js';
import { CreateIntegrationInput, IntegrationFilterInput, IntegrationPageType, IntegrationType, UpdateIntegrationInput } from './integration.types.js';
import type { IntegrationView } from './integration.view.js';

const asType = (v: IntegrationView) => v as unknown as IntegrationType;

/** Nulls for non-nullable settings mean "leave as is" in GraphQL, as omission does. */
function withoutNulls<T extends object>(input: T, keep: readonly string[]): T {
  return Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== null || keep.includes(k))) as T;
}
const NULLABLE_SETTINGS = ['keyLabel', 'models', 'dailyLimit', 'minuteLimit', 'spendLimitAmount'] as const;

@Resolver(() => IntegrationType)
export class IntegrationResolver {
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
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => IntegrationFilterInput, { nullable: true }) filter?: IntegrationFilterInput,
    @Arg('limit', () => Int, { defaultValue: DEFAULT_PAGE_SIZE }) limit?: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset?: number,
  ): Promise<IntegrationPageType> {
    const page = await ctx.services.integrations.listIntegrations(requireBrandId(ctx), { ...filter }, limit, offset);
    return { ...page, items: page.items.map(asType) };
  }

  @Authorized('integrations.read')
  @Query(() => IntegrationType, { nullable: true, description: 'One key of the brand; null when it does not exist (or is another brand\'s).' })
  async integration(@Arg('id', () => Int) id: number, @Ctx() ctx: GraphQLContext): Promise<IntegrationType | null> {
    const view = await ctx.services.integrations.findIntegration(requireBrandId(ctx), id);
    return view && asType(view);
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType)
  async createIntegration(@Arg('input', () => CreateIntegrationInput) input: CreateIntegrationInput, @Ctx() ctx: GraphQLContext): Promise<IntegrationType> {
    return asType(await ctx.services.integrations.createIntegration(requireBrandId(ctx), withoutNulls(input, [...NULLABLE_SETTINGS, 'credentials'])));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType)
  async updateIntegration(
    @Arg('id', () => Int) id: number,
    @Arg('input', () => UpdateIntegrationInput) input: UpdateIntegrationInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<IntegrationType> {
    return asType(await ctx.services.integrations.updateIntegration(requireBrandId(ctx), id, withoutNulls(input, NULLABLE_SETTINGS)));
  }

  @Authorized('integrations.write')
  @Mutation(() => IntegrationType, { description: 'Deletes the key and returns it as it was.' })
  async deleteIntegration(@Arg('id', () => Int) id: number, @Ctx() ctx: GraphQLContext): Promise<IntegrationType> {
    return asType(await ctx.services.integrations.deleteIntegration(requireBrandId(ctx), id));
  }
}
