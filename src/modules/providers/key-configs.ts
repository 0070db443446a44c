/**
 * Bifrost's per-provider key configs as data: which object a key of a
 * provider carries (azure_key_config, …), which of its fields are secrets
 * (a plain string, "env.NAME" or { value, env_var, from_env }) and which are
 * plain settings, and the one field some kinds cannot do without.
 */
export const KEY_CONFIG_KINDS = ['azure', 'vertex', 'bedrock', 'vllm', 'replicate', 'ollama', 'sgl'] as const;
export type KeyConfigKind = (typeof KEY_CONFIG_KINDS)[number];

/**
 * `secret`: a string, "env.NAME" or { value, env_var, from_env }, rendered redacted.
 * `setting`: the same forms, but not a secret (a URL, a region, an API version), rendered as it is.
 */
export type KeyConfigFieldType = 'secret' | 'setting' | 'string' | 'boolean' | 'stringMap' | 'stringList' | 'object';

/** A field that takes Bifrost's EnvVar forms (a string, "env.NAME" or { value, env_var, from_env }). */
export const isEnvVarField = (type: KeyConfigFieldType | undefined) => type === 'secret' || type === 'setting';

export interface KeyConfigSchema {
  /** The key's field that holds the config, e.g. "azure_key_config". */
  field: string;
  /** The provider as Bifrost's messages name it ("Azure keys"). */
  label: string;
  fields: Readonly<Record<string, KeyConfigFieldType>>;
  /** A field a key of this kind must have, with Bifrost's message. */
  required?: string;
}

export const KEY_CONFIGS: { readonly [K in KeyConfigKind]: KeyConfigSchema } = {
  azure: {
    field: 'azure_key_config',
    label: 'Azure',
    fields: {
      endpoint: 'setting', deployments: 'stringMap', api_version: 'setting', client_id: 'secret', client_secret: 'secret', tenant_id: 'secret', scopes: 'stringList',
    },
    required: 'endpoint',
  },
  vertex: {
    field: 'vertex_key_config',
    label: 'Vertex',
    fields: { project_id: 'setting', project_number: 'setting', region: 'setting', auth_credentials: 'secret', deployments: 'stringMap' },
  },
  bedrock: {
    field: 'bedrock_key_config',
    label: 'Bedrock',
    fields: {
      access_key: 'secret', secret_key: 'secret', session_token: 'secret', region: 'setting', arn: 'setting', deployments: 'stringMap', batch_s3_config: 'object',
      role_arn: 'setting', external_id: 'secret', session_name: 'setting',
    },
  },
  vllm: { field: 'vllm_key_config', label: 'VLLM', fields: { url: 'setting', model_name: 'string' }, required: 'url' },
  replicate: { field: 'replicate_key_config', label: 'Replicate', fields: { deployments: 'stringMap', use_deployments_endpoint: 'boolean' } },
  ollama: { field: 'ollama_key_config', label: 'Ollama', fields: { url: 'setting' }, required: 'url' },
  sgl: { field: 'sgl_key_config', label: 'SGL', fields: { url: 'setting' }, required: 'url' },
};

/** Every key-config field name of the Bifrost key, in the document's order. */
export const KEY_CONFIG_FIELDS = KEY_CONFIG_KINDS.map((kind) => KEY_CONFIGS[kind].field);

export const keyConfigKindOf = (field: string): KeyConfigKind | undefined => KEY_CONFIG_KINDS.find((k) => KEY_CONFIGS[k].field === field);
