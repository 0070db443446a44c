/**
 * The plain object every transport receives for an integration. It never
 * carries the credential: only its masked preview.
 */
import { isProviderName, PROVIDERS } from '../providers/index.js';
import type { HealthStatus, SpendLimitAction, SpendLimitPeriod } from './integration.entity.js';
import type { KeyView } from './key-document.js';
import { currentCounts, utcDay, utcMonthStart } from './limits.js';
import { countInDay, countInMinute } from './reset-clock.js';
import { isSpendExceeded } from './spend.js';
import { toDate as asDate, toDay } from '../../platform/time/dates.js';

export interface IntegrationView {
  id: number;
  keyId: string;
  providerName: string;
  providerLabel: string;
  keyLabel: string | null;
  isActive: boolean;
  isPrimary: boolean;
  priority: number;
  weight: string;
  models: string[] | null;
  blacklistedModels: string[];
  useForBatchApi: boolean;
  /** Model aliases: the name a caller asks for -> the name this key's provider knows it by. */
  aliases: Record<string, string>;
  /** The endpoint of a keyless custom provider, not a key. */
  keyless: boolean;
  /** The secrets as Bifrost renders them (redacted) and the key config's settings. */
  keyView: KeyView;
  dailyLimit: number | null;
  dailyCount: number;
  minuteLimit: number | null;
  minuteCount: number;
  /** Tokens per minute and per day (null: no limit), and the tokens counted in the current minute and day: reserved by leases, then as reported. */
  tokenMinuteLimit: number | null;
  tokenMinuteCount: number;
  tokenDailyLimit: number | null;
  tokenDailyCount: number;
  /** Leases of the key in flight at once (null: no limit), and how many were open when the pool last counted (unreported, unexpired). */
  concurrencyLimit: number | null;
  openLeases: number;
  /** The IANA zone the daily windows (dailyCount, tokenDailyCount, the daily limits) turn in. */
  dailyResetZone: string;
  /** The quota group the key draws from (null: none). */
  quotaGroup: string | null;
  /** The request limits the provider's own headers last stated, per minute and per day (null: never said). */
  observedMinuteLimit: number | null;
  observedDailyLimit: number | null;
  healthStatus: HealthStatus;
  consecutiveFailures: number;
  cooldownUntil: Date | null;
  /** An unhealthy key's next recovery probe (null for a key that is not unhealthy). */
  probeDueAt: Date | null;
  lastUsedAt: Date | null;
  spendLimitAmount: string | null;
  spendLimitPeriod: SpendLimitPeriod;
  spendLimitAction: SpendLimitAction;
  spendLimitExceeded: boolean;
  spendToday: string;
  spendMonth: string;
  cachedBalance: string | null;
  cachedUsageToday: string | null;
  cachedUsageMonth: string | null;
  cachedCurrency: string | null;
  billingSyncedAt: Date | null;
  billingError: string | null;
  billingErrorAt: Date | null;
  /** A 402 took the key out of selection until this time (null: until a billing sync shows a balance). */
  outOfCredits: boolean;
  outOfCreditsUntil: Date | null;
  credentialError: string | null;
  /** The last failed report's outcome (`HTTP 503`, `timeout`) and when it came. */
  lastError: string | null;
  lastErrorAt: Date | null;
  keyPreview: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  /** The instant the counts and spend are for: a page rolls them over at the next UTC minute, day or month by itself. */
  asOf: Date;
}

type Timestamp = Date | string | null | undefined;

/** The stored fields a view is made of: a row as the repository's rowToRecord maps it. */
export interface IntegrationRecord {
  id: number;
  keyId: string;
  providerName: string;
  keyLabel?: string | null;
  isActive: boolean;
  isPrimary: boolean;
  priority: number;
  weight: string;
  models?: string[] | null;
  blacklistedModels?: string[] | null;
  useForBatchApi?: boolean;
  aliases?: Record<string, string> | null;
  keyless?: boolean;
  /** The environment variables the credential refers to (env.NAME). */
  envRefs?: string[];
  keyView?: KeyView | null;
  keyPreview: Record<string, string>;
  dailyLimit?: number | null;
  dailyCount: number;
  dayWindow?: Timestamp;
  minuteLimit?: number | null;
  minuteCount: number;
  minuteWindow?: Timestamp;
  /** Allowance claimed of the minute and daily limits, by every instance (the limits are judged on these). */
  minuteClaimed?: number;
  claimMinute?: Timestamp;
  dailyClaimed?: number;
  claimDay?: Timestamp;
  tokenMinuteLimit?: number | null;
  tokenMinuteCount?: number | string;
  tokenMinuteWindow?: Timestamp;
  tokenDailyLimit?: number | null;
  tokenDailyCount?: number | string;
  tokenDayWindow?: Timestamp;
  concurrencyLimit?: number | null;
  openLeases?: number;
  dailyResetZone?: string;
  quotaGroup?: string | null;
  /** The request limits the provider's own headers last stated (the pool enforces the tighter of these and the configured ones). */
  observedMinuteLimit?: number | null;
  observedDailyLimit?: number | null;
  healthStatus: string;
  consecutiveFailures: number;
  cooldownUntil?: Timestamp;
  probeDueAt?: Timestamp;
  lastUsedAt?: Timestamp;
  spendLimitAmount?: string | null;
  spendLimitPeriod: string;
  spendLimitAction: string;
  spendLimitExceeded: boolean;
  spendExceededPeriod?: string | null;
  spendToday: string;
  spendDay?: Timestamp;
  spendMonth: string;
  spendMonthStart?: Timestamp;
  cachedBalance?: string | null;
  cachedUsageToday?: string | null;
  cachedUsageMonth?: string | null;
  cachedCurrency?: string | null;
  billingSyncedAt?: Timestamp;
  billingError?: string | null;
  billingErrorAt?: Timestamp;
  outOfCreditsAt?: Timestamp;
  outOfCreditsUntil?: Timestamp;
  credentialError?: string | null;
  lastError?: string | null;
  lastErrorAt?: Timestamp;
  createdAt: Date | string;
  updatedAt: Date | string;
}

/** "500.00000000" → "500", "0.10000000" → "0.1": exact, without float arithmetic. */
export function normalizeDecimal(value: string): string;
export function normalizeDecimal(value: string | null): string | null;
export function normalizeDecimal(value: string | null): string | null {
  if (value === null) return null;
  if (!value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

/** Spend in the current period of the key's spend limit (the figure the limit is judged on). */
export const spendUsage = (view: IntegrationView) => (view.spendLimitPeriod === 'daily' ? view.spendToday : view.spendMonth);

/**
 * Keys written before Bifrost renderings were stored show their v1 preview as the value: sent
 * back unchanged, it still keeps the stored secret.
 */
const legacyKeyView = (preview: Record<string, string>): KeyView => ({
  value: { value: preview.api_key ?? '', env_var: '', from_env: false },
  config: null,
});

function outOfCredits(at: Date | null, until: Date | null, now: Date): { outOfCredits: boolean; outOfCreditsUntil: Date | null } {
  const out = at !== null && (until === null || until > now);
  return { outOfCredits: out, outOfCreditsUntil: out ? until : null };
}

/** The key's usage counts at `now`, as stored (a window that has passed reads as 0). */
export const countsAt = (e: IntegrationRecord, now: Date) =>
  currentCounts({ minuteCount: e.minuteCount, minuteWindow: asDate(e.minuteWindow ?? null), dailyCount: e.dailyCount, dayWindow: toDay(e.dayWindow) }, now, e.dailyResetZone);

/** The key's token limits and the tokens counted in the current minute and day, as stored (a window that has passed reads as 0). */
export function tokensAt(e: IntegrationRecord, now: Date) {
  return {
    tokenMinuteLimit: e.tokenMinuteLimit ?? null,
    tokenMinuteCount: countInMinute(e.tokenMinuteWindow, e.tokenMinuteCount, now),
    tokenDailyLimit: e.tokenDailyLimit ?? null,
    tokenDailyCount: countInDay(e.tokenDayWindow, e.tokenDailyCount, e.dailyResetZone, now),
  };
}

export function toIntegrationView(e: IntegrationRecord, now: Date): IntegrationView {
  const counts = countsAt(e, now);
  const cooldownUntil = asDate(e.cooldownUntil ?? null);
  return {
    id: e.id,
    keyId: e.keyId,
    providerName: e.providerName,
    providerLabel: isProviderName(e.providerName) ? PROVIDERS[e.providerName].label : e.providerName,
    keyLabel: e.keyLabel ?? null,
    isActive: e.isActive,
    isPrimary: e.isPrimary,
    priority: e.priority,
    weight: normalizeDecimal(String(e.weight)),
    models: e.models ?? null,
    blacklistedModels: e.blacklistedModels ?? [],
    useForBatchApi: e.useForBatchApi ?? false,
    aliases: e.aliases ?? {},
    keyless: e.keyless ?? false,
    keyView: e.keyView ?? legacyKeyView(e.keyPreview),
    dailyLimit: e.dailyLimit ?? null,
    dailyCount: counts.dailyCount,
    minuteLimit: e.minuteLimit ?? null,
    ...tokensAt(e, now),
    concurrencyLimit: e.concurrencyLimit ?? null,
    dailyResetZone: e.dailyResetZone ?? 'UTC',
    quotaGroup: e.quotaGroup ?? null,
    openLeases: e.concurrencyLimit === null || e.concurrencyLimit === undefined ? 0 : (e.openLeases ?? 0),
    observedMinuteLimit: e.observedMinuteLimit ?? null,
    observedDailyLimit: e.observedDailyLimit ?? null,
    minuteCount: counts.minuteCount,
    healthStatus: e.healthStatus as HealthStatus,
    consecutiveFailures: e.consecutiveFailures,
    cooldownUntil: cooldownUntil && cooldownUntil > now ? cooldownUntil : null,
    probeDueAt: e.healthStatus === 'unhealthy' ? asDate(e.probeDueAt ?? null) : null,
    lastUsedAt: asDate(e.lastUsedAt ?? null),
    spendLimitAmount: normalizeDecimal(e.spendLimitAmount ?? null),
    spendLimitPeriod: e.spendLimitPeriod as SpendLimitPeriod,
    spendLimitAction: e.spendLimitAction as SpendLimitAction,
    spendLimitExceeded: isSpendExceeded(e.spendLimitExceeded, e.spendExceededPeriod ?? null, e.spendLimitPeriod, now),
    spendToday: toDay(e.spendDay ?? null) === utcDay(now) ? normalizeDecimal(e.spendToday) : '0',
    spendMonth: toDay(e.spendMonthStart ?? null) === utcMonthStart(now) ? normalizeDecimal(e.spendMonth) : '0',
    cachedBalance: normalizeDecimal(e.cachedBalance ?? null),
    cachedUsageToday: normalizeDecimal(e.cachedUsageToday ?? null),
    cachedUsageMonth: normalizeDecimal(e.cachedUsageMonth ?? null),
    cachedCurrency: e.cachedCurrency ?? null,
    billingSyncedAt: asDate(e.billingSyncedAt ?? null),
    billingError: e.billingError ?? null,
    billingErrorAt: asDate(e.billingErrorAt ?? null),
    ...outOfCredits(asDate(e.outOfCreditsAt ?? null), asDate(e.outOfCreditsUntil ?? null), now),
    credentialError: e.credentialError ?? null,
    lastError: e.lastError ?? null,
    lastErrorAt: asDate(e.lastErrorAt ?? null),
    keyPreview: e.keyPreview,
    createdAt: asDate(e.createdAt)!,
    updatedAt: asDate(e.updatedAt)!,
    asOf: now,
  };
}
