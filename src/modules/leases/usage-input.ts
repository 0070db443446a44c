/** Validation of usage reports, shared by GraphQL and REST; field names follow the caller's dialect. */
import { AppError } from '../../platform/errors/app-error.js';
import type { FieldNamer } from '../integrations/index.js';
import { ERROR_TYPES, type ErrorType } from './health.js';

export interface UsageReportInput {
  leaseId: string;
  success: boolean;
  statusCode?: number | null;
  errorType?: string | null;
  latencyMs?: number | null;
  costUsd?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  retryAfterSeconds?: number | null;
}

export interface ValidUsageReport {
  leaseId: string;
  success: boolean;
  statusCode?: number;
  errorType?: ErrorType;
  costUsd: string;
  latencyMs?: number;
  retryAfterSeconds?: number;
  promptTokens: number;
  completionTokens: number;
}

const invalid = (message: string) => new AppError('request.invalid', message);
/** What one request can plausibly cost; the spend columns hold 10^20 such reports. */
export const MAX_COST_USD = 1_000_000;
const COST = /^\d{1,7}(\.\d{1,12})?$/;

function wholeNumber(value: number | null | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function validateUsageReport(r: UsageReportInput, n: FieldNamer): ValidUsageReport {
  if (r.leaseId === undefined || r.leaseId === null || r.leaseId === '') throw invalid(`${n('leaseId')} is required`);
  if (typeof r.leaseId !== 'string') throw invalid(`${n('leaseId')} must be a string`);
  if (typeof r.success !== 'boolean') throw invalid(`${n('success')} must be a boolean (true or false)`);
  const statusCode = wholeNumber(r.statusCode, n('statusCode'), 100, 599);
  if (r.errorType !== undefined && r.errorType !== null && !ERROR_TYPES.includes(r.errorType as ErrorType)) {
    throw invalid(`${n('errorType')} must be one of ${ERROR_TYPES.join(', ')}`);
  }
  if (r.success && statusCode !== undefined && statusCode >= 400) {
    throw invalid(`${n('statusCode')} ${statusCode} contradicts ${n('success')}: true`);
  }
  if (r.success && r.errorType) throw invalid(`${n('errorType')} is only for failures (${n('success')}: false)`);
  const latencyMs = wholeNumber(r.latencyMs, n('latencyMs'), 0, 86_400_000);
  if (r.costUsd !== undefined && r.costUsd !== null && !(COST.test(r.costUsd) && Number(r.costUsd) <= MAX_COST_USD)) {
    throw invalid(`${n('costUsd')} must be a non-negative amount in USD of at most ${MAX_COST_USD}, with at most 12 decimal places`);
  }
  return {
    leaseId: r.leaseId,
    success: r.success,
    statusCode,
    errorType: (r.errorType ?? undefined) as ErrorType | undefined,
    costUsd: r.costUsd ?? '0',
    latencyMs,
    retryAfterSeconds: wholeNumber(r.retryAfterSeconds, n('retryAfterSeconds'), 1, 86_400),
    promptTokens: wholeNumber(r.promptTokens, n('promptTokens'), 0, 100_000_000) ?? 0,
    completionTokens: wholeNumber(r.completionTokens, n('completionTokens'), 0, 100_000_000) ?? 0,
  };
}
