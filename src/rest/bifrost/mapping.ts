/**
 * Bifrost's provider and key shapes <-> service DTOs. A key renders every
 * secret as { value, env_var, from_env }, redacted (settings such as URLs,
 * regions and API versions as they are); `models` null renders as ["*"]
 * (every model), and ["*"] is stored as null. What each body may carry is a
 * Shape: fields outside it are ignored, as Bifrost ignores them.
 */
import type { IntegrationView, KeySummary, ProviderKeyInput } from '../../modules/keys/index.js';
import { badRequest, snakeNames, type FieldNamer } from '../../platform/errors/app-error.js';
import {
  isEnvVarField, KEY_CONFIG_FIELDS, KEY_CONFIG_KINDS, KEY_CONFIGS, type BrandProvider, type CustomProviderConfig, type NetworkConfig,
} from '../../modules/providers/index.js';
import { decimalText } from '../../platform/numbers/decimal.js';
import type { JsonObject } from '../request-fields.js';
import type { Shape } from './lenient-body.js';

const NAMES: Record<string, string> = {
  keyLabel: 'name',
  isActive: 'enabled',
  useForBatchApi: 'use_for_batch_api',
  blacklistedModels: 'blacklisted_models',
  keyId: 'id',
  credentials: 'value',
};

/** Field names as a Bifrost user wrote them. */
export const bifrostNames = (provider: BrandProvider): FieldNamer => (field) => {
  if (field === 'providerConfig') return provider.base.keyConfig ? KEY_CONFIGS[provider.base.keyConfig].field : 'key config';
  // A Bifrost key has one secret, its value.
  if (field.startsWith('credentials.')) return 'value';
  return NAMES[field] ?? snakeNames(field);
};

const ENV_VAR: Shape = { value: true, env_var: true, from_env: true };

/** A key as Bifrost's clients send it; `config_hash`, `status`, `description` and `health_status` are read back and ignored. */
export const KEY_SHAPE: Shape = {
  id: true, name: true, value: ENV_VAR, models: true, blacklisted_models: true, weight: true, enabled: true, use_for_batch_api: true, aliases: true,
  ...Object.fromEntries(KEY_CONFIG_KINDS.map((kind) => [
    KEY_CONFIGS[kind].field,
    Object.fromEntries(Object.entries(KEY_CONFIGS[kind].fields).map(([name, type]) => [name, isEnvVarField(type) ? ENV_VAR : true])),
  ])),
  config_hash: true, status: true, description: true, health_status: true,
};

const NETWORK_SHAPE: Shape = {
  base_url: true, extra_headers: true, default_request_timeout_in_seconds: true, max_retries: true, retry_backoff_initial: true, retry_backoff_max: true,
  insecure_skip_verify: true, ca_cert_pem: true, stream_idle_timeout_in_seconds: true, max_conns_per_host: true, enforce_http2: true,
  beta_header_overrides: true, allow_private_network: true,
};

/** A provider as Bifrost's clients send it, a provider read back from GET included. */
export const PROVIDER_SHAPE: Shape = {
  provider: true, name: true, keys: true,
  network_config: NETWORK_SHAPE,
  concurrency_and_buffer_size: { concurrency: true, buffer_size: true },
  custom_provider_config: { base_provider_type: true, is_key_less: true, allowed_requests: true, request_path_overrides: true },
  proxy_config: true, send_back_raw_request: true, send_back_raw_response: true, store_raw_request_response: true, openai_config: true, prompt_cache: true,
  provider_status: true, status: true, description: true, config_hash: true,
};

/**
 * Bifrost's key status, as near as keypool knows it: `success` once the key has served a
 * request, `list_models_failed` when it cannot serve (unhealthy, or its credential unreadable),
 * `unknown` before either. keypool's own health is `health_status`.
 */
function bifrostStatus(v: IntegrationView): { status: string; description?: string } {
  if (v.credentialError) return { status: 'list_models_failed', description: v.credentialError };
  if (v.healthStatus === 'unhealthy') return { status: 'list_models_failed', description: `keypool took the key out of the pool after failures${v.lastError ? ` (last: ${v.lastError})` : ''}` };
  return { status: v.lastUsedAt !== null ? 'success' : 'unknown' };
}

export function toBifrostKey(v: IntegrationView, provider: BrandProvider) {
  const configField = provider.base.keyConfig ? KEY_CONFIGS[provider.base.keyConfig].field : null;
  return {
    id: v.keyId,
    name: v.keyLabel ?? '',
    value: v.keyView.value,
    models: v.models ?? ['*'],
    blacklisted_models: v.blacklistedModels,
    weight: Number(v.weight),
    ...(configField && v.keyView.config && { [configField]: v.keyView.config }),
    enabled: v.isActive,
    use_for_batch_api: v.useForBatchApi,
    ...(Object.keys(v.aliases).length > 0 && { aliases: v.aliases }),
    ...bifrostStatus(v),
    health_status: v.healthStatus,
  };
}

/** A key as GET /api/keys lists it (Bifrost's TableKey: no secret, no config). */
export function toBifrostKeySummary(k: KeySummary) {
  return { key_id: k.keyId, name: k.keyLabel ?? '', provider: k.providerName, models: k.models ?? ['*'] };
}

const optional = <T>(body: JsonObject, name: string, type: 'string' | 'boolean'): T | undefined => {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw badRequest(`${name} must be a ${type}`);
  return v as T;
};

function stringList(body: JsonObject, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((m) => typeof m !== 'string')) throw badRequest(`${name} must be a list of strings`);
  return v as string[];
}

function aliasesOf(body: JsonObject): Record<string, string> | undefined {
  const v = body.aliases;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((m) => typeof m !== 'string')) {
    throw badRequest('aliases must be an object of model names, e.g. {"gpt-4o": "my-gpt-4o-deployment"}');
  }
  return v as Record<string, string>;
}

/**
 * A Key body (its unknown fields already dropped): each field left out or null is undefined, so
 * a create takes the defaults and an update keeps the stored value. The key config of another
 * provider's kind is refused rather than dropped.
 */
export function parseKeyBody(body: JsonObject, provider: BrandProvider): ProviderKeyInput & { keyId?: string } {
  const configField = provider.base.keyConfig ? KEY_CONFIGS[provider.base.keyConfig].field : null;
  for (const field of KEY_CONFIG_FIELDS) {
    if (field !== configField && body[field] !== undefined && body[field] !== null) {
      throw badRequest(`${field} is not accepted for ${provider.name} keys${configField ? ` (they take ${configField})` : ''}`);
    }
  }
  const weight = body.weight;
  if (weight !== undefined && weight !== null && (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)) {
    throw badRequest('weight must be a finite number of at least 0');
  }
  const models = stringList(body, 'models');
  const value = body.value;
  if (value !== undefined && value !== null && typeof value !== 'string' && (typeof value !== 'object' || Array.isArray(value))) {
    throw badRequest('value must be a string, "env.NAME", or {"value", "env_var", "from_env"}');
  }
  return {
    keyId: optional<string>(body, 'id', 'string'),
    keyLabel: optional<string>(body, 'name', 'string'),
    // An empty value is no value, as Bifrost reads it (a PUT keeps the stored secret; a POST has none).
    credentials: value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? undefined : { api_key: value },
    providerConfig: configField ? (body[configField] ?? undefined) : undefined,
    isActive: optional<boolean>(body, 'enabled', 'boolean'),
    weight: typeof weight === 'number' ? (decimalText(weight) ?? undefined) : undefined,
    models: models && models.length === 1 && models[0] === '*' ? null : models,
    blacklistedModels: stringList(body, 'blacklisted_models'),
    useForBatchApi: optional<boolean>(body, 'use_for_batch_api', 'boolean'),
    aliases: aliasesOf(body),
  };
}

/** Bifrost's network_config: every option, ca_cert_pem only when set. */
function toBifrostNetwork(n: NetworkConfig) {
  const { ca_cert_pem: ca, ...rest } = n;
  return { ...rest, ...(ca !== undefined && { ca_cert_pem: ca }) };
}

/** Unset members of custom_provider_config are left out, as Bifrost leaves them out. */
function toBifrostCustom(c: CustomProviderConfig) {
  return {
    base_provider_type: c.base_provider_type,
    is_key_less: c.is_key_less,
    ...(c.allowed_requests !== null && { allowed_requests: c.allowed_requests }),
    ...(c.request_path_overrides !== null && { request_path_overrides: c.request_path_overrides }),
  };
}

export function toBifrostProvider(p: BrandProvider) {
  return {
    name: p.name,
    network_config: toBifrostNetwork(p.networkConfig),
    concurrency_and_buffer_size: p.concurrencyAndBufferSize,
    proxy_config: null,
    send_back_raw_request: false,
    send_back_raw_response: false,
    store_raw_request_response: false,
    ...(p.custom && { custom_provider_config: toBifrostCustom(p.custom) }),
    provider_status: 'active',
  };
}

/** Bifrost settings keypool does not do: accepted at their defaults (what keypool returns, or an empty form), refused otherwise. */
const IGNORED_AT_DEFAULT = ['proxy_config', 'send_back_raw_request', 'send_back_raw_response', 'store_raw_request_response', 'openai_config', 'prompt_cache'] as const;

/** Go's zero values, and objects of nothing else: what a form sends for a setting left alone. A proxy of type "none" is none. */
function isDefaultValue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.entries(v).every(([k, inner]) => isDefaultValue(inner) || (k === 'type' && inner === 'none'));
  return false;
}

export const KEYS_ON_PROVIDER_ROUTE = 'keys are not accepted on this endpoint; use POST/PUT /api/providers/{provider}/keys[/{key_id}] to manage keys';

/**
 * A provider body (its unknown fields already dropped). What a provider read back carries is
 * accepted and ignored (`provider_status`, `status`, `description`, `config_hash`, an empty
 * `keys`, a `name` that is the provider's); keys themselves are refused, in Bifrost's words.
 */
export function parseProviderBody(body: JsonObject, pathProvider?: string) {
  const keys = body.keys;
  if (keys !== undefined && keys !== null && !(Array.isArray(keys) && keys.length === 0)) throw badRequest(KEYS_ON_PROVIDER_ROUTE);
  for (const name of IGNORED_AT_DEFAULT) {
    if (!isDefaultValue(body[name])) throw badRequest(`${name} is not supported by keypool (send null or leave it out)`);
  }
  const provider = body.provider ?? pathProvider ?? body.name;
  if (pathProvider !== undefined && body.provider !== undefined && body.provider !== pathProvider) throw badRequest('provider in the body must match the provider in the path');
  if (body.name !== undefined && body.name !== null && body.name !== provider) {
    throw badRequest(pathProvider !== undefined ? 'name in the body must match the provider in the path' : 'name in the body must match provider');
  }
  return {
    provider,
    input: {
      customProviderConfig: body.custom_provider_config,
      networkConfig: body.network_config,
      concurrencyAndBufferSize: body.concurrency_and_buffer_size,
    },
  };
}
