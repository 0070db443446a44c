/**
 * Domain validation of integration input, shared by every transport. Fields
 * in messages are marked with field(); each transport names them in its
 * dialect (`daily_limit` on REST, `dailyLimit` on GraphQL), so each user reads
 * the name they sent.
 */
import { AppError, field, missingField } from '../../platform/errors/app-error.js';
import { findProvider, invalidProviderMessage, KEY_CONFIGS, type ProviderView } from '../providers/index.js';
import { parseKeyConfig, parseSecret, type KeyDocument } from './key-document.js';
import { isResetZone } from './reset-clock.js';
import { SPEND_LIMIT_ACTIONS, SPEND_LIMIT_PERIODS, type SpendLimitAction, type SpendLimitPeriod } from './integration.entity.js';

export interface IntegrationSettings {
  keyLabel?: string | null;
  isActive?: boolean;
  isPrimary?: boolean;
  weight?: string;
  models?: string[] | null;
  blacklistedModels?: string[];
  useForBatchApi?: boolean;
  /** Model aliases (Bifrost's): the name a caller asks for -> the name this key's provider knows it by; null: none. */
  aliases?: Record<string, string> | null;
  dailyLimit?: number | null;
  minuteLimit?: number | null;
  tokenMinuteLimit?: number | null;
  tokenDailyLimit?: number | null;
  concurrencyLimit?: number | null;
  dailyResetZone?: string;
  /** The quota group of the brand the key draws from (null: none). */
  quotaGroup?: string | null;
  spendLimitAmount?: string | null;
  spendLimitPeriod?: string;
  spendLimitAction?: string;
}

export interface CreateIntegrationInput extends IntegrationSettings {
  providerName: string;
  /** The credential fields; each value a plain string, "env.NAME", or { value, env_var, from_env }. */
  credentials?: unknown;
  /** The Bifrost-style string id; a UUID is generated when omitted or empty. */
  keyId?: string | null;
  /** The provider's Bifrost key config (the contents of azure_key_config, …), validated per provider. */
  providerConfig?: unknown;
}

const invalid = (message: string) => new AppError('request.invalid', message);

/** A quota group's name: what it must be, as a message's end. */
export const QUOTA_GROUP_NAME_RULE = 'must be 1 to 64 letters, digits, dots, dashes or underscores';
export const isQuotaGroupName = (name: unknown): name is string => typeof name === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(name);
const MAX_LIMIT = 2_147_483_647;
const MONEY = /^\d{1,12}(\.\d{1,8})?$/;
const WEIGHT = /^\d{1,6}(\.\d{1,6})?$/;

/** A standard provider of the catalog (the brand's custom providers are resolved by IntegrationService). */
export function validateProvider(name: string): ProviderView {
  const provider = findProvider(name);
  if (!provider) throw new AppError('provider.unknown', invalidProviderMessage());
  return provider;
}

/**
 * Checks the shape of a key's credential fields and key config (a value may still be a masked
 * placeholder here: a replacement resolves those against the stored key first). A partial
 * document (what a merging update sends) need not hold every required field: the merged one
 * is checked with checkKeyDocument.
 */
export function parseKeyDocument(provider: ProviderView, credentials: unknown, providerConfig: unknown, { partial = false } = {}): KeyDocument {
  const credentialsField = field('credentials');
  const required = !partial && provider.credentialFields.some((f) => !f.optional);
  if (credentials === undefined || credentials === null) {
    if (required) throw missingField('credentials', `${credentialsField} is required`);
    credentials = {};
  }
  if (typeof credentials !== 'object' || Array.isArray(credentials)) throw invalid(`${credentialsField} must be an object, e.g. {"api_key": "..."}`);
  const expected = provider.credentialFields.map((f) => f.name);
  const parsed: Record<string, string> = {};
  for (const [key, value] of Object.entries(credentials as Record<string, unknown>)) {
    if (!expected.includes(key)) throw invalid(`${credentialsField}.${key} is not a credential field of ${provider.name} (expected: ${expected.join(', ')})`);
    const path = field(`credentials.${key}`);
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!isObject && (typeof value !== 'string' || value.trim() === '')) throw invalid(`${path} must be a non-empty string`);
    const secret = parseSecret(value, path);
    if (secret !== undefined) parsed[key] = secret;
  }
  if (Object.keys(parsed).length === 0 && required) throw missingField('credentials', `${credentialsField} must not be empty`);
  const kind = provider.keyConfig;
  if (providerConfig !== undefined && providerConfig !== null && !kind) {
    throw invalid(`${field('providerConfig')} is not accepted for ${provider.name} keys: the provider has no key config`);
  }
  return { credentials: parsed, keyConfig: kind ? parseKeyConfig(kind, providerConfig) : null };
}

/** What a usable key must have: every required credential field, and the key config's required secret. */
export function checkKeyDocument(provider: ProviderView, doc: KeyDocument): void {
  for (const f of provider.credentialFields) {
    if (f.optional || doc.credentials[f.name] !== undefined) continue;
    throw missingField(`credentials.${f.name}`, `${field(`credentials.${f.name}`)} is required for ${provider.name}`);
  }
  const kind = provider.keyConfig;
  const schema = kind && KEY_CONFIGS[kind];
  if (schema?.required && doc.keyConfig?.fields[schema.required] === undefined) {
    throw invalid(`${schema.field}.${schema.required} is required for ${schema.label} keys`);
  }
}

const KEY_ID = /^[^\s]{1,255}$/;

/** A caller's key id: kept as given (1 to 255 characters, no spaces); null/empty means "generate one". */
export function validateKeyId(keyId: string | null | undefined): string | null {
  if (keyId === undefined || keyId === null || keyId === '') return null;
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) throw invalid(`${field('keyId')} must be 1 to 255 characters without spaces`);
  return keyId;
}

const checkLimit = (value: number | null | undefined, name: string) => {
  if (value === undefined || value === null) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw invalid(`${name} must be a whole number from 1 to ${MAX_LIMIT}, or null for unlimited`);
  }
};

/** A model list: names compare case-insensitively; "*" means every model and stands alone. */
const checkModels = (value: string[] | null | undefined, name: string, list: 'whitelist' | 'blacklist') => {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value) || value.length > 1000 || value.some((m) => typeof m !== 'string' || m.length === 0 || m.length > 255)) {
    throw invalid(`${name} must be a list of at most 1000 model names of 1 to 255 characters`);
  }
  if (value.includes('*') && value.length > 1) throw invalid(`Invalid ${name}: wildcard '*' cannot be used with other values in the ${list}`);
  const seen = new Set<string>();
  for (const model of value) {
    if (seen.has(model.toLowerCase())) throw invalid(`Invalid ${name}: duplicate value '${model}' in ${list}`);
    seen.add(model.toLowerCase());
  }
};

/** Validates settings in place; throws AppError('request.invalid') naming the first bad field. */
export function validateSettings(s: IntegrationSettings): void {
  if (s.keyLabel !== undefined && s.keyLabel !== null && s.keyLabel.length > 255) {
    throw invalid(`${field('keyLabel')} must be at most 255 characters`);
  }
  checkLimit(s.dailyLimit, field('dailyLimit'));
  checkLimit(s.minuteLimit, field('minuteLimit'));
  checkLimit(s.tokenMinuteLimit, field('tokenMinuteLimit'));
  checkLimit(s.tokenDailyLimit, field('tokenDailyLimit'));
  checkLimit(s.concurrencyLimit, field('concurrencyLimit'));
  if (s.quotaGroup !== undefined && s.quotaGroup !== null && !isQuotaGroupName(s.quotaGroup)) throw invalid(`${field('quotaGroup')} ${QUOTA_GROUP_NAME_RULE}`);
  if (s.dailyResetZone !== undefined && !isResetZone(s.dailyResetZone)) {
    throw invalid(`${field('dailyResetZone')} must be an IANA time zone, e.g. America/Los_Angeles or UTC`);
  }
  if (s.spendLimitAmount !== undefined && s.spendLimitAmount !== null && !MONEY.test(s.spendLimitAmount)) {
    throw invalid(`${field('spendLimitAmount')} must be a non-negative amount in USD (at most 12 digits and 8 decimal places)`);
  }
  if (s.spendLimitPeriod !== undefined && !SPEND_LIMIT_PERIODS.includes(s.spendLimitPeriod as SpendLimitPeriod)) {
    throw invalid(`${field('spendLimitPeriod')} must be 'daily' or 'monthly'`);
  }
  if (s.spendLimitAction !== undefined && !SPEND_LIMIT_ACTIONS.includes(s.spendLimitAction as SpendLimitAction)) {
    throw invalid(`${field('spendLimitAction')} must be 'warn' or 'block'`);
  }
  if (s.weight !== undefined && !WEIGHT.test(s.weight)) {
    throw invalid(`${field('weight')} must be a number from 0 to 999999 with at most 6 decimal places`);
  }
  checkModels(s.blacklistedModels, field('blacklistedModels'), 'blacklist');
  checkModels(s.models, field('models'), 'whitelist');
  if (s.useForBatchApi !== undefined && typeof s.useForBatchApi !== 'boolean') throw invalid(`${field('useForBatchApi')} must be a boolean`);
  checkAliases(s.aliases, field('aliases'));
}

/** Model aliases: at most 1000, each name and target 1 to 255 characters. */
function checkAliases(value: Record<string, string> | null | undefined, name: string): void {
  if (value === undefined || value === null) return;
  const entries = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
  if (!entries || entries.some(([, target]) => typeof target !== 'string')) throw invalid(`${name} must be an object of model names, e.g. {"gpt-4o": "my-gpt-4o-deployment"}`);
  if (entries.length > 1000 || entries.some(([alias, target]) => alias.length === 0 || alias.length > 255 || target.length === 0 || target.length > 255)) {
    throw invalid(`${name} may hold at most 1000 aliases, each name and model 1 to 255 characters`);
  }
}
