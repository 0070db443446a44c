/**
 * The built-in provider catalog, as data: one entry per provider. The entry
 * type is checked at compile time, so a provider without a label or without
 * credential fields does not build. The 16 providers of the Integrations v1
 * documents come first, then Bifrost's standard providers; every dialect
 * accepts all of them.
 */
import type { KeyConfigKind } from './key-configs.js';

export interface CredentialField {
  name: string;
  /** What the provider itself calls it on its console ("API key", "API token", "Account ID"). */
  label: string;
  /** A hint of the format, as the documents show it (e.g. "sk-or-v1-..."). */
  example: string;
  /** The field may be omitted or empty (e.g. an Azure key that signs in with client credentials). */
  optional?: boolean;
}

export interface ProviderEntry {
  label: string;
  credentialFields: readonly [CredentialField, ...CredentialField[]];
  /** The Bifrost key config a key of this provider carries (azure_key_config, …). */
  keyConfig?: KeyConfigKind;
  /** The provider has a billing API keypool syncs balance and usage from (billing/ has its adapter). */
  billingApi?: true;
}

const apiKey = (example: string, label = 'API key'): readonly [CredentialField] => [{ name: 'api_key', label, example }];
/** Providers whose key value may be empty (Bifrost's CanProviderKeyValueBeEmpty). */
const optionalApiKey: readonly [CredentialField] = [{ name: 'api_key', label: 'API key', example: '...', optional: true }];

/** The documented Integrations v1 providers, in the documents' order. */
export const V1_PROVIDER_NAMES = [
  'openrouter', 'groq', 'mistral', 'google_ai', 'fal_ai', 'cerebras', 'together', 'cohere',
  'cloudflare', 'nvidia_nim', 'fireworks', 'sambanova', 'huggingface', 'github_models', 'ai21', 'baseten',
] as const;

/** Bifrost's standard providers that the v1 documents do not list. */
export const BIFROST_PROVIDER_NAMES = [
  'openai', 'anthropic', 'azure', 'bedrock', 'vertex', 'gemini', 'ollama', 'sgl', 'vllm', 'replicate',
  'xai', 'perplexity', 'parasail', 'nebius', 'elevenlabs', 'runway', 'deepseek',
] as const;

export const PROVIDER_NAMES = [...V1_PROVIDER_NAMES, ...BIFROST_PROVIDER_NAMES] as const;

/** Every standard provider of Bifrost's (those the v1 documents list too included): what Bifrost's provider list starts from. */
export const BIFROST_STANDARD_PROVIDERS: readonly ProviderName[] = [
  ...BIFROST_PROVIDER_NAMES, 'groq', 'mistral', 'cohere', 'cerebras', 'openrouter', 'huggingface',
];

export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const PROVIDERS: { readonly [K in ProviderName]: ProviderEntry } = {
  openrouter: { label: 'OpenRouter', credentialFields: apiKey('sk-or-v1-...'), billingApi: true },
  groq: { label: 'Groq', credentialFields: apiKey('gsk_...') },
  mistral: { label: 'Mistral', credentialFields: apiKey('...') },
  google_ai: { label: 'Google AI', credentialFields: apiKey('AIza...') },
  fal_ai: { label: 'fal.ai', credentialFields: apiKey('fal_...'), billingApi: true },
  cerebras: { label: 'Cerebras', credentialFields: apiKey('csk-...') },
  together: { label: 'Together AI', credentialFields: apiKey('...') },
  cohere: { label: 'Cohere', credentialFields: apiKey('...') },
  cloudflare: {
    label: 'Cloudflare Workers AI',
    credentialFields: [{ name: 'api_key', label: 'API token', example: '...' }, { name: 'account_id', label: 'Account ID', example: '...' }],
  },
  nvidia_nim: { label: 'NVIDIA NIM', credentialFields: apiKey('nvapi-...', 'API key (nvapi-)') },
  fireworks: { label: 'Fireworks AI', credentialFields: apiKey('fw_...') },
  sambanova: { label: 'SambaNova', credentialFields: apiKey('...') },
  huggingface: { label: 'Hugging Face', credentialFields: apiKey('hf_...', 'Access token') },
  github_models: { label: 'GitHub Models', credentialFields: apiKey('ghp_...', 'Personal access token') },
  ai21: { label: 'AI21 Labs', credentialFields: apiKey('...') },
  baseten: { label: 'Baseten', credentialFields: apiKey('...') },
  openai: { label: 'OpenAI', credentialFields: apiKey('sk-...') },
  anthropic: { label: 'Anthropic', credentialFields: apiKey('sk-ant-...') },
  azure: { label: 'Azure OpenAI', credentialFields: optionalApiKey, keyConfig: 'azure' },
  bedrock: { label: 'AWS Bedrock', credentialFields: optionalApiKey, keyConfig: 'bedrock' },
  vertex: { label: 'Google Vertex AI', credentialFields: optionalApiKey, keyConfig: 'vertex' },
  gemini: { label: 'Google Gemini', credentialFields: apiKey('AIza...') },
  ollama: { label: 'Ollama', credentialFields: optionalApiKey, keyConfig: 'ollama' },
  sgl: { label: 'SGLang', credentialFields: optionalApiKey, keyConfig: 'sgl' },
  vllm: { label: 'vLLM', credentialFields: optionalApiKey, keyConfig: 'vllm' },
  replicate: { label: 'Replicate', credentialFields: apiKey('r8_...', 'API token'), keyConfig: 'replicate' },
  xai: { label: 'xAI', credentialFields: apiKey('xai-...') },
  perplexity: { label: 'Perplexity', credentialFields: apiKey('pplx-...') },
  parasail: { label: 'Parasail', credentialFields: apiKey('...') },
  nebius: { label: 'Nebius AI Studio', credentialFields: apiKey('...') },
  elevenlabs: { label: 'ElevenLabs', credentialFields: apiKey('sk_...') },
  runway: { label: 'Runway', credentialFields: apiKey('key_...') },
  deepseek: { label: 'DeepSeek', credentialFields: apiKey('sk-...') },
};

export interface ProviderView extends ProviderEntry {
  name: ProviderName;
}

export const isProviderName = (name: string): name is ProviderName => Object.hasOwn(PROVIDERS, name);

export function findProvider(name: string): ProviderView | null {
  return isProviderName(name) ? { name, ...PROVIDERS[name] } : null;
}

export function listProviders(): ProviderView[] {
  return PROVIDER_NAMES.map((name) => ({ name, ...PROVIDERS[name] }));
}

/** The exact documented message for an unknown provider, with the whole list (and the brand's own, when given). */
export const invalidProviderMessage = (custom: readonly string[] = []) =>
  `Invalid provider_name. Supported: ${[...PROVIDER_NAMES, ...custom].join(', ')}`;
