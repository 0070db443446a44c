import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireBrandId, requireBrandPrincipal, type GraphQLContext } from '../../graphql/context.js';
import { IntegrationType } from '../integrations/index.js';
import { KeyLeaseType, LeaseKeyInput, ReportKeyUsageInput } from './lease.types.js';

@Resolver(() => KeyLeaseType)
export class LeaseResolver {
  @Authorized('integrations.lease')
  @Mutation(() => KeyLeaseType, {
    nullable: true,
    description:
      'Leases the best available key; null with NO_KEY_AVAILABLE when none can serve (why, and when to retry). ' +
      'Nullable so that in an operation with several leaseKey aliases one refusal never discards the leases granted to the others.',
  })
  async leaseKey(@Arg('input', () => LeaseKeyInput) input: LeaseKeyInput, @Ctx() ctx: GraphQLContext): Promise<KeyLeaseType | null> {
    const principal = requireBrandPrincipal(ctx);
    return (await ctx.services.leases.leaseKey(principal.brandId, input, principal.kind === 'node' ? principal.nodeId : null)) as unknown as KeyLeaseType;
  }

  @Authorized('integrations.lease')
  @Mutation(() => IntegrationType, { description: 'Reports what happened with a lease (at most once); returns the key as it now stands.' })
  async reportKeyUsage(@Arg('input', () => ReportKeyUsageInput) input: ReportKeyUsageInput, @Ctx() ctx: GraphQLContext): Promise<IntegrationType> {
    return (await ctx.services.leases.reportUsage(requireBrandId(ctx), input)) as unknown as IntegrationType;
  }
}
