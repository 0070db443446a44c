/** Validation of usage reports, shared by GraphQL and REST; field names follow the caller's dialect. */
import { AppError, field } from '../../platform/errors/app-error.js';
import { SIGNAL_HEADER } from './provider-signals.js';

/** How a failed request failed, when there was no HTTP status (or beside it). */
export const ERROR_TYPES = ['timeout', 'network', 'server_error', 'rate_limited', 'auth_error', 'client_error'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export interface UsageReportInput {
  leaseId: string;
  success: boolean;
  statusCode?: number | null;
  errorType?: string | null;
  latencyMs?: number | null;
  /** Time to the first byte of a streamed answer. */
  timeToFirstTokenMs?: number | null;
  costUsd?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  retryAfterSeconds?: number | null;
  /** The upstream's response headers (only the rate-limit ones are read). */
  responseHeaders?: unknown;
  /** A failure's response body as the provider sent it: text, or JSON over REST. */
  errorBody?: unknown;
}

export interface ValidUsageReport {
  leaseId: string;
  success: boolean;
  statusCode?: number;
  errorType?: ErrorType;
  costUsd: string;
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  retryAfterSeconds?: number;
  promptTokens: number;
  completionTokens: number;
  /** Whether prompt or completion tokens were given (a lease's reserved estimate stands when not). */
  tokensGiven: boolean;
  /** The rate-limit headers given, names lower-cased. */
  headers: Record<string, string>;
  errorBody: string | null;
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

export function validateUsageReport(r: UsageReportInput): ValidUsageReport {
  if (r.leaseId === undefined || r.leaseId === null || r.leaseId === '') throw invalid(`${field('leaseId')} is required`);
  if (typeof r.leaseId !== 'string') throw invalid(`${field('leaseId')} must be a string`);
  if (typeof r.success !== 'boolean') throw invalid(`${field('success')} must be a boolean (true or false)`);
  const statusCode = wholeNumber(r.statusCode, field('statusCode'), 100, 599);
  if (r.errorType !== undefined && r.errorType !== null && !ERROR_TYPES.includes(r.errorType as ErrorType)) {
    throw invalid(`${field('errorType')} must be one of ${ERROR_TYPES.join(', ')}`);
  }
  if (r.success && statusCode !== undefined && statusCode >= 400) {
    throw invalid(`${field('statusCode')} ${statusCode} contradicts ${field('success')}: true`);
  }
  if (r.success && r.errorType) throw invalid(`${field('errorType')} is only for failures (${field('success')}: false)`);
  const latencyMs = wholeNumber(r.latencyMs, field('latencyMs'), 0, 86_400_000);
  const timeToFirstTokenMs = wholeNumber(r.timeToFirstTokenMs, field('timeToFirstTokenMs'), 0, 86_400_000);
  if (timeToFirstTokenMs !== undefined && latencyMs !== undefined && timeToFirstTokenMs > latencyMs) {
    throw invalid(`${field('timeToFirstTokenMs')} cannot be more than ${field('latencyMs')}`);
  }
  if (r.costUsd !== undefined && r.costUsd !== null && !(COST.test(r.costUsd) && Number(r.costUsd) <= MAX_COST_USD)) {
    throw invalid(`${field('costUsd')} must be a non-negative amount in USD of at most ${MAX_COST_USD}, with at most 12 decimal places`);
  }
  const errorBody = validErrorBody(r.errorBody);
  if (r.success && errorBody !== null) throw invalid(`${field('errorBody')} is only for failures (${field('success')}: false)`);
  return {
    headers: validHeaders(r.responseHeaders),
    errorBody,
    leaseId: r.leaseId,
    success: r.success,
    statusCode,
    errorType: (r.errorType ?? undefined) as ErrorType | undefined,
    costUsd: r.costUsd ?? '0',
    latencyMs,
    timeToFirstTokenMs,
    retryAfterSeconds: wholeNumber(r.retryAfterSeconds, field('retryAfterSeconds'), 1, 86_400),
    promptTokens: wholeNumber(r.promptTokens, field('promptTokens'), 0, 100_000_000) ?? 0,
    completionTokens: wholeNumber(r.completionTokens, field('completionTokens'), 0, 100_000_000) ?? 0,
    tokensGiven: (r.promptTokens ?? null) !== null || (r.completionTokens ?? null) !== null,
  };
}

/** The most response headers a report may carry, and the longest name and value. */
export const MAX_REPORT_HEADERS = 200;
const MAX_HEADER_NAME = 256;
const MAX_HEADER_VALUE = 8192;
/** The longest error body a report may carry (a provider's error is a few hundred bytes). */
export const MAX_ERROR_BODY_BYTES = 16_384;

/** Response headers as an object of strings; only those keypool reads are kept (SIGNAL_HEADER), names lower-cased. */
function validHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field('responseHeaders')} must be an object of header names to string values`);
  const entries = Object.entries(value);
  if (entries.length > MAX_REPORT_HEADERS) throw invalid(`${field('responseHeaders')} may hold at most ${MAX_REPORT_HEADERS} headers`);
  const kept: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (typeof v !== 'string' || name.length > MAX_HEADER_NAME || v.length > MAX_HEADER_VALUE) {
      throw invalid(`${field('responseHeaders')} must map each header name (at most ${MAX_HEADER_NAME} characters) to a string of at most ${MAX_HEADER_VALUE} characters`);
    }
    const lower = name.toLowerCase();
    if (SIGNAL_HEADER.test(lower)) kept[lower] = v;
  }
  return kept;
}

/** A failure's body: text as given, JSON (over REST) as its text; at most MAX_ERROR_BODY_BYTES. */
function validErrorBody(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (Buffer.byteLength(text) > MAX_ERROR_BODY_BYTES) throw invalid(`${field('errorBody')} must be at most ${MAX_ERROR_BODY_BYTES} bytes`);
  return text;
}
