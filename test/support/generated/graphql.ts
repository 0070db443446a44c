/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type CreateBrandInput = {
  /** 1 to 255 characters */
  name: string;
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
  spendLimitAmount?: unknown;
  spendLimitPeriod?: SpendLimitPeriod | null | undefined;
  /** Tokens (prompt + completion) per day; null: no limit. */
  tokenDailyLimit?: number | null | undefined;
  /** Tokens (prompt + completion) per minute; null: no limit. */
  tokenMinuteLimit?: number | null | undefined;
  /** Serve batch leases (default false). */
  useForBatchApi?: boolean | null | undefined;
  /** Selection weight (default 1; 0 = never while others are eligible). */
  weight?: unknown;
};

export type HealthStatus =
  | 'DEGRADED'
  | 'HEALTHY'
  | 'UNHEALTHY';

export type IntegrationChangeKind =
  | 'CREATED'
  | 'DELETED'
  | 'UPDATED';

export type IntegrationFilter = {
  healthStatus?: HealthStatus | null | undefined;
  isActive?: boolean | null | undefined;
  providerName?: string | null | undefined;
};

export type IssueClientTokenInput = {
  brandId: string;
  /** Lifetime in seconds (default 30 days) */
  expiresInSeconds?: number;
  /** What the token is for (1 to 255 characters), shown in clientTokens. */
  label?: string | null | undefined;
};

export type LeaseKeyInput = {
  /** Only keys marked useForBatchApi serve this lease. */
  batch?: boolean | null | undefined;
  /** The tokens the request may use (input tokens + the output cap): reserved of the key's token limits with the lease, then reconciled from the report's promptTokens and completionTokens. */
  estimatedTokens?: number | null | undefined;
  /** Return the lease's routing story in route. */
  explain?: boolean | null | undefined;
  /** Only keys that allow this model are leased. */
  model?: string | null | undefined;
  /** The node (service, worker pool) the request is made for. */
  nodeId?: string | null | undefined;
  providerName: string;
};

export type ReportKeyUsageInput = {
  completionTokens?: number | null | undefined;
  /** What the request cost, in USD. */
  costUsd?: unknown;
  /** A failure's response body as the provider sent it (at most 16 KiB): keypool reads a dead key, a spent daily quota, Gemini's RetryInfo and an overloaded provider from it. */
  errorBody?: string | null | undefined;
  errorType?: UsageErrorType | null | undefined;
  latencyMs?: number | null | undefined;
  leaseId: string;
  promptTokens?: number | null | undefined;
  /** The upstream's response headers (names to string values); keypool reads retry-after, x-ratelimit-* and anthropic-ratelimit-* and rests a key whose budget is spent. */
  responseHeaders?: Record<string, unknown> | null | undefined;
  /** From a 429's Retry-After: how long to cool the key down. */
  retryAfterSeconds?: number | null | undefined;
  /** The upstream HTTP status. */
  statusCode?: number | null | undefined;
  success: boolean;
  /** Time to the first byte of a streamed answer, in milliseconds. */
  timeToFirstTokenMs?: number | null | undefined;
};

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
  spendLimitAmount?: unknown;
  spendLimitPeriod?: SpendLimitPeriod | null | undefined;
  /** Tokens (prompt + completion) per day; null: no limit. */
  tokenDailyLimit?: number | null | undefined;
  /** Tokens (prompt + completion) per minute; null: no limit. */
  tokenMinuteLimit?: number | null | undefined;
  /** Serve batch leases (default false). */
  useForBatchApi?: boolean | null | undefined;
  /** Selection weight (default 1; 0 = never while others are eligible). */
  weight?: unknown;
};

/** What went wrong upstream, when there was no HTTP status. */
export type UsageErrorType =
  | 'AUTH_ERROR'
  | 'CLIENT_ERROR'
  | 'NETWORK'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'TIMEOUT';

export type CreateBrandMutationVariables = Exact<{
  input: CreateBrandInput;
}>;


export type CreateBrandMutation = { createBrand: { id: string, name: string, createdAt: string } };

export type IssueClientTokenMutationVariables = Exact<{
  input: IssueClientTokenInput;
}>;


export type IssueClientTokenMutation = { issueClientToken: { token: string, expiresAt: string } };

export type BrandsQueryVariables = Exact<{ [key: string]: never; }>;


export type BrandsQuery = { brands: Array<{ id: string, name: string }> };

export type IntegrationFieldsFragment = { id: number, keyId: string, providerName: string, providerLabel: string, keyLabel: string | null, isActive: boolean, isPrimary: boolean, priority: number, weight: unknown, models: Array<string> | null, blacklistedModels: Array<string>, dailyLimit: number | null, dailyCount: number, minuteLimit: number | null, minuteCount: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, lastUsedAt: string | null, spendLimitAmount: unknown, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, spendToday: unknown, spendMonth: unknown, cachedBalance: unknown, cachedUsageToday: unknown, cachedUsageMonth: unknown, cachedCurrency: string | null, billingSyncedAt: string | null, keyPreview: Record<string, unknown>, createdAt: string, updatedAt: string };

export type ProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type ProvidersQuery = { providers: Array<{ name: string, label: string, keyConfigField: string | null, custom: boolean, credentialFields: Array<{ name: string, example: string }> }> };

export type IntegrationsQueryVariables = Exact<{
  filter?: IntegrationFilter | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type IntegrationsQuery = { integrations: { total: number, limit: number, offset: number, items: Array<{ id: number, keyId: string, providerName: string, providerLabel: string, keyLabel: string | null, isActive: boolean, isPrimary: boolean, priority: number, weight: unknown, models: Array<string> | null, blacklistedModels: Array<string>, dailyLimit: number | null, dailyCount: number, minuteLimit: number | null, minuteCount: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, lastUsedAt: string | null, spendLimitAmount: unknown, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, spendToday: unknown, spendMonth: unknown, cachedBalance: unknown, cachedUsageToday: unknown, cachedUsageMonth: unknown, cachedCurrency: string | null, billingSyncedAt: string | null, keyPreview: Record<string, unknown>, createdAt: string, updatedAt: string }> } };

export type IntegrationQueryVariables = Exact<{
  id: number;
}>;


export type IntegrationQuery = { integration: { id: number, keyId: string, providerName: string, providerLabel: string, keyLabel: string | null, isActive: boolean, isPrimary: boolean, priority: number, weight: unknown, models: Array<string> | null, blacklistedModels: Array<string>, dailyLimit: number | null, dailyCount: number, minuteLimit: number | null, minuteCount: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, lastUsedAt: string | null, spendLimitAmount: unknown, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, spendToday: unknown, spendMonth: unknown, cachedBalance: unknown, cachedUsageToday: unknown, cachedUsageMonth: unknown, cachedCurrency: string | null, billingSyncedAt: string | null, keyPreview: Record<string, unknown>, createdAt: string, updatedAt: string } | null };

export type CreateIntegrationMutationVariables = Exact<{
  input: CreateIntegrationInput;
}>;


export type CreateIntegrationMutation = { createIntegration: { id: number, keyId: string, providerName: string, providerLabel: string, keyLabel: string | null, isActive: boolean, isPrimary: boolean, priority: number, weight: unknown, models: Array<string> | null, blacklistedModels: Array<string>, dailyLimit: number | null, dailyCount: number, minuteLimit: number | null, minuteCount: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, lastUsedAt: string | null, spendLimitAmount: unknown, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, spendToday: unknown, spendMonth: unknown, cachedBalance: unknown, cachedUsageToday: unknown, cachedUsageMonth: unknown, cachedCurrency: string | null, billingSyncedAt: string | null, keyPreview: Record<string, unknown>, createdAt: string, updatedAt: string } };

export type UpdateIntegrationMutationVariables = Exact<{
  id: number;
  input: UpdateIntegrationInput;
}>;


export type UpdateIntegrationMutation = { updateIntegration: { id: number, keyId: string, providerName: string, providerLabel: string, keyLabel: string | null, isActive: boolean, isPrimary: boolean, priority: number, weight: unknown, models: Array<string> | null, blacklistedModels: Array<string>, dailyLimit: number | null, dailyCount: number, minuteLimit: number | null, minuteCount: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, lastUsedAt: string | null, spendLimitAmount: unknown, spendLimitPeriod: SpendLimitPeriod, spendLimitAction: SpendLimitAction, spendLimitExceeded: boolean, spendToday: unknown, spendMonth: unknown, cachedBalance: unknown, cachedUsageToday: unknown, cachedUsageMonth: unknown, cachedCurrency: string | null, billingSyncedAt: string | null, keyPreview: Record<string, unknown>, createdAt: string, updatedAt: string } };

export type DeleteIntegrationMutationVariables = Exact<{
  id: number;
}>;


export type DeleteIntegrationMutation = { deleteIntegration: { id: number, providerName: string } };

export type LeaseKeyMutationVariables = Exact<{
  input: LeaseKeyInput;
}>;


export type LeaseKeyMutation = { leaseKey: { leaseId: string, integrationId: number, credentials: Record<string, unknown>, expiresAt: string, integration: { id: number, minuteCount: number, dailyCount: number, healthStatus: HealthStatus, lastUsedAt: string | null } } | null };

export type ReportKeyUsageMutationVariables = Exact<{
  input: ReportKeyUsageInput;
}>;


export type ReportKeyUsageMutation = { reportKeyUsage: { id: number, healthStatus: HealthStatus, consecutiveFailures: number, cooldownUntil: string | null, spendToday: unknown, spendMonth: unknown, spendLimitExceeded: boolean, minuteCount: number, dailyCount: number } };

export type IntegrationChangedSubscriptionVariables = Exact<{
  providerName?: string | null | undefined;
  integrationId?: number | null | undefined;
}>;


export type IntegrationChangedSubscription = { integrationChanged: { kind: IntegrationChangeKind, at: string, integration: { id: number, providerName: string, keyLabel: string | null, keyPreview: Record<string, unknown> } } };

export type IntegrationHealthChangedSubscriptionVariables = Exact<{
  providerName?: string | null | undefined;
  integrationId?: number | null | undefined;
}>;


export type IntegrationHealthChangedSubscription = { integrationHealthChanged: { previousStatus: HealthStatus, status: HealthStatus, consecutiveFailures: number, reason: string, at: string, integration: { id: number, healthStatus: HealthStatus } } };

export type SpendLimitChangedSubscriptionVariables = Exact<{
  providerName?: string | null | undefined;
  integrationId?: number | null | undefined;
}>;


export type SpendLimitChangedSubscription = { spendLimitChanged: { exceeded: boolean, previousExceeded: boolean, action: SpendLimitAction, amount: unknown, period: SpendLimitPeriod, usage: unknown, at: string, integration: { id: number, spendLimitExceeded: boolean } } };

export const IntegrationFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"IntegrationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Integration"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimary"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"blacklistedModels"}},{"kind":"Field","name":{"kind":"Name","value":"dailyLimit"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"minuteLimit"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAmount"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAction"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedBalance"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageToday"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"billingSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<IntegrationFieldsFragment, unknown>;
export const CreateBrandDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateBrand"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateBrandInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createBrand"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<CreateBrandMutation, CreateBrandMutationVariables>;
export const IssueClientTokenDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"IssueClientToken"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"IssueClientTokenInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"issueClientToken"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]} as unknown as DocumentNode<IssueClientTokenMutation, IssueClientTokenMutationVariables>;
export const BrandsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Brands"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"brands"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<BrandsQuery, BrandsQueryVariables>;
export const ProvidersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Providers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"providers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"keyConfigField"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}},{"kind":"Field","name":{"kind":"Name","value":"credentialFields"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"example"}}]}}]}}]}}]} as unknown as DocumentNode<ProvidersQuery, ProvidersQueryVariables>;
export const IntegrationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Integrations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"IntegrationFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"limit"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"offset"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"Variable","name":{"kind":"Name","value":"limit"}}},{"kind":"Argument","name":{"kind":"Name","value":"offset"},"value":{"kind":"Variable","name":{"kind":"Name","value":"offset"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"items"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"IntegrationFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"offset"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"IntegrationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Integration"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimary"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"blacklistedModels"}},{"kind":"Field","name":{"kind":"Name","value":"dailyLimit"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"minuteLimit"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAmount"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAction"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedBalance"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageToday"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"billingSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<IntegrationsQuery, IntegrationsQueryVariables>;
export const IntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Integration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"IntegrationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"IntegrationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Integration"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimary"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"blacklistedModels"}},{"kind":"Field","name":{"kind":"Name","value":"dailyLimit"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"minuteLimit"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAmount"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAction"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedBalance"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageToday"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"billingSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<IntegrationQuery, IntegrationQueryVariables>;
export const CreateIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateIntegrationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"IntegrationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"IntegrationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Integration"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimary"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"blacklistedModels"}},{"kind":"Field","name":{"kind":"Name","value":"dailyLimit"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"minuteLimit"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAmount"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAction"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedBalance"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageToday"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"billingSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<CreateIntegrationMutation, CreateIntegrationMutationVariables>;
export const UpdateIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateIntegrationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"IntegrationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"IntegrationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Integration"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"keyId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimary"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"models"}},{"kind":"Field","name":{"kind":"Name","value":"blacklistedModels"}},{"kind":"Field","name":{"kind":"Name","value":"dailyLimit"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"minuteLimit"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAmount"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitAction"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedBalance"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageToday"}},{"kind":"Field","name":{"kind":"Name","value":"cachedUsageMonth"}},{"kind":"Field","name":{"kind":"Name","value":"cachedCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"billingSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<UpdateIntegrationMutation, UpdateIntegrationMutationVariables>;
export const DeleteIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}}]}}]}}]} as unknown as DocumentNode<DeleteIntegrationMutation, DeleteIntegrationMutationVariables>;
export const LeaseKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LeaseKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LeaseKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"leaseKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"leaseId"}},{"kind":"Field","name":{"kind":"Name","value":"integrationId"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}}]}}]}}]}}]} as unknown as DocumentNode<LeaseKeyMutation, LeaseKeyMutationVariables>;
export const ReportKeyUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ReportKeyUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ReportKeyUsageInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reportKeyUsage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"cooldownUntil"}},{"kind":"Field","name":{"kind":"Name","value":"spendToday"}},{"kind":"Field","name":{"kind":"Name","value":"spendMonth"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"minuteCount"}},{"kind":"Field","name":{"kind":"Name","value":"dailyCount"}}]}}]}}]} as unknown as DocumentNode<ReportKeyUsageMutation, ReportKeyUsageMutationVariables>;
export const IntegrationChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"IntegrationChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrationChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"providerName"},"value":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}}},{"kind":"Argument","name":{"kind":"Name","value":"integrationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"keyLabel"}},{"kind":"Field","name":{"kind":"Name","value":"keyPreview"}}]}}]}}]}}]} as unknown as DocumentNode<IntegrationChangedSubscription, IntegrationChangedSubscriptionVariables>;
export const IntegrationHealthChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"IntegrationHealthChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrationHealthChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"providerName"},"value":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}}},{"kind":"Argument","name":{"kind":"Name","value":"integrationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"previousStatus"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}}]}}]}}]}}]} as unknown as DocumentNode<IntegrationHealthChangedSubscription, IntegrationHealthChangedSubscriptionVariables>;
export const SpendLimitChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"SpendLimitChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"spendLimitChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"providerName"},"value":{"kind":"Variable","name":{"kind":"Name","value":"providerName"}}},{"kind":"Argument","name":{"kind":"Name","value":"integrationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"integrationId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"exceeded"}},{"kind":"Field","name":{"kind":"Name","value":"previousExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"period"}},{"kind":"Field","name":{"kind":"Name","value":"usage"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"spendLimitExceeded"}}]}}]}}]}}]} as unknown as DocumentNode<SpendLimitChangedSubscription, SpendLimitChangedSubscriptionVariables>;