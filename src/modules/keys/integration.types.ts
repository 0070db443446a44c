/** GraphQL shapes of the key pool: camelCase twins of the REST fields. Credentials go in, never out. */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import { HEALTH_STATUSES, SPEND_LIMIT_ACTIONS, SPEND_LIMIT_PERIODS, type HealthStatus, type SpendLimitAction, type SpendLimitPeriod } from './integration.entity.js';

export const HealthStatusEnum = graphqlEnum(HEALTH_STATUSES, 'HealthStatus');
export const SpendLimitPeriodEnum = graphqlEnum(SPEND_LIMIT_PERIODS, 'SpendLimitPeriod');
export const SpendLimitActionEnum = graphqlEnum(SPEND_LIMIT_ACTIONS, 'SpendLimitAction');

@ObjectType('Integration', { description: 'One provider key of a brand\'s pool. The credential itself is never readable here.' })
export class IntegrationType {
  @Field(() => Int) id!: number;
  @Field(() => ID, { description: 'The Bifrost-style string id of the key.' }) keyId!: string;
  @Field(() => String) providerName!: string;
  @Field(() => String) providerLabel!: string;
  @Field(() => String, { nullable: true }) keyLabel!: string | null;
  @Field(() => Boolean) isActive!: boolean;
  @Field(() => Boolean) isPrimary!: boolean;
  @Field(() => Int, { description: '10 for primary keys, 0 otherwise.' }) priority!: number;
  @Field(() => DecimalScalar) weight!: string;
  @Field(() => [String], { nullable: true, description: 'Allowed models; null means all.' }) models!: string[] | null;
  @Field(() => [String]) blacklistedModels!: string[];
  @Field(() => Boolean, { description: 'A batch lease takes only such keys.' }) useForBatchApi!: boolean;
  @Field(() => Boolean, { description: 'The endpoint of a keyless custom provider, not a key.' }) keyless!: boolean;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'The key config (azure_key_config, …) with each secret redacted as Bifrost renders it: { value, env_var, from_env }.',
  })
  providerConfig!: Record<string, unknown> | null;
  @Field(() => Int, { nullable: true }) dailyLimit!: number | null;
  @Field(() => Int) dailyCount!: number;
  @Field(() => Int, { nullable: true }) minuteLimit!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'The requests per minute the provider\'s own headers last stated for this key; the pool enforces the tighter of this and minuteLimit.',
  }) observedMinuteLimit!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'The requests per day the provider\'s own headers last stated for this key; the pool enforces the tighter of this and dailyLimit.',
  }) observedDailyLimit!: number | null;
  @Field(() => Int) minuteCount!: number;
  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per minute; null: no limit.' }) tokenMinuteLimit!: number | null;
  @Field(() => Float, { description: 'Tokens counted this minute: each lease\'s estimate while it is out, then what its report says.' }) tokenMinuteCount!: number;
  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per day; null: no limit.' }) tokenDailyLimit!: number | null;
  @Field(() => Float, { description: 'Tokens counted today, as tokenMinuteCount.' }) tokenDailyCount!: number;
  @Field(() => Int, { nullable: true, description: 'Leases of this key in flight at once (leased, not yet reported or expired); null: no limit.' }) concurrencyLimit!: number | null;
  @Field(() => Int, { description: 'Leases in flight when the pool last counted (0 for a key without a concurrency limit).' }) openLeases!: number;
  @Field(() => String, { description: 'The IANA zone the daily windows turn in (dailyCount, tokenDailyCount, the daily limits): America/Los_Angeles for Gemini keys unless set, UTC otherwise.' })
  dailyResetZone!: string;
  @Field(() => String, { nullable: true, description: 'The quota group the key draws from: its limits hold for all its keys together (null: none).' }) quotaGroup!: string | null;
  @Field(() => HealthStatusEnum) healthStatus!: HealthStatus;
  @Field(() => Int) consecutiveFailures!: number;
  @Field(() => Date, { nullable: true, description: 'Set after a 429: not leased before this time.' }) cooldownUntil!: Date | null;
  @Field(() => Date, { nullable: true, description: 'An unhealthy key\'s next recovery probe: the first lease after this time tries it.' }) probeDueAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => DecimalScalar, { nullable: true }) spendLimitAmount!: string | null;
  @Field(() => SpendLimitPeriodEnum) spendLimitPeriod!: SpendLimitPeriod;
  @Field(() => SpendLimitActionEnum) spendLimitAction!: SpendLimitAction;
  @Field(() => Boolean) spendLimitExceeded!: boolean;
  @Field(() => DecimalScalar, { description: 'USD reported today (UTC).' }) spendToday!: string;
  @Field(() => DecimalScalar, { description: 'USD reported this month (UTC).' }) spendMonth!: string;
  @Field(() => DecimalScalar, { nullable: true }) cachedBalance!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) cachedUsageToday!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) cachedUsageMonth!: string | null;
  @Field(() => String, { nullable: true }) cachedCurrency!: string | null;
  @Field(() => Date, { nullable: true }) billingSyncedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the last billing sync failed (never a health failure of the key).' }) billingError!: string | null;
  @Field(() => Date, { nullable: true }) billingErrorAt!: Date | null;
  @Field(() => Boolean, { description: 'A 402 took the key out of selection: until a billing sync shows a balance, or until outOfCreditsUntil.' }) outOfCredits!: boolean;
  @Field(() => Date, { nullable: true }) outOfCreditsUntil!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the key is out of the pool: its credential could not be decrypted with the configured keys.' }) credentialError!: string | null;
  @Field(() => String, { nullable: true, description: 'The last failed report\'s outcome, e.g. "HTTP 503" or "timeout".' }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) lastErrorAt!: Date | null;
  @Field(() => GraphQLJSONObject, { description: 'Each credential field, masked.' }) keyPreview!: Record<string, string>;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date, { description: 'The instant minuteCount, dailyCount, spendToday and spendMonth are for; they reset at the next UTC minute, day and month.' }) asOf!: Date;
}

@ObjectType('IntegrationPage')
export class IntegrationPageType {
  @Field(() => [IntegrationType]) items!: IntegrationType[];
  @Field(() => Int) total!: number;
  @Field(() => Int) limit!: number;
  @Field(() => Int) offset!: number;
}

@InputType('IntegrationFilter')
export class IntegrationFilterInput {
  @Field(() => String, { nullable: true }) providerName?: string;
  @Field(() => HealthStatusEnum, { nullable: true }) healthStatus?: HealthStatus;
  @Field(() => Boolean, { nullable: true }) isActive?: boolean;
}

@InputType('UpdateIntegrationInput', { description: 'Omitted fields stay as they are; null clears a limit.' })
export class UpdateIntegrationInput {
  @Field(() => String, { nullable: true }) keyLabel?: string | null;
  @Field(() => Boolean, { nullable: true }) isActive?: boolean;
  @Field(() => Boolean, { nullable: true }) isPrimary?: boolean;
  @Field(() => DecimalScalar, { nullable: true, description: 'Selection weight (default 1; 0 = never while others are eligible).' }) weight?: string;
  @Field(() => [String], { nullable: true, description: 'Allowed models (case-insensitive); null or ["*"] = all, [] = none.' }) models?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Refused models (case-insensitive); ["*"] refuses all.' }) blacklistedModels?: string[];
  @Field(() => Boolean, { nullable: true, description: 'Serve batch leases (default false).' }) useForBatchApi?: boolean;
  @Field(() => Int, { nullable: true }) dailyLimit?: number | null;
  @Field(() => Int, { nullable: true }) minuteLimit?: number | null;
  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per minute; null: no limit.' }) tokenMinuteLimit?: number | null;
  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per day; null: no limit.' }) tokenDailyLimit?: number | null;
  @Field(() => Int, { nullable: true, description: 'Leases in flight at once; null: no limit.' }) concurrencyLimit?: number | null;
  @Field(() => String, { nullable: true, description: 'The IANA zone the daily windows turn in, e.g. America/Los_Angeles (default: the provider\'s: Los Angeles for Gemini, UTC otherwise).' })
  dailyResetZone?: string;
  @Field(() => String, { nullable: true, description: 'The quota group (of this brand) the key draws from; null: none.' }) quotaGroup?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) spendLimitAmount?: string | null;
  @Field(() => SpendLimitPeriodEnum, { nullable: true }) spendLimitPeriod?: SpendLimitPeriod;
  @Field(() => SpendLimitActionEnum, { nullable: true }) spendLimitAction?: SpendLimitAction;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Provider-specific credentials, e.g. {"api_key": "sk-..."}; a value may be "env.NAME" (an operator-allowed environment variable, read at lease time). ' +
      'On update it replaces the credential (a value sent back as its redacted rendering keeps the stored one).',
  })
  credentials?: Record<string, unknown> | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The provider\'s key config (the contents of azure_key_config, vertex_key_config, …); see Provider.keyConfigField.' })
  providerConfig?: Record<string, unknown> | null;
}

@InputType('CreateIntegrationInput')
export class CreateIntegrationInput extends UpdateIntegrationInput {
  @Field(() => String) providerName!: string;
  @Field(() => String, { nullable: true, description: 'The Bifrost-style string id; a UUID when omitted.' }) keyId?: string | null;
}
