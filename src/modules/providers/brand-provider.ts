/**
 * A provider as one brand sees it: a standard provider of the catalog (with
 * the brand's network settings, if it set any) or one of the brand's custom
 * providers, built on a standard one and maybe keyless. Validation of the
 * provider payloads, in Bifrost's field names, lives here too.
 */
import { badRequest } from '../../platform/errors/app-error.js';
import { sayableFieldNames } from '../../platform/input/names.js';
import { findProvider, isProviderName, type ProviderView } from './catalog.js';
import type { ProviderConfigRow } from './provider-config.repository.js';

/**
 * Bifrost's network options, every one stored and returned. The gateway honours base_url,
 * extra_headers, the two timeouts and the retries (see upstreamSettingsOf); the others
 * (TLS, connection pool, HTTP/2, beta headers) are kept for Bifrost's clients only.
 */
export interface NetworkConfig {
  base_url: string;
  extra_headers: Record<string, string>;
  default_request_timeout_in_seconds: number;
  max_retries: number;
  /** Milliseconds (Bifrost also takes a Go duration, "500ms"). */
  retry_backoff_initial: number;
  retry_backoff_max: number;
  insecure_skip_verify: boolean;
  /** A PEM certificate or "env.NAME"; absent when unset. */
  ca_cert_pem?: string;
  stream_idle_timeout_in_seconds: number;
  max_conns_per_host: number;
  enforce_http2: boolean;
  beta_header_overrides: Record<string, boolean>;
}

/** The network options the gateway honours, as a lease hands them out (null: keypool's default). */
export interface UpstreamSettings {
  baseUrl: string | null;
  extraHeaders: Record<string, string>;
  /** One attempt's wait for the upstream's answer to start. */
  requestTimeoutMs: number | null;
  /** The longest silence inside an answer. */
  idleTimeoutMs: number | null;
  /** Extra attempts after a transient failure (each on another key), with backoff between them. */
  maxRetries: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface ConcurrencyAndBufferSize {
  concurrency: number;
  buffer_size: number;
}

export interface CustomProviderConfig {
  base_provider_type: string;
  is_key_less: boolean;
  allowed_requests: Record<string, boolean> | null;
  request_path_overrides: Record<string, string> | null;
}

export interface BrandProvider {
  name: string;
  label: string;
  /** The standard provider this one is, or is built on: its credential fields and key config apply. */
  base: ProviderView;
  custom: CustomProviderConfig | null;
  keyless: boolean;
  networkConfig: NetworkConfig;
  concurrencyAndBufferSize: ConcurrencyAndBufferSize;
  /** Where requests for this provider go, when the brand set it (network_config.base_url). */
  baseUrl: string | null;
}

export const DEFAULT_NETWORK_CONFIG: NetworkConfig = {
  base_url: '',
  extra_headers: {},
  default_request_timeout_in_seconds: 30,
  max_retries: 0,
  retry_backoff_initial: 500,
  retry_backoff_max: 5000,
  insecure_skip_verify: false,
  stream_idle_timeout_in_seconds: 60,
  max_conns_per_host: 5000,
  enforce_http2: false,
  beta_header_overrides: {},
};
const NETWORK_FIELDS = [...Object.keys(DEFAULT_NETWORK_CONFIG), 'ca_cert_pem'];

/**
 * The options the gateway honours from a brand's stored network_config (null: the brand set
 * none, so keypool's defaults apply throughout).
 */
export function upstreamSettingsOf(stored: Partial<NetworkConfig> | null): UpstreamSettings {
  const seconds = (v: unknown) => (typeof v === 'number' && v > 0 ? v * 1000 : null);
  return {
    baseUrl: typeof stored?.base_url === 'string' && stored.base_url !== '' ? stored.base_url : null,
    extraHeaders: stored?.extra_headers ?? {},
    requestTimeoutMs: seconds(stored?.default_request_timeout_in_seconds),
    idleTimeoutMs: seconds(stored?.stream_idle_timeout_in_seconds),
    maxRetries: typeof stored?.max_retries === 'number' ? stored.max_retries : 0,
    backoffInitialMs: stored?.retry_backoff_initial || DEFAULT_NETWORK_CONFIG.retry_backoff_initial,
    backoffMaxMs: stored?.retry_backoff_max || DEFAULT_NETWORK_CONFIG.retry_backoff_max,
  };
}
export const DEFAULT_CONCURRENCY: ConcurrencyAndBufferSize = { concurrency: 1000, buffer_size: 5000 };

/** What a provider name may look like (standard names do; a custom one must). */
export const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toBrandProvider(name: string, row: ProviderConfigRow | null): BrandProvider | null {
  const base = findProvider(row?.custom ? row.baseProviderType : name);
  if (!base || (!row?.custom && !isProviderName(name))) return null;
  const networkConfig = { ...DEFAULT_NETWORK_CONFIG, ...(row?.networkConfig ?? {}) } as NetworkConfig;
  const custom: CustomProviderConfig | null = row?.custom
    ? {
        base_provider_type: row.baseProviderType,
        is_key_less: row.isKeyLess,
        allowed_requests: row.allowedRequests ?? null,
        request_path_overrides: row.requestPathOverrides ?? null,
      }
    : null;
  return {
    name,
    label: custom ? name : base.label,
    base,
    custom,
    keyless: custom?.is_key_less ?? false,
    networkConfig,
    concurrencyAndBufferSize: { ...DEFAULT_CONCURRENCY, ...(row?.concurrencyAndBufferSize ?? {}) },
    baseUrl: networkConfig.base_url === '' ? null : networkConfig.base_url,
  };
}

/** A keyless provider has no keys: adding, replacing or deleting one is refused in Bifrost's words. */
export function assertKeysAllowed(provider: BrandProvider, verb: 'add' | 'update' | 'delete'): void {
  if (provider.keyless) throw badRequest(`Cannot ${verb} keys ${verb === 'add' ? 'to' : 'on'} a keyless provider`);
}

export function checkCustomProviderName(name: string): void {
  if (isProviderName(name.toLowerCase())) throw badRequest('Custom provider cannot be same as a standard provider');
  if (!PROVIDER_NAME.test(name)) throw badRequest('provider must be 1 to 64 letters, digits, "_", "-" or ".", starting with a letter or digit');
}

function integerIn(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`${path} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function rejectUnknown(value: Record<string, unknown>, path: string, accepted: readonly string[]): void {
  const unknown = Object.keys(value).filter((k) => !accepted.includes(k));
  if (unknown.length > 0) throw badRequest(`${path} has unknown field${unknown.length > 1 ? 's' : ''} ${sayableFieldNames(unknown)} (accepted: ${accepted.join(', ')})`);
}

export function parseBaseUrl(value: unknown, path: string): string {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string' || value.length > 2048) throw badRequest(`${path} must be an http or https URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(`${path} must be an http or https URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest(`${path} must be an http or https URL`);
  if (url.username !== '' || url.password !== '') throw badRequest(`${path} must not carry a user or password`);
  return value.replace(/\/+$/, '');
}

export const MAX_EXTRA_HEADERS = 32;
export const MAX_EXTRA_HEADER_BYTES = 8 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Headers sent with every request to the provider: a few, small, and each a valid HTTP header (no line breaks). */
function parseExtraHeaders(value: unknown): Record<string, string> {
  const path = 'network_config.extra_headers';
  if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw badRequest(`${path} must be an object of strings`);
  const entries = Object.entries(value as Record<string, string>);
  if (entries.length > MAX_EXTRA_HEADERS) throw badRequest(`${path} may hold at most ${MAX_EXTRA_HEADERS} headers`);
  const at = entries.findIndex(([name, v]) => !HEADER_NAME.test(name) || !HEADER_VALUE.test(v));
  if (at >= 0) throw badRequest(`${path} entry ${at + 1} is not a valid HTTP header: a name of letters, digits and !#$%&'*+.^_\`|~- (at most 128), a value without line breaks`);
  const bytes = entries.reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + Buffer.byteLength(v), 0);
  if (bytes > MAX_EXTRA_HEADER_BYTES) throw badRequest(`${path} may hold at most ${MAX_EXTRA_HEADER_BYTES} bytes of names and values`);
  return value as Record<string, string>;
}

const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A backoff in milliseconds: a whole number, or a Go duration ("500ms", "1.5s", "1m30s") as Bifrost takes it; 0 keeps the default. */
function backoffMs(value: unknown, name: 'retry_backoff_initial' | 'retry_backoff_max'): number {
  const path = `network_config.${name}`;
  if (value === undefined || value === null) return DEFAULT_NETWORK_CONFIG[name];
  let ms: number;
  if (typeof value === 'string') {
    if (!GO_DURATION.test(value)) throw badRequest(`${path} must be whole milliseconds or a duration such as "500ms", "5s" or "1m"`);
    ms = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * GO_UNIT_MS[unit], 0);
    ms = Math.round(ms);
  } else {
    ms = integerIn(value, path, 0, 3_600_000);
  }
  if (ms > 3_600_000) throw badRequest(`${path} must be at most one hour`);
  return ms === 0 ? DEFAULT_NETWORK_CONFIG[name] : ms;
}

function booleanMap(value: unknown, path: string): Record<string, boolean> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== 'boolean')) throw badRequest(`${path} must be an object of booleans`);
  if (Object.keys(value).length > 64 || Object.keys(value).some((k) => k.length > 128)) throw badRequest(`${path} may hold at most 64 names of at most 128 characters`);
  return value as Record<string, boolean>;
}

const MAX_CA_CERT_BYTES = 64 * 1024;

/** A certificate (PEM, public) or "env.NAME", as a string or Bifrost's { value, env_var, from_env }. */
function caCertPem(value: unknown): string | undefined {
  const path = 'network_config.ca_cert_pem';
  if (value === undefined || value === null || value === '') return undefined;
  let text: unknown = value;
  if (isPlainObject(value)) text = value.from_env === true ? value.env_var : value.value;
  if (text === undefined || text === null || text === '') return undefined;
  if (typeof text !== 'string') throw badRequest(`${path} must be a PEM certificate or "env.NAME"`);
  if (Buffer.byteLength(text) > MAX_CA_CERT_BYTES) throw badRequest(`${path} may be at most ${MAX_CA_CERT_BYTES} bytes`);
  if (!text.startsWith('env.') && !text.includes('-----BEGIN CERTIFICATE-----')) throw badRequest(`${path} must be a PEM certificate or "env.NAME"`);
  return text;
}

/**
 * Every Bifrost network option, checked; a 0 (Go's zero value) means the default, as in Bifrost.
 * An option keypool cannot honour in the way asked is refused: allow_private_network (the
 * operator allows private upstreams, KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS).
 */
export function parseNetworkConfig(input: unknown): NetworkConfig | undefined {
  if (input === undefined || input === null) return undefined;
  if (!isPlainObject(input)) throw badRequest('network_config must be an object');
  if (input.allow_private_network === true) {
    throw badRequest('network_config.allow_private_network is for the operator to decide: list the host in KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS');
  }
  const { allow_private_network: _operatorDecides, ...rest } = input;
  rejectUnknown(rest, 'network_config', NETWORK_FIELDS);
  const headers = parseExtraHeaders(input.extra_headers ?? {});
  const number = (name: keyof NetworkConfig, min: number, max: number) =>
    input[name] === undefined || input[name] === null || input[name] === 0 ? (DEFAULT_NETWORK_CONFIG[name] as number) : integerIn(input[name], `network_config.${name}`, min, max);
  const flag = (name: 'insecure_skip_verify' | 'enforce_http2') => {
    const v = input[name];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw badRequest(`network_config.${name} must be a boolean`);
    return v;
  };
  const ca = caCertPem(input.ca_cert_pem);
  const initial = backoffMs(input.retry_backoff_initial, 'retry_backoff_initial');
  const max = backoffMs(input.retry_backoff_max, 'retry_backoff_max');
  if (initial > max) throw badRequest('network_config.retry_backoff_initial must not be more than retry_backoff_max');
  return {
    base_url: parseBaseUrl(input.base_url, 'network_config.base_url'),
    extra_headers: headers,
    default_request_timeout_in_seconds: number('default_request_timeout_in_seconds', 0, 3600),
    max_retries: input.max_retries === undefined || input.max_retries === null ? 0 : integerIn(input.max_retries, 'network_config.max_retries', 0, 100),
    retry_backoff_initial: initial,
    retry_backoff_max: max,
    insecure_skip_verify: flag('insecure_skip_verify'),
    ...(ca !== undefined && { ca_cert_pem: ca }),
    stream_idle_timeout_in_seconds: number('stream_idle_timeout_in_seconds', 0, 3600),
    max_conns_per_host: number('max_conns_per_host', 0, 10_000),
    enforce_http2: flag('enforce_http2'),
    beta_header_overrides: booleanMap(input.beta_header_overrides, 'network_config.beta_header_overrides'),
  };
}

export function parseConcurrency(input: unknown): ConcurrencyAndBufferSize | undefined {
  if (input === undefined || input === null) return undefined;
  if (!isPlainObject(input)) throw badRequest('concurrency_and_buffer_size must be an object');
  rejectUnknown(input, 'concurrency_and_buffer_size', ['concurrency', 'buffer_size']);
  return {
    concurrency: input.concurrency === undefined ? DEFAULT_CONCURRENCY.concurrency : integerIn(input.concurrency, 'concurrency_and_buffer_size.concurrency', 1, 100_000),
    buffer_size: input.buffer_size === undefined ? DEFAULT_CONCURRENCY.buffer_size : integerIn(input.buffer_size, 'concurrency_and_buffer_size.buffer_size', 1, 1_000_000),
  };
}

export function parseCustomProviderConfig(input: unknown): CustomProviderConfig | undefined {
  if (input === undefined || input === null) return undefined;
  if (!isPlainObject(input)) throw badRequest('custom_provider_config must be an object');
  rejectUnknown(input, 'custom_provider_config', ['base_provider_type', 'is_key_less', 'allowed_requests', 'request_path_overrides']);
  const base = input.base_provider_type;
  if (typeof base !== 'string' || base === '') throw badRequest('custom_provider_config.base_provider_type is required');
  if (!isProviderName(base)) throw badRequest('custom_provider_config.base_provider_type must be a standard provider (one of GET /api/providers that is not custom)');
  const keyless = input.is_key_less ?? false;
  if (typeof keyless !== 'boolean') throw badRequest('custom_provider_config.is_key_less must be a boolean');
  if (keyless && base === 'bedrock') throw badRequest('Bedrock-based custom providers cannot be keyless');
  const allowed = input.allowed_requests ?? null;
  if (allowed !== null && (!isPlainObject(allowed) || Object.values(allowed).some((v) => typeof v !== 'boolean'))) {
    throw badRequest('custom_provider_config.allowed_requests must be an object of booleans');
  }
  const overrides = input.request_path_overrides ?? null;
  if (overrides !== null && (!isPlainObject(overrides) || Object.values(overrides).some((v) => typeof v !== 'string'))) {
    throw badRequest('custom_provider_config.request_path_overrides must be an object of strings');
  }
  return {
    base_provider_type: base,
    is_key_less: keyless,
    allowed_requests: allowed as Record<string, boolean> | null,
    request_path_overrides: overrides as Record<string, string> | null,
  };
}
