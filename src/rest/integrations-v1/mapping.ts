/**
 * Integrations v1 <-> service DTOs: snake_case fields in the documented order,
 * money as JSON numbers, times as ISO-8601 UTC (seconds, as documented).
 */
import type { CreateIntegrationInput, IntegrationSettings, IntegrationView } from '../../modules/keys/index.js';
import { badRequest } from '../../platform/errors/app-error.js';
import { isoSeconds } from '../../platform/time/dates.js';
import {
  optionalBoolean, optionalDecimalOrNull, optionalStringOrNull, passThrough, rejectUnknownFields, type JsonObject,
} from '../request-fields.js';

export const UPDATABLE_FIELDS = [
  'key_label', 'is_active', 'is_primary', 'daily_limit', 'minute_limit', 'spend_limit_amount', 'spend_limit_period', 'spend_limit_action',
  // Beyond the documents: the selection settings the Bifrost dialect shares.
  'weight', 'models', 'blacklisted_models', 'use_for_batch_api', 'token_minute_limit', 'token_daily_limit', 'concurrency_limit', 'daily_reset_zone', 'quota_group',
] as const;
export const CREATE_FIELDS = [
  'provider_name', 'credentials', 'key_label', 'is_primary', 'daily_limit', 'minute_limit', 'spend_limit_amount', 'spend_limit_period', 'spend_limit_action',
  'key_id', 'provider_config', 'weight', 'models', 'blacklisted_models', 'use_for_batch_api', 'token_minute_limit', 'token_daily_limit', 'concurrency_limit', 'daily_reset_zone', 'quota_group',
] as const;

const iso = (d: Date | null) => (d === null ? null : isoSeconds(d));
const money = (v: string | null) => (v === null ? null : Number(v));

export function toV1Integration(v: IntegrationView) {
  return {
    id: v.id,
    key_id: v.keyId,
    provider_name: v.providerName,
    provider_label: v.providerLabel,
    key_label: v.keyLabel,
    is_active: v.isActive,
    is_primary: v.isPrimary,
    priority: v.priority,
    weight: Number(v.weight),
    models: v.models,
    blacklisted_models: v.blacklistedModels,
    use_for_batch_api: v.useForBatchApi,
    daily_limit: v.dailyLimit,
    daily_count: v.dailyCount,
    minute_limit: v.minuteLimit,
    minute_count: v.minuteCount,
    // Beyond the documents: token and concurrency limits.
    token_minute_limit: v.tokenMinuteLimit,
    token_minute_count: v.tokenMinuteCount,
    token_daily_limit: v.tokenDailyLimit,
    token_daily_count: v.tokenDailyCount,
    concurrency_limit: v.concurrencyLimit,
    open_leases: v.openLeases,
    daily_reset_zone: v.dailyResetZone,
    quota_group: v.quotaGroup,
    health_status: v.healthStatus,
    consecutive_failures: v.consecutiveFailures,
    last_used_at: iso(v.lastUsedAt),
    spend_limit_amount: money(v.spendLimitAmount),
    spend_limit_period: v.spendLimitPeriod,
    spend_limit_action: v.spendLimitAction,
    spend_limit_exceeded: v.spendLimitExceeded,
    spend_today: money(v.spendToday),
    spend_month: money(v.spendMonth),
    cached_balance: money(v.cachedBalance),
    cached_usage_today: money(v.cachedUsageToday),
    cached_usage_month: money(v.cachedUsageMonth),
    cached_currency: v.cachedCurrency,
    billing_synced_at: iso(v.billingSyncedAt),
    billing_error: v.billingError,
    billing_error_at: iso(v.billingErrorAt),
    out_of_credits: v.outOfCredits,
    out_of_credits_until: iso(v.outOfCreditsUntil),
    key_preview: v.keyPreview,
    created_at: iso(v.createdAt),
    updated_at: iso(v.updatedAt),
  };
}

function settingsFrom(body: JsonObject): IntegrationSettings {
  return {
    keyLabel: optionalStringOrNull(body, 'key_label'),
    isActive: optionalBoolean(body, 'is_active'),
    isPrimary: optionalBoolean(body, 'is_primary'),
    dailyLimit: passThrough<number | null>(body, 'daily_limit'),
    minuteLimit: passThrough<number | null>(body, 'minute_limit'),
    tokenMinuteLimit: passThrough<number | null>(body, 'token_minute_limit'),
    tokenDailyLimit: passThrough<number | null>(body, 'token_daily_limit'),
    concurrencyLimit: passThrough<number | null>(body, 'concurrency_limit'),
    dailyResetZone: passThrough<string>(body, 'daily_reset_zone'),
    quotaGroup: passThrough<string | null>(body, 'quota_group'),
    spendLimitAmount: optionalDecimalOrNull(body, 'spend_limit_amount'),
    spendLimitPeriod: passThrough<string>(body, 'spend_limit_period'),
    spendLimitAction: passThrough<string>(body, 'spend_limit_action'),
    weight: optionalDecimalOrNull(body, 'weight') ?? undefined,
    models: passThrough<string[] | null>(body, 'models'),
    blacklistedModels: passThrough<string[]>(body, 'blacklisted_models'),
    useForBatchApi: optionalBoolean(body, 'use_for_batch_api'),
  };
}

export function parseCreateBody(body: JsonObject): CreateIntegrationInput {
  rejectUnknownFields(body, CREATE_FIELDS);
  if (body.provider_name === undefined) throw badRequest('provider_name is required');
  if (typeof body.provider_name !== 'string') throw badRequest('provider_name must be a string');
  for (const name of ['spend_limit_period', 'spend_limit_action', 'weight', 'blacklisted_models', 'use_for_batch_api', 'daily_reset_zone'] as const) {
    if (body[name] === null) throw badRequest(`${name} must not be null`);
  }
  return {
    providerName: body.provider_name,
    credentials: body.credentials,
    keyId: optionalStringOrNull(body, 'key_id'),
    providerConfig: body.provider_config,
    ...settingsFrom(body),
  };
}

export function parseUpdateBody(body: JsonObject): IntegrationSettings {
  for (const fixed of ['provider_name', 'credentials']) {
    if (fixed in body) throw badRequest(`${fixed} cannot be updated. To change it, delete the integration and create a new one`);
  }
  rejectUnknownFields(body, UPDATABLE_FIELDS);
  for (const name of ['is_active', 'is_primary', 'spend_limit_period', 'spend_limit_action', 'weight', 'blacklisted_models', 'use_for_batch_api', 'daily_reset_zone'] as const) {
    if (body[name] === null) throw badRequest(`${name} must not be null`);
  }
  return settingsFrom(body);
}
