import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import { ERROR_TYPES, type ErrorType } from './usage-input.js';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';
import { IntegrationType } from '../keys/index.js';

export const UsageErrorTypeEnum = graphqlEnum(ERROR_TYPES, 'UsageErrorType', 'What went wrong upstream, when there was no HTTP status.');

@ObjectType('LeaseRouteStep', { description: 'One key\'s part in a lease: chosen, eligible but not drawn, or skipped (with why and until when).' })
export class LeaseRouteStepType {
  @Field(() => Int) integrationId!: number;
  @Field(() => String, { description: 'chosen, eligible or skipped.' }) outcome!: string;
  @Field(() => String, { nullable: true, description: 'Why it was skipped (the reasons of NO_KEY_AVAILABLE).' }) reason!: string | null;
  @Field(() => Date, { nullable: true, description: 'When a skipped key frees up by itself.' }) until!: Date | null;
  @Field(() => Int) priority!: number;
  @Field(() => DecimalScalar) weight!: string;
  @Field(() => String) healthStatus!: string;
  @Field(() => Float, { description: 'What its provider said is left of its budgets, as a factor of its weight (1 when nothing is known).' }) headroom!: number;
  @Field(() => String, { nullable: true }) quotaGroup!: string | null;
}

@ObjectType('KeyLease', { description: 'One grant of one key for one upstream request. Report it with reportKeyUsage.' })
export class KeyLeaseType {
  @Field(() => String, { description: 'Signed lease id; pass it to reportKeyUsage.' }) leaseId!: string;
  @Field(() => Int, { description: 'The leased key\'s id (integration.id as a number), given without building the key\'s view, which integration does.' }) integrationId!: number;
  @Field(() => IntegrationType) integration!: IntegrationType;
  @Field(() => GraphQLJSONObject, {
    description: 'The decrypted credential (environment references resolved, the key config under its Bifrost name): the only place it is ever readable.',
  })
  credentials!: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'The provider\'s base URL when the brand set one (always, for a custom provider).' }) baseUrl!: string | null;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => [LeaseRouteStepType], { nullable: true, description: 'With explain: every key of the provider in the pool\'s order, the chosen one first, and why each was passed over.' })
  route!: LeaseRouteStepType[] | null;
}

@InputType('LeaseKeyInput')
export class LeaseKeyInput {
  @Field(() => String) providerName!: string;
  @Field(() => String, { nullable: true, description: 'Only keys that allow this model are leased.' }) model?: string | null;
  @Field(() => ID, { nullable: true, description: 'The node (service, worker pool) the request is made for.' }) nodeId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Only keys marked useForBatchApi serve this lease.' }) batch?: boolean | null;
  @Field(() => Boolean, { nullable: true, description: 'Return the lease\'s routing story in route.' }) explain?: boolean | null;
  @Field(() => Int, {
    nullable: true,
    description: 'The tokens the request may use (input tokens + the output cap): reserved of the key\'s token limits with the lease, then reconciled from the report\'s promptTokens and completionTokens.',
  }) estimatedTokens?: number | null;
}

@InputType('ReportKeyUsageInput')
export class ReportKeyUsageInput {
  @Field(() => String) leaseId!: string;
  @Field(() => Boolean) success!: boolean;
  @Field(() => Int, { nullable: true, description: 'The upstream HTTP status.' }) statusCode?: number | null;
  @Field(() => UsageErrorTypeEnum, { nullable: true }) errorType?: ErrorType | null;
  @Field(() => Int, { nullable: true }) latencyMs?: number | null;
  @Field(() => Int, { nullable: true, description: 'Time to the first byte of a streamed answer, in milliseconds.' }) timeToFirstTokenMs?: number | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'What the request cost, in USD.' }) costUsd?: string | null;
  @Field(() => Int, { nullable: true }) promptTokens?: number | null;
  @Field(() => Int, { nullable: true }) completionTokens?: number | null;
  @Field(() => Int, { nullable: true, description: 'From a 429\'s Retry-After: how long to cool the key down.' }) retryAfterSeconds?: number | null;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'The upstream\'s response headers (names to string values); keypool reads retry-after, x-ratelimit-* and anthropic-ratelimit-* and rests a key whose budget is spent.',
  }) responseHeaders?: Record<string, unknown> | null;
  @Field(() => String, {
    nullable: true,
    description: 'A failure\'s response body as the provider sent it (at most 16 KiB): keypool reads a dead key, a spent daily quota, Gemini\'s RetryInfo and an overloaded provider from it.',
  }) errorBody?: string | null;
}
