/**
 * The built-in provider catalog, as data: one entry per provider. The entry
 * type is checked at compile time, so a provider without a label or without
 * credential fields does not build.
 */
export interface CredentialField {
  name: string;
  /** A hint of the format, as the documents show it (e.g. "sk-or-v1-..."). */
  example: string;
}

export interface ProviderEntry {
  label: string;
  credentialFields: readonly [CredentialField, ...CredentialField[]];
}

const apiKey = (example: string): readonly [CredentialField] => [{ name: 'api_key', example }];

/** The documented Integrations v1 providers, in the documents' order. */
export const V1_PROVIDER_NAMES = [
  'openrouter', 'groq', 'mistral', 'google_ai', 'fal_ai', 'cerebras', 'together', 'cohere',
  'cloudflare', 'nvidia_nim', 'fireworks', 'sambanova', 'huggingface', 'github_models', 'ai21', 'baseten',
] as const;

export type ProviderName = (typeof V1_PROVIDER_NAMES)[number];

export const PROVIDERS: { readonly [K in ProviderName]: ProviderEntry } = {
  openrouter: { label: 'OpenRouter', credentialFields: apiKey('sk-or-v1-...') },
  groq: { label: 'Groq', credentialFields: apiKey('gsk_...') },
  mistral: { label: 'Mistral', credentialFields: apiKey('...') },
  google_ai: { label: 'Google AI', credentialFields: apiKey('AIza...') },
  fal_ai: { label: 'fal.ai', credentialFields: apiKey('fal_...') },
  cerebras: { label: 'Cerebras', credentialFields: apiKey('csk-...') },
  together: { label: 'Together AI', credentialFields: apiKey('...') },
  cohere: { label: 'Cohere', credentialFields: apiKey('...') },
  cloudflare: {
    label: 'Cloudflare Workers AI',
    credentialFields: [{ name: 'api_key', example: '...' }, { name: 'account_id', example: '...' }],
  },
  nvidia_nim: { label: 'NVIDIA NIM', credentialFields: apiKey('nvapi-...') },
  fireworks: { label: 'Fireworks AI', credentialFields: apiKey('fw_...') },
  sambanova: { label: 'SambaNova', credentialFields: apiKey('...') },
  huggingface: { label: 'Hugging Face', credentialFields: apiKey('hf_...') },
  github_models: { label: 'GitHub Models', credentialFields: apiKey('ghp_...') },
  ai21: { label: 'AI21 Labs', credentialFields: apiKey('...') },
  baseten: { label: 'Baseten', credentialFields: apiKey('...') },
};

export interface ProviderView extends ProviderEntry {
  name: ProviderName;
}

export const isProviderName = (name: string): name is ProviderName => Object.hasOwn(PROVIDERS, name);

export function findProvider(name: string): ProviderView | null {
  return isProviderName(name) ? { name, ...PROVIDERS[name] } : null;
}

export function listProviders(): ProviderView[] {
  return V1_PROVIDER_NAMES.map((name) => ({ name, ...PROVIDERS[name] }));
}

/** The exact documented message for an unknown provider, with the whole list. */
export const invalidProviderMessage = () => `Invalid provider_name. Supported: ${listProviders().map((p) => p.name).join(', ')}`;
