/**
 * One provider key of a brand's pool. Both key dialects (Integrations v1 and
 * Bifrost) live on this one record. The credential is only ever stored as a
 * Fernet token. This declaration describes the table for migrations (`npm run
 * migration:create` diffs against it); every statement on the table is
 * IntegrationRepository's (lint:deps keeps the ORM out of the pool's modules).
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { BrandSchema } from '../brands/index.js';
import type { KeyView } from './key-document.js';

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export const SPEND_LIMIT_PERIODS = ['daily', 'monthly'] as const;
export type SpendLimitPeriod = (typeof SPEND_LIMIT_PERIODS)[number];
export const SPEND_LIMIT_ACTIONS = ['warn', 'block'] as const;
export type SpendLimitAction = (typeof SPEND_LIMIT_ACTIONS)[number];

const timestamptz = () => p.datetime().columnType('timestamptz');
const money = () => p.decimal('string').precision(20).scale(8);
/**
 * Spend accumulates per-request costs (at most 1,000,000 USD each, to 12 decimal places):
 * 26 integer digits hold 10^20 of the largest reports, so no key's sum can overflow.
 */
const spend = () => p.decimal('string').precision(38).scale(12);

export const IntegrationSchema = defineEntity({
  name: 'Integration',
  tableName: 'integration',
  properties: {
    id: p.integer().primary().autoincrement(),
    keyId: p.string().length(255),
    brand: p.manyToOne(BrandSchema).deleteRule('cascade'),
    providerName: p.string().length(64),
    keyLabel: p.string().length(255).nullable(),
    isActive: p.boolean().default(true),
    isPrimary: p.boolean().default(false),
    priority: p.integer().default(0),
    weight: p.decimal('string').precision(12).scale(6).default('1'),
    models: p.array().nullable(),
    blacklistedModels: p.array().default('{}'),
    credentialsEncrypted: p.text().hidden().lazy(true, false),
    credentialFingerprint: p.string().length(64),
    keyPreview: p.json<Record<string, string>>(),
    dailyLimit: p.integer().nullable(),
    dailyCount: p.integer().default(0),
    dayWindow: p.string().columnType('date').nullable(),
    minuteLimit: p.integer().nullable(),
    minuteCount: p.integer().default(0),
    minuteWindow: timestamptz().nullable(),
    /** Allowance the instances have claimed of the minute and daily limits (what limits are judged on). */
    minuteClaimed: p.integer().default(0),
    claimMinute: timestamptz().nullable(),
    dailyClaimed: p.integer().default(0),
    claimDay: p.string().columnType('date').nullable(),
    /** Tokens per minute and per day, and leases in flight at once (null: no limit). */
    tokenMinuteLimit: p.integer().nullable(),
    tokenMinuteCount: p.bigint('number').default(0),
    tokenMinuteWindow: timestamptz().nullable(),
    tokenDailyLimit: p.integer().nullable(),
    tokenDailyCount: p.bigint('number').default(0),
    tokenDayWindow: p.string().columnType('date').nullable(),
    concurrencyLimit: p.integer().nullable(),
    /** The IANA zone the key's daily windows turn in (its provider's by default). */
    dailyResetZone: p.string().length(64).default('UTC'),
    openLeases: p.integer().default(0),
    healthStatus: p.string().length(16).default('healthy'),
    consecutiveFailures: p.integer().default(0),
    cooldownUntil: timestamptz().nullable(),
    probeDueAt: timestamptz().nullable(),
    probeFailures: p.integer().default(0),
    lastUsedAt: timestamptz().nullable(),
    spendLimitAmount: money().nullable(),
    spendLimitPeriod: p.string().length(16).default('monthly'),
    spendLimitAction: p.string().length(16).default('warn'),
    spendLimitExceeded: p.boolean().default(false),
    /** The day (YYYY-MM-DD) or month (YYYY-MM) in which the limit was exceeded: a new period re-arms it. */
    spendExceededPeriod: p.string().length(10).nullable(),
    spendToday: spend().default('0'),
    spendDay: p.string().columnType('date').nullable(),
    spendMonth: spend().default('0'),
    spendMonthStart: p.string().columnType('date').nullable(),
    cachedBalance: money().nullable(),
    cachedUsageToday: money().nullable(),
    cachedUsageMonth: money().nullable(),
    cachedCurrency: p.string().length(8).nullable(),
    billingSyncedAt: timestamptz().nullable(),
    /** The last billing sync's failure (never a health failure of the key), and when. */
    billingError: p.string().length(255).nullable(),
    billingErrorAt: timestamptz().nullable(),
    billingFailures: p.integer().default(0),
    /** When the key is next due for a billing sync (null: never, e.g. a keyless endpoint). */
    billingNextAt: timestamptz().nullable(),
    /** An instance is syncing the key until then: no other takes it. */
    billingClaimedUntil: timestamptz().nullable(),
    /** A 402 said the key's credits are exhausted: out of selection until a sync shows a balance, or until `outOfCreditsUntil`. */
    outOfCreditsAt: timestamptz().nullable(),
    outOfCreditsUntil: timestamptz().nullable(),
    /** Why the credential is unusable (it could not be decrypted with the configured keys); selection skips the key. */
    credentialError: p.string().length(255).nullable(),
    /** The last failed report's outcome (`HTTP 503`, `timeout`), and when it came. */
    lastError: p.string().length(255).nullable(),
    lastErrorAt: timestamptz().nullable(),
    /** Only leases that ask for a batch key take this key, and only they. */
    useForBatchApi: p.boolean().default(false),
    /** Model aliases: the name a caller asks for -> the name this key's provider knows the model by (Bifrost's key aliases). */
    aliases: p.json<Record<string, string>>().nullable(),
    /** The environment variables the credential refers to ("env.NAME"): names only, resolved at lease time. */
    envRefs: p.array().default('{}'),
    /** The endpoint of a keyless custom provider: no credential, but leased, limited and health-tracked like a key. */
    keyless: p.boolean().default(false),
    /** Each secret as Bifrost renders it ({ value, env_var, from_env }, redacted), and the key config's plain settings. */
    keyView: p.json<KeyView>().nullable(),
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
  uniques: [
    { name: 'integration_brand_key_id_unique', properties: ['brand', 'keyId'] },
    { name: 'integration_credential_unique', properties: ['brand', 'providerName', 'credentialFingerprint'] },
  ],
  indexes: [{ name: 'integration_brand_provider_index', properties: ['brand', 'providerName'] }],
});

export type IntegrationEntity = InferEntity<typeof IntegrationSchema>;

/** A lease id that was reported: a second report of the same lease is refused. */
export const ReportedLeaseSchema = defineEntity({
  name: 'ReportedLease',
  tableName: 'reported_lease',
  properties: {
    leaseId: p.uuid().primary(),
    integrationId: p.integer(),
    reportedAt: timestamptz(),
  },
});
