import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { CurrentBrandId, CurrentBrandPrincipal, type BrandPrincipal } from '../../platform/auth/principal-args.js';
import type { KeyLease, LeaseService, RouteStep } from './lease.service.js';
import { IntegrationType } from '../keys/index.js';
import { refusalError } from './lease-errors.js';
import { KeyLeaseType, LeaseKeyInput, ReportKeyUsageInput } from './lease.types.js';

@Resolver(() => KeyLeaseType)
export class LeaseResolver {
  constructor(private readonly leases: LeaseService) {}

  @Authorized('integrations.lease')
  @Mutation(() => KeyLeaseType, {
    nullable: true,
    description:
      'Leases the best available key; null with NO_KEY_AVAILABLE when none can serve (why, and when to retry). ' +
      'Nullable so that in an operation with several leaseKey aliases one refusal never discards the leases granted to the others.',
  })
  async leaseKey(@Arg('input', () => LeaseKeyInput) input: LeaseKeyInput, @CurrentBrandPrincipal() principal: BrandPrincipal): Promise<KeyLeaseType | null> {
    const outcome = await this.leases.leaseKey(principal.brandId, input, principal.kind === 'node' ? principal.nodeId : null);
    if (outcome.kind !== 'leased') throw refusalError(outcome);
    // The lease itself, not a copy: a spread would read its `integration` getter, building the key's view for an operation that may not select it.
    const lease: Omit<KeyLease, 'route'> & { route?: RouteStep[] | null } = outcome.lease;
    lease.route ??= null;
    return lease as unknown as KeyLeaseType;
  }

  @Authorized('integrations.lease')
  @Mutation(() => IntegrationType, { description: 'Reports what happened with a lease (at most once); returns the key as it now stands.' })
  async reportKeyUsage(@Arg('input', () => ReportKeyUsageInput) input: ReportKeyUsageInput, @CurrentBrandId() brandId: string): Promise<IntegrationType> {
    return (await this.leases.reportUsage(brandId, input)) as unknown as IntegrationType;
  }
}
