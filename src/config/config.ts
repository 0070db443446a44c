/**
 * The only reader of process.env. Every setting is validated at once, so an
 * operator sees every problem in one run instead of one per restart.
 */
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePriceTable } from '../modules/gateway/prices.js';
import { isServerVariable, type EnvReferences } from '../modules/keys/env-references.js';
import type { HealthConfig } from '../modules/pool/health-settings.js';
import type { BillingConfig } from '../modules/spend/billing-settings.js';
import type { AlertSettings } from '../modules/alerts/alert-dispatcher.js';
import type { TracingSettings } from '../platform/telemetry/tracing.js';
import type { GatewaySettings } from '../modules/gateway/gateway.service.js';
import type { UpstreamAllowList } from '../platform/http/upstream-guard.js';
import { isIP } from 'node:net';
import { loadOrCreateDataDirSecrets, type DataDirSecrets } from './data-dir-secrets.js';

/** Bounds on the work of one GraphQL operation, checked before it runs. */
export interface GraphQLLimits {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxLeases: number;
  /** Lexical tokens in one document: the parser stops past them. */
  maxTokens: number;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  adminToken: string;
  encryptionKeys: string[];
  jwtSecrets: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  leaseTtlSeconds: number;
  health: HealthConfig;
  graphqlLimits: GraphQLLimits;
  /** A request (headers and body) must arrive within this time, or its socket is closed. */
  requestTimeoutMs: number;
  websocket: { maxSubscriptions: number; maxPayloadBytes: number };
  /** When set, /metrics needs `Authorization: Bearer <it>`. */
  metricsToken: string | null;
  /** How long start-up waits for an unreachable database before giving up. */
  databaseWaitSeconds: number;
  envReferences: EnvReferences;
  billing: BillingConfig;
  /** Days of key event history kept (integrationEvents). */
  eventRetentionDays: number;
  /** OpenTelemetry traces (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  tracing: TracingSettings;
  /** Days of the audit trail kept (KEYPOOL_AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  /** Alert deliveries: how often each instance looks for due ones, one attempt's time limit, the attempts before one is given up, the first retry's delay (doubling after). How often the timed rules are judged. */
  alerts: AlertSettings;
  /** How often keys whose usage changed are published to watching dashboards. */
  usageFeedIntervalMs: number;
  /** The longest an instance leases from its copy of a brand's provider's keys before reading them again (KEYPOOL_POOL_REFRESH_MS). */
  bookMaxAgeMs: number;
  /** How often plain successes appended by reports are folded into their keys, the ledger and nodes (KEYPOOL_POOL_FOLD_MS; 0: every report is applied at once). */
  foldIntervalMs: number;
  /** The longest a pool batch waits for company while reports and claims arrive faster than one per this many ms (KEYPOOL_POOL_GATHER_MS; 0: never). */
  gatherMs: number;
  /** Days of the daily usage ledger kept; older days are pruned by the scheduler. */
  usageRetentionDays: number;
  /** Loopback and private hosts and networks that brand-configured upstream URLs and billing APIs may reach. */
  allowedUpstreams: UpstreamAllowList;
  /** Web origins whose pages may call the API from a browser (CORS), e.g. Bifrost's UI served elsewhere. */
  corsOrigins: string[];
  /** The OpenAI-compatible gateway (/v1/chat/completions, /v1/embeddings, /v1/models). */
  gateway: GatewaySettings & { maxRequestBytes: number };
  /** Whether a new key is checked with its provider's free call before it is added (KEYPOOL_VALIDATE_KEYS), and that call's time limit. */
  keyCheck: { enabled: boolean; timeoutMs: number };
  /** Where generated secrets are kept (embedded mode only), for the start-up message. */
  secretsFile: string | null;
  /** Password of the embedded cluster's superuser; null when DATABASE_URL is used. */
  embeddedPgPassword: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const fernetKey = z
  .string()
  .refine((k) => /^[A-Za-z0-9_-]{43}=?$/.test(k) && Buffer.from(k, 'base64url').length === 32, {
    message: 'each key must be 32 bytes in url-safe base64 (a Fernet key)',
  });

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

/** An http(s) origin as a browser sends it in `Origin`: no path, query, user or fragment. */
function isWebOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && value.replace(/\/$/, '') === url.origin;
  } catch {
    return false;
  }
}

const httpUrl = z
  .string()
  .refine((u) => /^https?:\/\/[^\s/]+/.test(u), { message: 'must be an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const envSchema = z.object({
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), { message: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  KEYPOOL_DATA_DIR: z.string().min(1).default('./.keypool'),
  KEYPOOL_ADMIN_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  KEYPOOL_ENCRYPTION_KEYS: z.string().transform(list).pipe(z.array(fernetKey).min(1, { message: 'must list at least one key' })).optional(),
  KEYPOOL_JWT_SECRET: z
    .string()
    .transform(list)
    .pipe(z.array(z.string().min(32, { message: 'each secret must be at least 32 characters' })).min(1))
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url('must be the collector\'s base URL, e.g. http://localhost:4318').refine((u) => /^https?:/.test(u), 'must be an http or https URL').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default('keypool'),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().max(8000).optional(),
  KEYPOOL_LEASE_TTL_SECONDS: integer(1, 86_400).default(300),
  KEYPOOL_DEGRADED_AFTER: integer(1, 1000).default(3),
  KEYPOOL_UNHEALTHY_AFTER: integer(1, 1000).default(6),
  KEYPOOL_PROBE_COOLDOWN_MS: integer(1, 86_400_000).default(30_000),
  KEYPOOL_PROBE_COOLDOWN_MAX_MS: integer(1, 86_400_000).default(3_600_000),
  KEYPOOL_RATE_LIMIT_COOLDOWN_MS: integer(1, 86_400_000).default(60_000),
  KEYPOOL_GRAPHQL_MAX_COST: integer(1, 10_000_000).default(10_000),
  KEYPOOL_GRAPHQL_MAX_DEPTH: integer(1, 100).default(10),
  KEYPOOL_GRAPHQL_MAX_ALIASES: integer(0, 1000).default(15),
  KEYPOOL_GRAPHQL_MAX_ROOT_FIELDS: integer(1, 1000).default(10),
  KEYPOOL_GRAPHQL_MAX_LEASES: integer(1, 100).default(5),
  KEYPOOL_GRAPHQL_MAX_TOKENS: integer(100, 1_000_000).default(10_000),
  KEYPOOL_REQUEST_TIMEOUT_MS: integer(1000, 600_000).default(30_000),
  KEYPOOL_WS_MAX_SUBSCRIPTIONS: integer(1, 100_000).default(100),
  KEYPOOL_WS_MAX_PAYLOAD_BYTES: integer(1024, 16 * 1024 * 1024).default(64 * 1024),
  KEYPOOL_METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  KEYPOOL_DATABASE_WAIT_SECONDS: integer(0, 3600).default(60),
  KEYPOOL_BILLING_SYNC: z.enum(['on', 'off']).default('on'),
  KEYPOOL_VALIDATE_KEYS: z.enum(['on', 'off']).default('off'),
  KEYPOOL_VALIDATE_KEYS_TIMEOUT_MS: integer(100, 60_000).default(5000),
  KEYPOOL_BILLING_SYNC_INTERVAL: integer(10, 86_400).default(300),
  KEYPOOL_BILLING_TICK_MS: integer(100, 3_600_000).default(5000),
  KEYPOOL_BILLING_CONCURRENCY: integer(1, 100).default(4),
  KEYPOOL_BILLING_TIMEOUT_MS: integer(100, 120_000).default(10_000),
  KEYPOOL_BILLING_OPENROUTER_URL: httpUrl.default('https://openrouter.ai'),
  KEYPOOL_BILLING_FAL_URL: httpUrl.default('https://api.fal.ai'),
  KEYPOOL_USAGE_RETENTION_DAYS: integer(1, 36_500).default(400),
  KEYPOOL_USAGE_FEED_MS: integer(50, 60_000).default(250),
  KEYPOOL_POOL_REFRESH_MS: integer(50, 3_600_000).default(30_000),
  KEYPOOL_POOL_FOLD_MS: integer(0, 60_000).default(1000),
  KEYPOOL_POOL_GATHER_MS: integer(0, 100).default(2),
  KEYPOOL_EVENT_RETENTION_DAYS: integer(1, 3650).default(30),
  KEYPOOL_AUDIT_RETENTION_DAYS: integer(1, 3650).default(365),
  KEYPOOL_ALERT_DISPATCH_MS: integer(50, 60_000).default(1000),
  KEYPOOL_ALERT_TIMEOUT_MS: integer(100, 60_000).default(5000),
  KEYPOOL_ALERT_MAX_ATTEMPTS: integer(1, 100).default(12),
  KEYPOOL_ALERT_RETRY_MS: integer(10, 3_600_000).default(5000),
  KEYPOOL_ALERT_WATCH_MS: integer(100, 3_600_000).default(15_000),
  KEYPOOL_GATEWAY_MAX_ATTEMPTS: integer(1, 10).default(3),
  KEYPOOL_GATEWAY_TIMEOUT_MS: integer(100, 3_600_000).default(60_000),
  KEYPOOL_GATEWAY_ATTEMPT_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  KEYPOOL_GATEWAY_CONNECT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  KEYPOOL_GATEWAY_IDLE_TIMEOUT_MS: integer(100, 3_600_000).default(60_000),
  KEYPOOL_GATEWAY_MAX_BODY_BYTES: integer(1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
  KEYPOOL_GATEWAY_BASE_URLS: z
    .string()
    .transform(list)
    .pipe(
      z.array(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}=https?:\/\/[^\s/]+\S*$/, {
          message: 'must be a provider=URL pair with an http or https URL, e.g. groq=https://api.groq.com/openai/v1,ollama=http://127.0.0.1:11434/v1',
        }),
      ),
    )
    .default([]),
  KEYPOOL_GATEWAY_PRICES_FILE: z.string().min(1).optional(),
  KEYPOOL_GATEWAY_MAX_EVENT_BYTES: integer(1024, 64 * 1024 * 1024).default(1024 * 1024),
  KEYPOOL_CORS_ORIGINS: z
    .string()
    .transform(list)
    .pipe(
      z.array(
        z.string().refine(isWebOrigin, {
          message: 'must list web origins (scheme, host and port, no path), e.g. https://bifrost.example.com,http://localhost:3000',
        }),
      ),
    )
    .default([]),
  KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS: z
    .string()
    .transform(list)
    .pipe(
      z.array(
        z.string().refine(isAllowedUpstreamEntry, {
          message: 'must list host names, IP addresses or CIDRs, e.g. ollama.lan,127.0.0.1,10.0.0.0/8,fd00::/8',
        }),
      ),
    )
    .default([]),
  KEYPOOL_ENV_ALLOWLIST: z
    .string()
    .transform(list)
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'must list environment variable names (letters, digits, _)' })
          .refine((name) => !isServerVariable(name), {
            message: 'must not list keypool\'s own variables (KEYPOOL_*, DATABASE_URL, PG*): a key could read the server\'s secrets',
          }),
      ),
    )
    .default([]),
});

const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A host name, an IP address, or a CIDR with a prefix length that fits its family. */
function isAllowedUpstreamEntry(entry: string): boolean {
  const [address, bits, ...more] = entry.split('/');
  if (more.length > 0) return false;
  const family = isIP(address);
  if (bits === undefined) return family !== 0 || HOST_NAME.test(address);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** The operator's allow-list, split into names and networks. */
function allowList(entries: string[]): UpstreamAllowList {
  const isAddress = (e: string) => isIP(e.split('/')[0]) !== 0;
  return { hosts: entries.filter((e) => !isAddress(e)), cidrs: entries.filter(isAddress) };
}

/** The largest non-streamed upstream answer the gateway relays. */
export const GATEWAY_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The gateway's price table, from the operator's JSON file; problems are added to the list. */
function loadPrices(file: string | undefined, problems: string[]) {
  if (file === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    problems.push(`KEYPOOL_GATEWAY_PRICES_FILE ${file} cannot be read as JSON: ${(e as Error).message}`);
    return {};
  }
  const parsed = parsePriceTable(json);
  if ('problems' in parsed) {
    problems.push(...parsed.problems.map((p) => `KEYPOOL_GATEWAY_PRICES_FILE ${p}`));
    return {};
  }
  return parsed.table;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

const REQUIRED_WITH_DATABASE_URL = ['KEYPOOL_ADMIN_TOKEN', 'KEYPOOL_ENCRYPTION_KEYS', 'KEYPOOL_JWT_SECRET'] as const;

/**
 * Reads and validates the environment. With DATABASE_URL unset, missing
 * secrets are generated once and kept in the data dir (mode 0600); with it
 * set, a missing secret is an error naming the variable.
 */
/** OTEL_EXPORTER_OTLP_HEADERS as the specification writes it: `name=value,name2=value2`, values percent-encoded. */
function parseOtlpHeaders(text: string | undefined, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (text === undefined) return headers;
  for (const [i, pair] of text.split(',').entries()) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    if (at < 1 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      // Its value is never repeated: it may be a collector's API key.
      problems.push(`OTEL_EXPORTER_OTLP_HEADERS entry ${i + 1} must be name=value`);
      continue;
    }
    try {
      headers[name.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      problems.push(`OTEL_EXPORTER_OTLP_HEADERS entry ${i + 1} has a malformed percent-encoding`);
    }
  }
  return headers;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]),
  );
  const parsed = envSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    // A list's entry is named by its place, never by its value (a list may hold secrets).
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.map((p) => (typeof p === 'number' ? `(entry ${p + 1})` : String(p))).join(' ')} ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.KEYPOOL_UNHEALTHY_AFTER < e.KEYPOOL_DEGRADED_AFTER) {
    problems.push('KEYPOOL_UNHEALTHY_AFTER must not be lower than KEYPOOL_DEGRADED_AFTER');
  }
  const dataDir = resolve(e.KEYPOOL_DATA_DIR);
  let generated: DataDirSecrets | null = null;
  if (e.DATABASE_URL) {
    for (const name of REQUIRED_WITH_DATABASE_URL) {
      if (e[name] === undefined) problems.push(`${name} is required when DATABASE_URL is set (no secret is generated for an external database)`);
    }
  }
  const prices = loadPrices(e.KEYPOOL_GATEWAY_PRICES_FILE, problems);
  const otlpHeaders = parseOtlpHeaders(e.OTEL_EXPORTER_OTLP_HEADERS, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!e.DATABASE_URL) generated = loadOrCreateDataDirSecrets(dataDir);

  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir,
    adminToken: e.KEYPOOL_ADMIN_TOKEN ?? generated!.adminToken,
    encryptionKeys: e.KEYPOOL_ENCRYPTION_KEYS ?? [generated!.encryptionKey],
    jwtSecrets: e.KEYPOOL_JWT_SECRET ?? [generated!.jwtSecret],
    logLevel: e.LOG_LEVEL,
    leaseTtlSeconds: e.KEYPOOL_LEASE_TTL_SECONDS,
    health: {
      degradedAfter: e.KEYPOOL_DEGRADED_AFTER,
      unhealthyAfter: e.KEYPOOL_UNHEALTHY_AFTER,
      probeCooldownMs: e.KEYPOOL_PROBE_COOLDOWN_MS,
      probeCooldownMaxMs: e.KEYPOOL_PROBE_COOLDOWN_MAX_MS,
      rateLimitCooldownMs: e.KEYPOOL_RATE_LIMIT_COOLDOWN_MS,
    },
    graphqlLimits: {
      maxCost: e.KEYPOOL_GRAPHQL_MAX_COST,
      maxDepth: e.KEYPOOL_GRAPHQL_MAX_DEPTH,
      maxAliases: e.KEYPOOL_GRAPHQL_MAX_ALIASES,
      maxRootFields: e.KEYPOOL_GRAPHQL_MAX_ROOT_FIELDS,
      maxLeases: e.KEYPOOL_GRAPHQL_MAX_LEASES,
      maxTokens: e.KEYPOOL_GRAPHQL_MAX_TOKENS,
    },
    requestTimeoutMs: e.KEYPOOL_REQUEST_TIMEOUT_MS,
    websocket: { maxSubscriptions: e.KEYPOOL_WS_MAX_SUBSCRIPTIONS, maxPayloadBytes: e.KEYPOOL_WS_MAX_PAYLOAD_BYTES },
    metricsToken: e.KEYPOOL_METRICS_TOKEN ?? null,
    databaseWaitSeconds: e.KEYPOOL_DATABASE_WAIT_SECONDS,
    billing: {
      enabled: e.KEYPOOL_BILLING_SYNC === 'on',
      intervalMs: e.KEYPOOL_BILLING_SYNC_INTERVAL * 1000,
      tickMs: e.KEYPOOL_BILLING_TICK_MS,
      concurrency: e.KEYPOOL_BILLING_CONCURRENCY,
      timeoutMs: e.KEYPOOL_BILLING_TIMEOUT_MS,
      openrouterUrl: e.KEYPOOL_BILLING_OPENROUTER_URL,
      falUrl: e.KEYPOOL_BILLING_FAL_URL,
    },
    usageRetentionDays: e.KEYPOOL_USAGE_RETENTION_DAYS,
    usageFeedIntervalMs: e.KEYPOOL_USAGE_FEED_MS,
    bookMaxAgeMs: e.KEYPOOL_POOL_REFRESH_MS,
    foldIntervalMs: e.KEYPOOL_POOL_FOLD_MS,
    gatherMs: e.KEYPOOL_POOL_GATHER_MS,
    keyCheck: { enabled: e.KEYPOOL_VALIDATE_KEYS === 'on', timeoutMs: e.KEYPOOL_VALIDATE_KEYS_TIMEOUT_MS },
    eventRetentionDays: e.KEYPOOL_EVENT_RETENTION_DAYS,
    auditRetentionDays: e.KEYPOOL_AUDIT_RETENTION_DAYS,
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT ?? null, serviceName: e.OTEL_SERVICE_NAME, headers: otlpHeaders },
    alerts: {
      dispatchIntervalMs: e.KEYPOOL_ALERT_DISPATCH_MS, timeoutMs: e.KEYPOOL_ALERT_TIMEOUT_MS, maxAttempts: e.KEYPOOL_ALERT_MAX_ATTEMPTS,
      retryBaseMs: e.KEYPOOL_ALERT_RETRY_MS, watchIntervalMs: e.KEYPOOL_ALERT_WATCH_MS,
    },
    gateway: {
      maxAttempts: e.KEYPOOL_GATEWAY_MAX_ATTEMPTS,
      timeoutMs: e.KEYPOOL_GATEWAY_TIMEOUT_MS,
      attemptTimeoutMs: e.KEYPOOL_GATEWAY_ATTEMPT_TIMEOUT_MS,
      connectTimeoutMs: e.KEYPOOL_GATEWAY_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.KEYPOOL_GATEWAY_IDLE_TIMEOUT_MS,
      maxRequestBytes: e.KEYPOOL_GATEWAY_MAX_BODY_BYTES,
      maxResponseBytes: GATEWAY_MAX_RESPONSE_BYTES,
      maxEventBytes: e.KEYPOOL_GATEWAY_MAX_EVENT_BYTES,
      baseUrls: Object.fromEntries(e.KEYPOOL_GATEWAY_BASE_URLS.map((pair) => {
        const at = pair.indexOf('=');
        return [pair.slice(0, at), pair.slice(at + 1).replace(/\/+$/, '')];
      })),
      prices,
    },
    allowedUpstreams: allowList(e.KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS),
    corsOrigins: e.KEYPOOL_CORS_ORIGINS.map((origin) => new URL(origin).origin),
    envReferences: { allowlist: e.KEYPOOL_ENV_ALLOWLIST, lookup: (name) => (e.KEYPOOL_ENV_ALLOWLIST.includes(name) ? nonEmpty(env[name]) : undefined) },
    secretsFile: generated?.file ?? null,
    embeddedPgPassword: generated?.pgPassword ?? null,
  };
}
