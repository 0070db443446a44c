/**
 * Bifrost's provider and key shapes <-> service DTOs. A key renders every
 * secret as { value, env_var, from_env }, redacted; `models` null renders as
 * ["*"] (every model), and ["*"] is stored as null.
 */
import { createHash } from 'node:crypto';
import type { IntegrationView, ReplaceKeyInput } from '../../modules/integrations/index.js';
import { snakeNames, type FieldNamer } from '../../platform/errors/app-error.js';
import { KEY_CONFIG_FIELDS, KEY_CONFIGS, type BrandProvider } from '../../modules/providers/index.js';
import { badRequest } from '../../platform/errors/app-error.js';
import { decimalText } from '../../platform/numbers/decimal.js';
import { rejectUnknownFields, type JsonObject } from '../request-fields.js';

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
  return NAMES[field] ?? snakeNames(field);
};

const KEY_FIELDS = [
  'id', 'name', 'value', 'models', 'blacklisted_models', 'weight', ...KEY_CONFIG_FIELDS, 'enabled', 'use_for_batch_api',
  // Server-owned: a client may send back what it read; they are ignored.
  'config_hash', 'status', 'description',
] as const;

export function toBifrostKey(v: IntegrationView, provider: BrandProvider) {
  const configField = provider.base.keyConfig ? KEY_CONFIGS[provider.base.keyConfig].field : null;
  const key: Record<string, unknown> = {
    id: v.keyId,
    name: v.keyLabel ?? '',
    value: v.keyView.value,
    models: v.models ?? ['*'],
    blacklisted_models: v.blacklistedModels,
    weight: Number(v.weight),
    ...(configField && v.keyView.config && { [configField]: v.keyView.config }),
    enabled: v.isActive,
    use_for_batch_api: v.useForBatchApi,
  };
  return {
    ...key,
    config_hash: createHash('sha256').update(JSON.stringify(key)).digest('hex'),
    status: v.healthStatus,
    ...(v.credentialError && { description: v.credentialError }),
  };
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

/** Parses a Key body; the key config of another provider's kind is refused rather than dropped. */
export function parseKeyBody(body: JsonObject, provider: BrandProvider): ReplaceKeyInput & { keyId?: string } {
  rejectUnknownFields(body, KEY_FIELDS);
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
  return {
    keyId: optional<string>(body, 'id', 'string'),
    keyLabel: optional<string>(body, 'name', 'string'),
    credentials: value === undefined || value === null ? {} : { api_key: value },
    providerConfig: configField ? body[configField] : undefined,
    isActive: optional<boolean>(body, 'enabled', 'boolean'),
    weight: typeof weight === 'number' ? (decimalText(weight) ?? undefined) : undefined,
    models: models && models.length === 1 && models[0] === '*' ? null : models,
    blacklistedModels: stringList(body, 'blacklisted_models'),
    useForBatchApi: optional<boolean>(body, 'use_for_batch_api', 'boolean'),
  };
}

export function toBifrostProvider(p: BrandProvider) {
  return {
    name: p.name,
    network_config: p.networkConfig,
    concurrency_and_buffer_size: p.concurrencyAndBufferSize,
    proxy_config: null,
    send_back_raw_request: false,
    send_back_raw_response: false,
    store_raw_request_response: false,
    ...(p.custom && { custom_provider_config: p.custom }),
    provider_status: 'active',
  };
}

const PROVIDER_FIELDS = ['provider', 'custom_provider_config', 'network_config', 'concurrency_and_buffer_size'] as const;
/** Bifrost settings keypool has no use for: accepted at their defaults so Bifrost scripts run, refused otherwise. */
const IGNORED_AT_DEFAULT = ['proxy_config', 'send_back_raw_request', 'send_back_raw_response', 'store_raw_request_response', 'openai_config', 'prompt_cache'] as const;

export function parseProviderBody(body: JsonObject) {
  rejectUnknownFields(body, [...PROVIDER_FIELDS, ...IGNORED_AT_DEFAULT]);
  for (const name of IGNORED_AT_DEFAULT) {
    const v = body[name];
    if (v !== undefined && v !== null && v !== false) throw badRequest(`${name} is not supported by keypool (send null or leave it out)`);
  }
  return {
    provider: body.provider,
    input: {
      customProviderConfig: body.custom_provider_config,
      networkConfig: body.network_config,
      concurrencyAndBufferSize: body.concurrency_and_buffer_size,
    },
  };
}
