/**
 * JSON-type checks for REST bodies and query strings, with messages that
 * name the field. Range and domain rules live in the services.
 */
import { badRequest } from '../platform/errors/app-error.js';
import { decimalText } from '../platform/numbers/decimal.js';
import { sayableFieldNames } from '../platform/input/names.js';

export type JsonObject = Record<string, unknown>;

export function requireObjectBody(body: unknown): JsonObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object');
  }
  return body as JsonObject;
}

export function rejectUnknownFields(body: JsonObject, allowed: readonly string[], what = 'field'): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw badRequest(`Unknown ${what}${unknown.length > 1 ? 's' : ''}: ${sayableFieldNames(unknown)} (accepted: ${allowed.join(', ')})`);
  }
}

export function optionalBoolean(body: JsonObject, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${name} must be a boolean (true or false)`);
  return v;
}

export function optionalStringOrNull(body: JsonObject, name: string): string | null | undefined {
  const v = body[name];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'string') throw badRequest(`${name} must be a string`);
  return v;
}

/** A JSON number kept as an exact decimal string ("500.00" arrives as 500 → "500", 1e-7 → "0.0000001"). */
export function optionalDecimalOrNull(body: JsonObject, name: string): string | null | undefined {
  const v = body[name];
  if (v === undefined || v === null) return v;
  const text = typeof v === 'number' ? decimalText(v) : null;
  if (text === null) throw badRequest(`${name} must be a number`);
  return text;
}

/** Passed through untyped: the service names the field when the type or range is wrong. */
export const passThrough = <T>(body: JsonObject, name: string) => body[name] as T | undefined;

export function positiveIntegerParam(value: string, name: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < 1) throw badRequest(`${name} must be a positive integer`);
  return Number(value);
}

export function queryInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value)) throw badRequest(`${name} must be a whole number`);
  return Number(value);
}

export function queryBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw badRequest(`${name} must be true or false`);
  return value === 'true';
}

/** One string query parameter (a repeated one is refused). */
export function queryString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`);
  return value;
}

/** An RFC 3339 time in a query parameter. */
export function queryTime(value: unknown, name: string): Date | undefined {
  const text = queryString(value, name);
  if (text === undefined) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? new Date(text) : null;
  if (!at || Number.isNaN(at.getTime())) throw badRequest(`${name} must be a time such as 2026-12-05T10:00:00Z`);
  return at;
}
