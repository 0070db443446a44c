/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AlertDeliveryStatus =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

/** What an alert is about. */
export type AlertRule =
  | 'BILLING_DRIFT'
  | 'CAPACITY_LOW'
  | 'KEY_UNAVAILABLE'
  | 'PROVIDER_UNAVAILABLE'
  | 'SPEND_LIMIT';

/** Create: name and url are required. Update: omitted fields stay as they are. */
export type AlertWebhookInput = {
  /** billing_drift fires above this difference, USD (default "1"). */
  billingDriftUsd?: string | null | undefined;
  /** capacity_low fires under this percentage of a day's requests or tokens left (1-99, default 10). */
  capacityThresholdPercent?: number | null | undefined;
  /** Default JSON. */
  format?: WebhookFormat | null | undefined;
  isActive?: boolean | null | undefined;
  name?: string | null | undefined;
  providerNames?: Array<string> | null | undefined;
  /** Default: every rule. */
  rules?: Array<AlertRule> | null | undefined;
  /** http(s); never a loopback, private or link-local address unless the operator allows it. */
  url?: string | null | undefined;
};

export type CreateIntegrationInput = {
  /** Refused models (case-insensitive); ["*"] refuses all. */
  blacklistedModels?: Array<string> | null | undefined;
  /** Leases in flight at once; null: no limit. */
  concurrencyLimit?: number | null | undefined;
  /** Provider-specific credentials, e.g. {"api_key": "sk-..."}; a value may be "env.NAME" (an operator-allowed environment variable, read at lease time). On update it replaces the credential (a value sent back as its redacted rendering keeps the stored one). */
  credentials?: Record<string, unknown> | null | undefined;
  dailyLimit?: number | null | undefined;
  /** The IANA zone the daily windows turn in, e.g. America/Los_Angeles (default: the provider's: Los Angeles for Gemini, UTC otherwise). */
  dailyResetZone?: string | null | undefined;
  isActive?: boolean | null | undefined;
  isPrimary?: boolean | null | undefined;
  /** The Bifrost-style string id; a UUID when omitted. */
  keyId?: string | null | undefined;
  keyLabel?: string | null | undefined;
  minuteLimit?: number | null | undefined;
  /** Allowed models (case-insensitive); null or ["*"] = all, [] = none. */
  models?: Array<string> | null | undefined;
  /** The provider's key config (the contents of azure_key_config, vertex_key_config, …); see Provider.keyConfigField. */
  providerConfig?: Record<string, unknown> | null | undefined;
  providerName: string;
  /** The quota group (of this brand) the key draws from; null: none. */
  quotaGroup?: string | null | undefined;
  spendLimitAction?: SpendLimitAction | null | undefined;
  spendLimitAmount?: string | null | undefined;
  spendLimitPeriod?: SpendLimitPeriod | null | undefined;
  /** Tokens (prompt + completion) per day; null: no limit. */
  tokenDailyLimit?: number | null | undefined;
  /** Tokens (prompt + completion) per minute; null: no limit. */
  tokenMinuteLimit?: number | null | undefined;
  /** Serve batch leases (default false). */
  useForBatchApi?: boolean | null | undefined;
  /** Selection weight (default 1; 0 = never while others are eligible). */
  weight?: string | null | undefined;
};

export type HealthStatus =
  | 'DEGRADED'
  | 'HEALTHY'
  | 'UNHEALTHY';

export type IntegrationChangeKind =
  | 'CREATED'
  | 'DELETED'
  | 'UPDATED';

export type SpendLimitAction =
  | 'BLOCK'
  | 'WARN';

export type SpendLimitPeriod =
  | 'DAILY'
  | 'MONTHLY';

/** Omitted fields stay as they are; null clears a limit. */
export type UpdateIntegrationInput = {
  /** Refused models (case-insensitive); ["*"] refuses all. */
  blacklistedModels?: Array<string> | null | undefined;
  /** Leases in flight at once; null: no limit. */
  concurrencyLimit?: number | null | undefined;
  /** Provider-specific credentials, e.g. {"api_key": "sk-..."}; a value may be "env.NAME" (an operator-allowed environment variable, read at lease time). On update it replaces the credential (a value sent back as its redacted rendering keeps the stored one). */
  credentials?: Record<string, unknown> | null | undefined;
  dailyLimit?: number | null | undefined;
  /** The IANA zone the daily windows turn in, e.g. America/Los_Angeles (default: the provider's: Los Angeles for Gemini, UTC otherwise). */
  dailyResetZone?: string | null | undefined;
  isActive?: boolean | null | undefined;
  isPrimary?: boolean | null | undefined;
  keyLabel?: string | null | undefined;
  minuteLimit?: number | null | undefined;
  /** Allowed models (case-insensitive); null or ["*"] = all, [] = none. */
  models?: Array<string> | null | undefined;
  /** The provider's key config (the contents of azure_key_config, vertex_key_config, …); see Provider.keyConfigField. */
  providerConfig?: Record<string, unknown> | null | undefined;
  /** The quota group (of this brand) the key draws from; null: none. */
  quotaGroup?: string | null | undefined;
  spendLimitAction?: SpendLimitAction | null | undefined;
  spendLimitAmount?: string | null | undefined;
  spendLimitPeriod?: SpendLimitPeriod | null | undefined;
  /** Tokens (prompt + completion) per day; null: no limit. */
  tokenDailyLimit?: number | null | undefined;
  /** Tokens (prompt + completion) per minute; null: no limit. */
  tokenMinuteLimit?: number | null | undefined;
  /** Serve batch leases (default false). */
  useForBatchApi?: boolean | null | undefined;
  /** Selection weight (default 1; 0 = never while others are eligible). */
  weight?: string | null | undefined;
};

/** JSON signed with the Standard Webhooks scheme, or Slack's or Discord's incoming-webhook body. */
export type WebhookFormat =
  | 'DISCORD'
  | 'JSON'
  | 'SLACK';

export type KeyFieldsFragment = { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string };

export type DashboardKeysQueryVariables = Exact<{
  offset: number;
}>;


export type DashboardKeysQuery = { integrations: { total: number, items: Array<{ id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string }> } };

export type DashboardProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardProvidersQuery = { providers: Array<{ name: string, label: string, custom: boolean, keyless: boolean, billingApi: boolean, credentialFields: Array<{ name: string, label: string, example: string, optional: boolean }> }> };

export type DashboardUsageQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type DashboardUsageQuery = { usage: { rows: Array<{ day: string | null, requests: number, failures: number, costUsd: string, latencyMsAvg: number | null, timeToFirstTokenMsAvg: number | null }> } };

export type DashboardUsageChangesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardUsageChangesSubscription = { integrationUsageChanged: Array<{ integrationId: number, minuteCount: number, dailyCount: number, spendToday: string, spendMonth: string, spendLimitExceeded: boolean, lastUsedAt: string | null, cooldownUntil: string | null, healthStatus: HealthStatus, consecutiveFailures: number, probeDueAt: string | null, asOf: string }> };

export type DashboardKeyEventsQueryVariables = Exact<{
  id: number;
}>;


export type DashboardKeyEventsQuery = { integrationEvents: Array<{ id: string, type: string, at: string, details: Record<string, unknown> }> };

export type DashboardHealthSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardHealthSubscription = { integrationHealthChanged: { id: string | null, at: string, previousStatus: HealthStatus, status: HealthStatus, reason: string, integration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } } };

export type DashboardSpendSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardSpendSubscription = { spendLimitChanged: { id: string | null, at: string, exceeded: boolean, previousExceeded: boolean, usage: string, amount: string | null, period: SpendLimitPeriod, integration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } } };

export type DashboardChangesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardChangesSubscription = { integrationChanged: { id: string | null, at: string, kind: IntegrationChangeKind, integration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } } };

export type DashboardUpdateKeyMutationVariables = Exact<{
  id: number;
  input: UpdateIntegrationInput;
}>;


export type DashboardUpdateKeyMutation = { updateIntegration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } };

export type DashboardCreateKeyMutationVariables = Exact<{
  input: CreateIntegrationInput;
}>;


export type DashboardCreateKeyMutation = { createIntegration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } };

export type DashboardDeleteKeyMutationVariables = Exact<{
  id: number;
}>;


export type DashboardDeleteKeyMutation = { deleteIntegration: { id: number } };

export type DashboardCapacityQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardCapacityQuery = { capacity: Array<{ providerName: string, requestsRunOutAt: string | null, tokensRunOutAt: string | null, requestsThisMinute: { limit: number | null, remaining: number | null }, requestsToday: { limit: number | null, remaining: number | null, resetsAt: string }, tokensThisMinute: { limit: number | null, remaining: number | null }, tokensToday: { limit: number | null, remaining: number | null } }> };

export type DashboardLatestEventQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardLatestEventQuery = { latestEventId: string | null };

export type DashboardEventsSinceQueryVariables = Exact<{
  since?: string | null | undefined;
}>;


export type DashboardEventsSinceQuery = { events: { lastId: string | null, items: Array<{ id: string, type: string, integrationId: number, at: string, details: Record<string, unknown> }> } };

export type DashboardResetCooldownMutationVariables = Exact<{
  id: number;
}>;


export type DashboardResetCooldownMutation = { resetIntegrationCooldown: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } };

export type DashboardReprobeMutationVariables = Exact<{
  id: number;
}>;


export type DashboardReprobeMutation = { reprobeIntegration: { id: number, providerName: string, providerLabel: string, keyLabel: string | null, keyPreview: Record<string, unknown>, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, probeDueAt: string | null, isActive: boolean, isPrimary: boolean, priority: number, minuteCount: number, minuteLimit: number | null, dailyCount: number, dailyLimit: number | null, tokenMinuteCount: number, tokenMinuteLimit: number | null, tokenDailyCount: number, tokenDailyLimit: number | null, concurrencyLimit: number | null, openLeases: number, dailyResetZone: string, quotaGroup: string | null, spendToday: string, spendMonth: string, spendLimitAmount: string | null, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, outOfCredits: boolean, credentialError: string | null, lastUsedAt: string | null, billingSyncedAt: string | null, billingError: string | null, keyless: boolean, lastError: string | null, lastErrorAt: string | null, asOf: string } };

export type WebhookFieldsFragment = { id: string, name: string, urlPreview: string, format: WebhookFormat, rules: Array<AlertRule>, isActive: boolean };

export type DashboardAlertsQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardAlertsQuery = { alertWebhooks: Array<{ id: string, name: string, urlPreview: string, format: WebhookFormat, rules: Array<AlertRule>, isActive: boolean }>, alertDeliveries: { total: number, items: Array<{ id: string, webhookId: string, rule: AlertRule, alert: Record<string, unknown>, status: AlertDeliveryStatus, attempts: number, nextAttemptAt: string | null, lastStatus: number | null, lastError: string | null, createdAt: string }> } };

export type DashboardCreateWebhookMutationVariables = Exact<{
  input: AlertWebhookInput;
}>;


export type DashboardCreateWebhookMutation = { createAlertWebhook: { secret: string, webhook: { id: string, name: string, urlPreview: string, format: WebhookFormat, rules: Array<AlertRule>, isActive: boolean } } };

export type DashboardDeleteWebhookMutationVariables = Exact<{
  id: string;
}>;


export type DashboardDeleteWebhookMutation = { deleteAlertWebhook: { id: string } };

export type DashboardTestWebhookMutationVariables = Exact<{
  id: string;
}>;


export type DashboardTestWebhookMutation = { testAlertWebhook: { id: string } };

export type DashboardReplayDeliveryMutationVariables = Exact<{
  id: string;
}>;


export type DashboardReplayDeliveryMutation = { replayAlertDelivery: { id: string, status: AlertDeliveryStatus } };

export type DashboardAuditQueryVariables = Exact<{
  offset: number;
}>;


export type DashboardAuditQuery = { auditLog: { total: number, items: Array<{ id: string, at: string, actorKind: string, actorLabel: string | null, sourceIp: string | null, resource: string, resourceId: string, action: string, changes: Record<string, unknown> }> } };

export type DashboardGatewayFailuresQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardGatewayFailuresQuery = { gatewayFailures: { total: number, items: Array<{ id: string, at: string, endpoint: string, providerName: string, model: string, outcome: string, status: number | null, attempts: number, route: string }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const KeyFieldsFragmentDoc = new TypedDocumentString(`
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}
    `, {"fragmentName":"KeyFields"}) as unknown as TypedDocumentString<KeyFieldsFragment, unknown>;
export const WebhookFieldsFragmentDoc = new TypedDocumentString(`
    fragment WebhookFields on AlertWebhook {
  id
  name
  urlPreview
  format
  rules
  isActive
}
    `, {"fragmentName":"WebhookFields"}) as unknown as TypedDocumentString<WebhookFieldsFragment, unknown>;
export const DashboardKeysDocument = new TypedDocumentString(`
    query DashboardKeys($offset: Int!) {
  integrations(limit: 100, offset: $offset) {
    total
    items {
      ...KeyFields
    }
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardKeysQuery, DashboardKeysQueryVariables>;
export const DashboardProvidersDocument = new TypedDocumentString(`
    query DashboardProviders {
  providers {
    name
    label
    custom
    keyless
    billingApi
    credentialFields {
      name
      label
      example
      optional
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardProvidersQuery, DashboardProvidersQueryVariables>;
export const DashboardUsageDocument = new TypedDocumentString(`
    query DashboardUsage($from: String!, $to: String!) {
  usage(from: $from, to: $to, groupBy: [DAY]) {
    rows {
      day
      requests
      failures
      costUsd
      latencyMsAvg
      timeToFirstTokenMsAvg
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardUsageQuery, DashboardUsageQueryVariables>;
export const DashboardUsageChangesDocument = new TypedDocumentString(`
    subscription DashboardUsageChanges {
  integrationUsageChanged {
    integrationId
    minuteCount
    dailyCount
    spendToday
    spendMonth
    spendLimitExceeded
    lastUsedAt
    cooldownUntil
    healthStatus
    consecutiveFailures
    probeDueAt
    asOf
  }
}
    `) as unknown as TypedDocumentString<DashboardUsageChangesSubscription, DashboardUsageChangesSubscriptionVariables>;
export const DashboardKeyEventsDocument = new TypedDocumentString(`
    query DashboardKeyEvents($id: Int!) {
  integrationEvents(integrationId: $id, limit: 20) {
    id
    type
    at
    details
  }
}
    `) as unknown as TypedDocumentString<DashboardKeyEventsQuery, DashboardKeyEventsQueryVariables>;
export const DashboardHealthDocument = new TypedDocumentString(`
    subscription DashboardHealth {
  integrationHealthChanged {
    id
    at
    previousStatus
    status
    reason
    integration {
      ...KeyFields
    }
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardHealthSubscription, DashboardHealthSubscriptionVariables>;
export const DashboardSpendDocument = new TypedDocumentString(`
    subscription DashboardSpend {
  spendLimitChanged {
    id
    at
    exceeded
    previousExceeded
    usage
    amount
    period
    integration {
      ...KeyFields
    }
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardSpendSubscription, DashboardSpendSubscriptionVariables>;
export const DashboardChangesDocument = new TypedDocumentString(`
    subscription DashboardChanges {
  integrationChanged {
    id
    at
    kind
    integration {
      ...KeyFields
    }
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardChangesSubscription, DashboardChangesSubscriptionVariables>;
export const DashboardUpdateKeyDocument = new TypedDocumentString(`
    mutation DashboardUpdateKey($id: Int!, $input: UpdateIntegrationInput!) {
  updateIntegration(id: $id, input: $input) {
    ...KeyFields
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardUpdateKeyMutation, DashboardUpdateKeyMutationVariables>;
export const DashboardCreateKeyDocument = new TypedDocumentString(`
    mutation DashboardCreateKey($input: CreateIntegrationInput!) {
  createIntegration(input: $input) {
    ...KeyFields
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardCreateKeyMutation, DashboardCreateKeyMutationVariables>;
export const DashboardDeleteKeyDocument = new TypedDocumentString(`
    mutation DashboardDeleteKey($id: Int!) {
  deleteIntegration(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<DashboardDeleteKeyMutation, DashboardDeleteKeyMutationVariables>;
export const DashboardCapacityDocument = new TypedDocumentString(`
    query DashboardCapacity {
  capacity {
    providerName
    requestsThisMinute {
      limit
      remaining
    }
    requestsToday {
      limit
      remaining
      resetsAt
    }
    tokensThisMinute {
      limit
      remaining
    }
    tokensToday {
      limit
      remaining
    }
    requestsRunOutAt
    tokensRunOutAt
  }
}
    `) as unknown as TypedDocumentString<DashboardCapacityQuery, DashboardCapacityQueryVariables>;
export const DashboardLatestEventDocument = new TypedDocumentString(`
    query DashboardLatestEvent {
  latestEventId
}
    `) as unknown as TypedDocumentString<DashboardLatestEventQuery, DashboardLatestEventQueryVariables>;
export const DashboardEventsSinceDocument = new TypedDocumentString(`
    query DashboardEventsSince($since: ID) {
  events(since: $since, limit: 500) {
    lastId
    items {
      id
      type
      integrationId
      at
      details
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardEventsSinceQuery, DashboardEventsSinceQueryVariables>;
export const DashboardResetCooldownDocument = new TypedDocumentString(`
    mutation DashboardResetCooldown($id: Int!) {
  resetIntegrationCooldown(id: $id) {
    ...KeyFields
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardResetCooldownMutation, DashboardResetCooldownMutationVariables>;
export const DashboardReprobeDocument = new TypedDocumentString(`
    mutation DashboardReprobe($id: Int!) {
  reprobeIntegration(id: $id) {
    ...KeyFields
  }
}
    fragment KeyFields on Integration {
  id
  providerName
  providerLabel
  keyLabel
  keyPreview
  healthStatus
  consecutiveFailures
  cooldownUntil
  probeDueAt
  isActive
  isPrimary
  priority
  minuteCount
  minuteLimit
  dailyCount
  dailyLimit
  tokenMinuteCount
  tokenMinuteLimit
  tokenDailyCount
  tokenDailyLimit
  concurrencyLimit
  openLeases
  dailyResetZone
  quotaGroup
  spendToday
  spendMonth
  spendLimitAmount
  spendLimitPeriod
  spendLimitAction
  spendLimitExceeded
  outOfCredits
  credentialError
  lastUsedAt
  billingSyncedAt
  billingError
  keyless
  lastError
  lastErrorAt
  asOf
}`) as unknown as TypedDocumentString<DashboardReprobeMutation, DashboardReprobeMutationVariables>;
export const DashboardAlertsDocument = new TypedDocumentString(`
    query DashboardAlerts {
  alertWebhooks {
    ...WebhookFields
  }
  alertDeliveries(limit: 50) {
    total
    items {
      id
      webhookId
      rule
      alert
      status
      attempts
      nextAttemptAt
      lastStatus
      lastError
      createdAt
    }
  }
}
    fragment WebhookFields on AlertWebhook {
  id
  name
  urlPreview
  format
  rules
  isActive
}`) as unknown as TypedDocumentString<DashboardAlertsQuery, DashboardAlertsQueryVariables>;
export const DashboardCreateWebhookDocument = new TypedDocumentString(`
    mutation DashboardCreateWebhook($input: AlertWebhookInput!) {
  createAlertWebhook(input: $input) {
    secret
    webhook {
      ...WebhookFields
    }
  }
}
    fragment WebhookFields on AlertWebhook {
  id
  name
  urlPreview
  format
  rules
  isActive
}`) as unknown as TypedDocumentString<DashboardCreateWebhookMutation, DashboardCreateWebhookMutationVariables>;
export const DashboardDeleteWebhookDocument = new TypedDocumentString(`
    mutation DashboardDeleteWebhook($id: ID!) {
  deleteAlertWebhook(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<DashboardDeleteWebhookMutation, DashboardDeleteWebhookMutationVariables>;
export const DashboardTestWebhookDocument = new TypedDocumentString(`
    mutation DashboardTestWebhook($id: ID!) {
  testAlertWebhook(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<DashboardTestWebhookMutation, DashboardTestWebhookMutationVariables>;
export const DashboardReplayDeliveryDocument = new TypedDocumentString(`
    mutation DashboardReplayDelivery($id: ID!) {
  replayAlertDelivery(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<DashboardReplayDeliveryMutation, DashboardReplayDeliveryMutationVariables>;
export const DashboardAuditDocument = new TypedDocumentString(`
    query DashboardAudit($offset: Int!) {
  auditLog(limit: 50, offset: $offset) {
    total
    items {
      id
      at
      actorKind
      actorLabel
      sourceIp
      resource
      resourceId
      action
      changes
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardAuditQuery, DashboardAuditQueryVariables>;
export const DashboardGatewayFailuresDocument = new TypedDocumentString(`
    query DashboardGatewayFailures {
  gatewayFailures(limit: 20) {
    total
    items {
      id
      at
      endpoint
      providerName
      model
      outcome
      status
      attempts
      route
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardGatewayFailuresQuery, DashboardGatewayFailuresQueryVariables>;