/**
 * The built-in provider catalog, as data: one entry per provider. The entry
 * type is checked at compile time, so a provider without a label or without
 * credential fields does not build. Bifrost providers (openai, anthropic,
 * azure, bedrock, vertex, ollama, vllm, …) join as entries with the
 * 'bifrost' dialect and their key-config fields.
 */
export type ProviderDialect = 'integrations-v1' | 'bifrost';

export interface CredentialField {
  name: string;
  /** A hint of the format, as the documents show it (e.g. "sk-or-v1-..."). */
  example: string;
}

export interface ProviderEntry {
  label: string;
  credentialFields: readonly [CredentialField, ...CredentialField[]];
  dialects: readonly ProviderDialect[];
}

const apiKey = (example: string): readonly [CredentialField] => [{ name: 'api_key', example }];
const v1 = ['integrations-v1', 'bifrost'] as const;

/** The documented Integrations v1 providers, in the documents' order. */
export const V1_PROVIDER_NAMES = [
  'openrouter', 'groq', 'mistral', 'google_ai', 'fal_ai', 'cerebras', 'together', 'cohere',
  'cloudflare', 'nvidia_nim', 'fireworks', 'sambanova', 'huggingface', 'github_models', 'ai21', 'baseten',
] as const;

export type ProviderName = (typeof V1_PROVIDER_NAMES)[number];

export const PROVIDERS: { readonly [K in ProviderName]: ProviderEntry } = {
  openrouter: { label: 'OpenRouter', credentialFields: apiKey('sk-or-v1-...'), dialects: v1 },
  groq: { label: 'Groq', credentialFields: apiKey('gsk_...'), dialects: v1 },
  mistral: { label: 'Mistral', credentialFields: apiKey('...'), dialects: v1 },
  google_ai: { label: 'Google AI', credentialFields: apiKey('AIza...'), dialects: v1 },
  fal_ai: { label: 'fal.ai', credentialFields: apiKey('fal_...'), dialects: v1 },
  cerebras: { label: 'Cerebras', credentialFields: apiKey('csk-...'), dialects: v1 },
  together: { label: 'Together AI', credentialFields: apiKey('...'), dialects: v1 },
  cohere: { label: 'Cohere', credentialFields: apiKey('...'), dialects: v1 },
  cloudflare: {
    label: 'Cloudflare Workers AI',
    credentialFields: [{ name: 'api_key', example: '...' }, { name: 'account_id', example: '...' }],
    dialects: v1,
  },
  nvidia_nim: { label: 'NVIDIA NIM', credentialFields: apiKey('nvapi-...'), dialects: v1 },
  fireworks: { label: 'Fireworks AI', credentialFields: apiKey('fw_...'), dialects: v1 },
  sambanova: { label: 'SambaNova', credentialFields: apiKey('...'), dialects: v1 },
  huggingface: { label: 'Hugging Face', credentialFields: apiKey('hf_...'), dialects: v1 },
  github_models: { label: 'GitHub Models', credentialFields: apiKey('ghp_...'), dialects: v1 },
  ai21: { label: 'AI21 Labs', credentialFields: apiKey('...'), dialects: v1 },
  baseten: { label: 'Baseten', credentialFields: apiKey('...'), dialects: v1 },
};

export interface ProviderView extends ProviderEntry {
  name: ProviderName;
}

export const isProviderName = (name: string): name is ProviderName => Object.hasOwn(PROVIDERS, name);

export function findProvider(name: string): ProviderView | null {
  return isProviderName(name) ? { name, ...PROVIDERS[name] } : null;
}

export function listProviders(dialect?: ProviderDialect): ProviderView[] {
  return V1_PROVIDER_NAMES.map((name) => ({ name, ...PROVIDERS[name] })).filter((p) => !dialect || p.dialects.includes(dialect));
}

/** The exact documented message for an unknown provider, with the whole list. */
export const invalidProviderMessage = () => `Invalid provider_name. Supported: ${listProviders('integrations-v1').map((p) => p.name).join(', ')}`;
