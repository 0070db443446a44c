/** GraphQL: the gateway calls keypool could not serve, with their routes (failure-log.ts). */
import { Arg, Authorized, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import { pageTypeOf } from '../../platform/schema/page-type.js';
import { MAX_FAILURE_PAGE, type GatewayFailureLog } from './failure-log.js';

@ObjectType('GatewayFailure', { description: 'A gateway call keypool could not serve, and why: its routing story.' })
export class GatewayFailureType {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String, { description: 'chat/completions, embeddings, responses, messages, or a Gemini method.' }) endpoint!: string;
  @Field(() => String) providerName!: string;
  @Field(() => String) model!: string;
  @Field(() => String, { description: 'no_key, upstream_error, timeout or network.' }) outcome!: string;
  @Field(() => Int, { nullable: true, description: 'The last upstream answer\'s status.' }) status!: number | null;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { description: 'As x-keypool-route says it: "#3 tried; #5 cooling_down; …".' }) route!: string;
}

export const GatewayFailurePageType = pageTypeOf(GatewayFailureType, 'GatewayFailurePage');
export type GatewayFailurePageType = InstanceType<typeof GatewayFailurePageType>;

@Resolver()
export class GatewayFailureResolver {
  constructor(private readonly failures: Pick<GatewayFailureLog, 'list'>) {}

  @Authorized('integrations.read')
  @Query(() => GatewayFailurePageType, {
    description: `Gateway calls keypool could not serve, newest first (kept for KEYPOOL_EVENT_RETENTION_DAYS); limit 1 to ${MAX_FAILURE_PAGE}.`,
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? 50), MAX_FAILURE_PAGE) * childComplexity,
  })
  gatewayFailures(
    @CurrentBrandId() brandId: string,
    @Arg('limit', () => Int, { defaultValue: 50 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<GatewayFailurePageType> {
    return this.failures.list(brandId, limit, offset);
  }
}
