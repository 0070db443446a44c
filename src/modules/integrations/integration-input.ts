/**
 * Domain validation of integration input, shared by every transport. Field
 * names in messages come from the caller's dialect (`daily_limit` on REST,
 * `dailyLimit` on GraphQL), so each user reads the name they sent.
 */
import { AppError } from '../../platform/errors/app-error.js';
import { findProvider, invalidProviderMessage, type ProviderView } from '../providers/index.js';
import { SPEND_LIMIT_ACTIONS, SPEND_LIMIT_PERIODS, type SpendLimitAction, type SpendLimitPeriod } from './integration.entity.js';

export type FieldNamer = (camelField: string) => string;
export const camelNames: FieldNamer = (f) => f;
export const snakeNames: FieldNamer = (f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export interface IntegrationSettings {
  keyLabel?: string | null;
  isActive?: boolean;
  isPrimary?: boolean;
  weight?: string;
  models?: string[] | null;
  blacklistedModels?: string[];
  dailyLimit?: number | null;
  minuteLimit?: number | null;
  spendLimitAmount?: string | null;
  spendLimitPeriod?: string;
  spendLimitAction?: string;
}

export interface CreateIntegrationInput extends IntegrationSettings {
  providerName: string;
  credentials: unknown;
}

const invalid = (message: string) => new AppError('request.invalid', message);
const MAX_LIMIT = 2_147_483_647;
const MONEY = /^\d{1,12}(\.\d{1,8})?$/;
const WEIGHT = /^\d{1,6}(\.\d{1,6})?$/;

export function validateProvider(name: string): ProviderView {
  const provider = findProvider(name);
  if (!provider) throw new AppError('provider.unknown', invalidProviderMessage());
  return provider;
}

/** Checks a credential object against the provider's fields; returns it with string values only. */
export function validateCredentials(provider: ProviderView, credentials: unknown, n: FieldNamer): Record<string, string> {
  const field = n('credentials');
  if (credentials === undefined || credentials === null) throw invalid(`${field} is required`);
  if (typeof credentials !== 'object' || Array.isArray(credentials)) throw invalid(`${field} must be an object, e.g. {"api_key": "..."}`);
  const entries = Object.entries(credentials as Record<string, unknown>);
  if (entries.length === 0) throw invalid(`${field} must not be empty`);
  const expected = provider.credentialFields.map((f) => f.name);
  for (const [key, value] of entries) {
    if (!expected.includes(key)) throw invalid(`${field}.${key} is not a credential field of ${provider.name} (expected: ${expected.join(', ')})`);
    if (typeof value !== 'string' || value.trim() === '') throw invalid(`${field}.${key} must be a non-empty string`);
    if (value.length > 8192) throw invalid(`${field}.${key} must be at most 8192 characters`);
  }
  for (const name of expected) {
    if (!Object.hasOwn(credentials, name)) throw invalid(`${field}.${name} is required for ${provider.name}`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

const checkLimit = (value: number | null | undefined, name: string) => {
  if (value === undefined || value === null) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw invalid(`${name} must be a whole number from 1 to ${MAX_LIMIT}, or null for unlimited`);
  }
};

const checkModels = (value: string[] | null | undefined, name: string) => {
  if (value === undefined || value === null) return;
  if (value.length > 1000 || value.some((m) => typeof m !== 'string' || m.length === 0 || m.length > 255)) {
    throw invalid(`${name} must be a list of at most 1000 model names of 1 to 255 characters`);
  }
};

/** Validates settings in place; throws AppError('request.invalid') naming the first bad field. */
export function validateSettings(s: IntegrationSettings, n: FieldNamer): void {
  if (s.keyLabel !== undefined && s.keyLabel !== null && s.keyLabel.length > 255) {
    throw invalid(`${n('keyLabel')} must be at most 255 characters`);
  }
  checkLimit(s.dailyLimit, n('dailyLimit'));
  checkLimit(s.minuteLimit, n('minuteLimit'));
  if (s.spendLimitAmount !== undefined && s.spendLimitAmount !== null && !MONEY.test(s.spendLimitAmount)) {
    throw invalid(`${n('spendLimitAmount')} must be a non-negative amount in USD (at most 12 digits and 8 decimal places)`);
  }
  if (s.spendLimitPeriod !== undefined && !SPEND_LIMIT_PERIODS.includes(s.spendLimitPeriod as SpendLimitPeriod)) {
    throw invalid(`${n('spendLimitPeriod')} must be 'daily' or 'monthly'`);
  }
  if (s.spendLimitAction !== undefined && !SPEND_LIMIT_ACTIONS.includes(s.spendLimitAction as SpendLimitAction)) {
    throw invalid(`${n('spendLimitAction')} must be 'warn' or 'block'`);
  }
  if (s.weight !== undefined && !WEIGHT.test(s.weight)) {
    throw invalid(`${n('weight')} must be a number from 0 to 999999 with at most 6 decimal places`);
  }
  checkModels(s.models, n('models'));
  checkModels(s.blacklistedModels, n('blacklistedModels'));
}
