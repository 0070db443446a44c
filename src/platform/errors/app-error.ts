/**
 * One error type for every expected failure. Each code maps to a GraphQL code
 * and an HTTP status in one table; each REST dialect renders the public
 * message in its own envelope. The message is public: never put a secret in it.
 */
export const ERROR_CODES = {
  'request.invalid': { graphql: 'BAD_USER_INPUT', http: 400 },
  'request.malformed_json': { graphql: 'BAD_USER_INPUT', http: 400 },
  'request.too_large': { graphql: 'BAD_USER_INPUT', http: 413 },
  'request.unsupported_media_type': { graphql: 'BAD_USER_INPUT', http: 415 },
  'route.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'route.method_not_allowed': { graphql: 'METHOD_NOT_ALLOWED', http: 405 },
  'auth.unauthenticated': { graphql: 'UNAUTHENTICATED', http: 401 },
  'auth.forbidden': { graphql: 'FORBIDDEN', http: 403 },
  'auth.throttled': { graphql: 'TOO_MANY_FAILED_ATTEMPTS', http: 429 },
  'brand.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'client_token.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'node.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'node.duplicate': { graphql: 'CONFLICT', http: 409 },
  'node_credential.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'node_credential.duplicate': { graphql: 'CONFLICT', http: 409 },
  'provider.unknown': { graphql: 'BAD_USER_INPUT', http: 400 },
  'provider.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'provider.duplicate': { graphql: 'CONFLICT', http: 409 },
  'integration.name_taken': { graphql: 'CONFLICT', http: 409 },
  'integration.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'integration.duplicate': { graphql: 'CONFLICT', http: 409 },
  'integration.key_refused': { graphql: 'BAD_USER_INPUT', http: 400 },
  'quota_group.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'quota_group.duplicate': { graphql: 'CONFLICT', http: 409 },
  'alert_webhook.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'alert_webhook.duplicate': { graphql: 'CONFLICT', http: 409 },
  'alert_delivery.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'lease.not_found': { graphql: 'NOT_FOUND', http: 404 },
  'lease.already_reported': { graphql: 'CONFLICT', http: 409 },
  'lease.no_key_available': { graphql: 'NO_KEY_AVAILABLE', http: 429 },
  'lease.no_keys_for_provider': { graphql: 'NO_KEYS_FOR_PROVIDER', http: 404 },
  'lease.credential_unreadable': { graphql: 'CREDENTIAL_UNREADABLE', http: 503 },
  'service.unavailable': { graphql: 'SERVICE_UNAVAILABLE', http: 503 },
  'gateway.model_not_found': { graphql: 'NOT_FOUND', http: 404 },
  'gateway.upstream_timeout': { graphql: 'GATEWAY_TIMEOUT', http: 504 },
  'gateway.upstream_unreachable': { graphql: 'BAD_GATEWAY', http: 502 },
  internal: { graphql: 'INTERNAL_SERVER_ERROR', http: 500 },
} as const satisfies Record<string, { graphql: string; http: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** How a dialect names a field given its camelCase name (GraphQL's). */
export type FieldNamer = (camelField: string) => string;
export const camelNames: FieldNamer = (f) => f;
export const snakeNames: FieldNamer = (f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Error details in snake_case, all the way down (the REST dialects' facts beside a message). */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeNames(k), snakeKeys(v)]));
}

const MARK = '\u2063';
const FIELD = new RegExp(`${MARK}([^${MARK}]+)${MARK}`, 'g');

/**
 * A field named in an error message: services write `${field('minuteLimit')} must be …`, and each
 * transport names it in its dialect (minute_limit over REST, minuteLimit over GraphQL).
 */
export const field = (camelName: string) => `${MARK}${camelName}${MARK}`;

/**
 * What is wrong, as data: the field (its path in GraphQL's camelCase) and a problem code. A
 * dialect with its own wording for a problem (Bifrost's "Key value must not be empty") renders
 * it from this; the others show the message. Never sent to clients as it is.
 */
export interface FieldProblem {
  field: string;
  problem: 'missing';
}

export class AppError extends Error {
  private readonly template: string;

  constructor(
    readonly code: ErrorCode,
    /** The public message; fields marked with field(). */
    message: string,
    /** Extra public, secret-free facts (e.g. retry times) for clients. */
    readonly details?: Record<string, unknown>,
    /** The field and problem the message describes, for dialects that word it their own way. */
    readonly problem?: FieldProblem,
  ) {
    super(message.replace(FIELD, '$1'));
    this.template = message;
    this.name = 'AppError';
  }

  /** The message with each field as the dialect names it (`message` has GraphQL's camelCase). */
  messageIn(names: FieldNamer): string {
    return this.template.replace(FIELD, (_m, name: string) => names(name));
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get graphqlCode(): string {
    return ERROR_CODES[this.code].graphql;
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError('request.invalid', message, details);

/** A 400 for a field that is missing: the message names it, the problem says so as data. */
export const missingField = (fieldPath: string, message: string) =>
  new AppError('request.invalid', message, undefined, { field: fieldPath, problem: 'missing' });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
