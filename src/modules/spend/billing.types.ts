import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import { USAGE_GROUPS, type UsageGroup } from './usage.service.js';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';

export const UsageGroupByEnum = graphqlEnum(USAGE_GROUPS, 'UsageGroupBy', 'What the usage totals are grouped by.');

@InputType('UsageFilter')
export class UsageFilterInput {
  @Field(() => String, { nullable: true }) providerName?: string;
  @Field(() => Int, { nullable: true }) integrationId?: number;
  @Field(() => String, { nullable: true }) nodeId?: string;
  @Field(() => String, { nullable: true, description: 'Compared case-insensitively.' }) model?: string;
}

@ObjectType('UsageRow', { description: 'Totals of the usage ledger for one group; the grouped-by fields are set, the others null.' })
export class UsageRowType {
  @Field(() => String, { nullable: true, description: 'UTC day, YYYY-MM-DD.' }) day!: string | null;
  @Field(() => Int, { nullable: true }) integrationId!: number | null;
  @Field(() => String, { nullable: true }) providerName!: string | null;
  @Field(() => String, { nullable: true, description: 'Lower-cased; "" when leases named no model.' }) model!: string | null;
  @Field(() => String, { nullable: true }) nodeId!: string | null;
  @Field(() => GraphQLSafeInt) requests!: number;
  @Field(() => GraphQLSafeInt) successes!: number;
  @Field(() => GraphQLSafeInt) failures!: number;
  @Field(() => GraphQLSafeInt) rateLimited!: number;
  @Field(() => GraphQLSafeInt) serverErrors!: number;
  @Field(() => GraphQLSafeInt) authErrors!: number;
  @Field(() => GraphQLSafeInt) clientErrors!: number;
  @Field(() => GraphQLSafeInt) timeouts!: number;
  @Field(() => GraphQLSafeInt) networkErrors!: number;
  @Field(() => GraphQLSafeInt) promptTokens!: number;
  @Field(() => GraphQLSafeInt) completionTokens!: number;
  @Field(() => DecimalScalar, { description: 'USD, exact.' }) costUsd!: string;
  @Field(() => Int, { nullable: true, description: 'Over the reports that gave a latency.' }) latencyMsAvg!: number | null;
  @Field(() => Int, { nullable: true }) latencyMsMax!: number | null;
  @Field(() => Int, { nullable: true, description: 'Over the reports that gave one (streamed answers), in milliseconds.' }) timeToFirstTokenMsAvg!: number | null;
  @Field(() => Int, { nullable: true }) timeToFirstTokenMsMax!: number | null;
}

@ObjectType('UsageReport')
export class UsageReportType {
  @Field(() => String) from!: string;
  @Field(() => String) to!: string;
  @Field(() => [UsageGroupByEnum]) groupBy!: UsageGroup[];
  @Field(() => [UsageRowType]) rows!: UsageRowType[];
}
