/** GraphQL: a brand's alert webhooks and their deliveries (alert-webhook.service.ts, alert.service.ts). */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import { pageTypeOf } from '../../platform/schema/page-type.js';
import { ALERT_RULES, WEBHOOK_FORMATS, type AlertRule, type WebhookFormat } from './alert.js';
import { DELIVERY_STATUSES, MAX_DELIVERY_PAGE, type DeliveryStatus, type DeliveryView } from './alert-outbox.js';
import type { AlertService } from './alert.service.js';
import type { AlertWebhookService, AlertWebhookView } from './alert-webhook.service.js';

export const AlertRuleEnum = graphqlEnum(ALERT_RULES, 'AlertRule', 'What an alert is about.');
export const WebhookFormatEnum = graphqlEnum(WEBHOOK_FORMATS, 'WebhookFormat', 'JSON signed with the Standard Webhooks scheme, or Slack\'s or Discord\'s incoming-webhook body.');
export const DeliveryStatusEnum = graphqlEnum(DELIVERY_STATUSES, 'AlertDeliveryStatus');

@ObjectType('AlertWebhook', { description: 'Where a brand\'s alerts go.' })
export class AlertWebhookType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'The URL\'s origin only: a Slack or Discord URL is itself a secret.' }) urlPreview!: string;
  @Field(() => WebhookFormatEnum) format!: WebhookFormat;
  @Field(() => [AlertRuleEnum]) rules!: AlertRule[];
  @Field(() => [String], { nullable: true, description: 'Only these providers\' alerts; null: every provider.' }) providerNames!: string[] | null;
  @Field(() => Int) capacityThresholdPercent!: number;
  @Field(() => String, { description: 'USD, as a decimal string.' }) billingDriftUsd!: string;
  @Field(() => Boolean) isActive!: boolean;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType('CreatedAlertWebhook')
export class CreatedAlertWebhookType {
  @Field(() => AlertWebhookType) webhook!: AlertWebhookView;
  @Field(() => String, { description: 'The signing secret (whsec_…), shown this once.' }) secret!: string;
}

@ObjectType('AlertDelivery', { description: 'One alert to one webhook; its id is the receiver\'s idempotency key (webhook-id).' })
export class AlertDeliveryType {
  @Field(() => ID) id!: string;
  @Field(() => ID) webhookId!: string;
  @Field(() => AlertRuleEnum) rule!: AlertRule;
  @Field(() => GraphQLJSONObject, { description: 'The alert: rule, state, title, providerName, integrationId, keyLabel, details, at.' }) alert!: object;
  @Field(() => DeliveryStatusEnum) status!: DeliveryStatus;
  @Field(() => Int) attempts!: number;
  @Field(() => Date, { nullable: true, description: 'When it is tried next (pending only).' }) nextAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'The receiver\'s last HTTP status.' }) lastStatus!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
}

export const AlertDeliveryPageType = pageTypeOf(AlertDeliveryType, 'AlertDeliveryPage');
export type AlertDeliveryPageType = InstanceType<typeof AlertDeliveryPageType>;

@InputType('AlertWebhookInput', { description: 'Create: name and url are required. Update: omitted fields stay as they are.' })
export class AlertWebhookInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true, description: 'http(s); never a loopback, private or link-local address unless the operator allows it.' }) url?: string;
  @Field(() => WebhookFormatEnum, { nullable: true, description: 'Default JSON.' }) format?: WebhookFormat;
  @Field(() => [AlertRuleEnum], { nullable: true, description: 'Default: every rule.' }) rules?: AlertRule[];
  @Field(() => [String], { nullable: true }) providerNames?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'capacity_low fires under this percentage of a day\'s requests or tokens left (1-99, default 10).' }) capacityThresholdPercent?: number;
  @Field(() => String, { nullable: true, description: 'billing_drift fires above this difference, USD (default "1").' }) billingDriftUsd?: string;
  @Field(() => Boolean, { nullable: true }) isActive?: boolean;
}

/** GraphQL's nulls for "not given" (a nullable input field) become omissions, except providerNames (null: every provider). */
const settingsOf = (input: AlertWebhookInput) => Object.fromEntries(
  Object.entries(input).filter(([k, v]) => v !== undefined && (v !== null || k === 'providerNames')),
) as AlertWebhookInput;

@Resolver()
export class AlertResolver {
  constructor(
    private readonly webhooks: AlertWebhookService,
    private readonly alerts: AlertService,
  ) {}

  @Authorized('alerts.read')
  @Query(() => [AlertWebhookType], { description: 'The brand\'s alert webhooks, by name.' })
  alertWebhooks(@CurrentBrandId() brandId: string): Promise<AlertWebhookView[]> {
    return this.webhooks.list(brandId);
  }

  @Authorized('alerts.read')
  @Query(() => AlertDeliveryPageType, {
    description: `Deliveries, newest first, with their status and last error; limit 1 to ${MAX_DELIVERY_PAGE}.`,
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? 50), MAX_DELIVERY_PAGE) * childComplexity,
  })
  alertDeliveries(
    @CurrentBrandId() brandId: string,
    @Arg('webhookId', () => ID, { nullable: true }) webhookId: string | null,
    @Arg('status', () => DeliveryStatusEnum, { nullable: true }) status: DeliveryStatus | null,
    @Arg('limit', () => Int, { defaultValue: 50 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<AlertDeliveryPageType> {
    return this.alerts.deliveries(brandId, { webhookId, status }, limit, offset) as Promise<AlertDeliveryPageType>;
  }

  @Authorized('alerts.write')
  @Mutation(() => CreatedAlertWebhookType)
  createAlertWebhook(@CurrentBrandId() brandId: string, @Arg('input', () => AlertWebhookInput) input: AlertWebhookInput): Promise<CreatedAlertWebhookType> {
    return this.webhooks.create(brandId, settingsOf(input));
  }

  @Authorized('alerts.write')
  @Mutation(() => AlertWebhookType)
  updateAlertWebhook(
    @CurrentBrandId() brandId: string,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AlertWebhookInput) input: AlertWebhookInput,
  ): Promise<AlertWebhookView> {
    return this.webhooks.update(brandId, id, settingsOf(input));
  }

  @Authorized('alerts.write')
  @Mutation(() => AlertWebhookType, { description: 'Deletes the webhook and its deliveries; returns it as it was.' })
  deleteAlertWebhook(@CurrentBrandId() brandId: string, @Arg('id', () => ID) id: string): Promise<AlertWebhookView> {
    return this.webhooks.delete(brandId, id);
  }

  @Authorized('alerts.write')
  @Mutation(() => AlertDeliveryType, { description: 'Sends a delivery again now, with the same id, whatever its status (recorded in the audit trail).' })
  replayAlertDelivery(@CurrentBrandId() brandId: string, @Arg('id', () => ID) id: string): Promise<DeliveryView> {
    return this.alerts.replay(brandId, id);
  }

  @Authorized('alerts.write')
  @Mutation(() => AlertDeliveryType, { description: 'Queues a test alert to one webhook.' })
  testAlertWebhook(@CurrentBrandId() brandId: string, @Arg('id', () => ID) id: string): Promise<DeliveryView> {
    return this.alerts.test(brandId, id);
  }
}
