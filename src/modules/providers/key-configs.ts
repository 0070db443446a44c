/**
 * Bifrost's per-provider key configs as data: which object a key of a
 * provider carries (azure_key_config, …), which of its fields are secrets
 * (a plain string, "env.NAME" or { value, env_var, from_env }) and which are
 * plain settings, and the one field some kinds cannot do without.
 */
export const KEY_CONFIG_KINDS = ['azure', 'vertex', 'bedrock', 'vllm', 'replicate', 'ollama', 'sgl'] as const;
export type KeyConfigKind = (typeof KEY_CONFIG_KINDS)[number];

export type KeyConfigFieldType = 'secret' | 'string' | 'stringMap' | 'stringList' | 'object';

export interface KeyConfigSchema {
  /** The key's field that holds the config, e.g. "azure_key_config". */
  field: string;
  /** The provider as Bifrost's messages name it ("Azure keys"). */
  label: string;
  fields: Readonly<Record<string, KeyConfigFieldType>>;
  /** A secret a key of this kind must have, with Bifrost's message. */
  required?: string;
}

export const KEY_CONFIGS: { readonly [K in KeyConfigKind]: KeyConfigSchema } = {
  azure: {
    field: 'azure_key_config',
    label: 'Azure',
    fields: {
      endpoint: 'secret', deployments: 'stringMap', api_version: 'secret', client_id: 'secret', client_secret: 'secret', tenant_id: 'secret', scopes: 'stringList',
    },
    required: 'endpoint',
  },
  vertex: {
    field: 'vertex_key_config',
    label: 'Vertex',
    fields: { project_id: 'secret', project_number: 'secret', region: 'secret', auth_credentials: 'secret', deployments: 'stringMap' },
  },
  bedrock: {
    field: 'bedrock_key_config',
    label: 'Bedrock',
    fields: {
      access_key: 'secret', secret_key: 'secret', session_token: 'secret', region: 'secret', arn: 'secret', deployments: 'stringMap', batch_s3_config: 'object',
    },
  },
  vllm: { field: 'vllm_key_config', label: 'VLLM', fields: { url: 'secret', model_name: 'string' }, required: 'url' },
  replicate: { field: 'replicate_key_config', label: 'Replicate', fields: { deployments: 'stringMap' } },
  ollama: { field: 'ollama_key_config', label: 'Ollama', fields: { url: 'secret' }, required: 'url' },
  sgl: { field: 'sgl_key_config', label: 'SGL', fields: { url: 'secret' }, required: 'url' },
};

/** Every key-config field name of the Bifrost key, in the document's order. */
export const KEY_CONFIG_FIELDS = KEY_CONFIG_KINDS.map((kind) => KEY_CONFIGS[kind].field);

export const keyConfigKindOf = (field: string): KeyConfigKind | undefined => KEY_CONFIG_KINDS.find((k) => KEY_CONFIGS[k].field === field);
