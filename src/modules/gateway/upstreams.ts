/**
 * Where the gateway sends a provider's requests. Each catalog provider with an
 * OpenAI-compatible API has a base (as Bifrost names it: the host and any
 * prefix before the API version) and the path its OpenAI API lives under; a
 * request goes to `{base}{path}/chat/completions`. A brand's own base URL for
 * a provider (network_config.base_url, always set for a custom provider)
 * replaces the base, a self-hosted key's config URL (ollama, vllm, sgl)
 * likewise; the operator may replace the whole OpenAI base URL of any
 * provider (KEYPOOL_GATEWAY_BASE_URLS).
 */
import { AppError } from '../../platform/errors/app-error.js';
import type { UpstreamGuard, UpstreamPolicy } from '../../platform/http/upstream-guard.js';
import { KEY_CONFIGS, type ProviderName } from '../providers/index.js';

interface OpenAiApi {
  base: string;
  /** Appended to the base: where the OpenAI-compatible API lives. */
  path: string;
}

/** Providers whose own API speaks OpenAI's chat completions. `{name}` is filled from the key's credential field. */
export const OPENAI_COMPATIBLE: Partial<Record<ProviderName, OpenAiApi>> = {
  openrouter: { base: 'https://openrouter.ai/api', path: '/v1' },
  groq: { base: 'https://api.groq.com/openai', path: '/v1' },
  mistral: { base: 'https://api.mistral.ai', path: '/v1' },
  google_ai: { base: 'https://generativelanguage.googleapis.com', path: '/v1beta/openai' },
  cerebras: { base: 'https://api.cerebras.ai', path: '/v1' },
  together: { base: 'https://api.together.xyz', path: '/v1' },
  cohere: { base: 'https://api.cohere.ai', path: '/compatibility/v1' },
  cloudflare: { base: 'https://api.cloudflare.com', path: '/client/v4/accounts/{account_id}/ai/v1' },
  nvidia_nim: { base: 'https://integrate.api.nvidia.com', path: '/v1' },
  fireworks: { base: 'https://api.fireworks.ai/inference', path: '/v1' },
  sambanova: { base: 'https://api.sambanova.ai', path: '/v1' },
  huggingface: { base: 'https://router.huggingface.co', path: '/v1' },
  github_models: { base: 'https://models.github.ai', path: '/inference' },
  ai21: { base: 'https://api.ai21.com/studio', path: '/v1' },
  baseten: { base: 'https://inference.baseten.co', path: '/v1' },
  openai: { base: 'https://api.openai.com', path: '/v1' },
  anthropic: { base: 'https://api.anthropic.com', path: '/v1' },
  gemini: { base: 'https://generativelanguage.googleapis.com', path: '/v1beta/openai' },
  ollama: { base: '', path: '/v1' },
  sgl: { base: '', path: '/v1' },
  vllm: { base: '', path: '/v1' },
  xai: { base: 'https://api.x.ai', path: '/v1' },
  perplexity: { base: 'https://api.perplexity.ai', path: '' },
  parasail: { base: 'https://api.parasail.io', path: '/v1' },
  nebius: { base: 'https://api.studio.nebius.com', path: '/v1' },
  deepseek: { base: 'https://api.deepseek.com', path: '/v1' },
};

export const supportsOpenAi = (baseProvider: string): boolean => Object.hasOwn(OPENAI_COMPATIBLE, baseProvider);

export const notOpenAiCompatible = (provider: string) =>
  new AppError('route.not_found', `The provider ${provider} has no OpenAI-compatible API the gateway can call (lease its keys with POST /api/v1/integrations/lease instead)`);

/** What is known about one lease when its upstream is chosen. */
export interface UpstreamTarget {
  /** The provider as the caller named it (a custom one included). */
  providerName: string;
  /** The catalog provider it is, or is built on. */
  baseProvider: string;
  /** The brand's base URL for the provider, if it set one. */
  brandBaseUrl: string | null;
  /** The leased key's resolved credential fields (and key config under its Bifrost name). */
  credentials: Record<string, unknown>;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** A leased key's OpenAI base URL, and who chose it: the operator's URLs are trusted, a brand's (and the catalog's) go through the upstream guard's public policy. */
export interface UpstreamBase {
  url: string;
  configuredBy: 'brand' | 'operator' | 'catalog';
}

/** The OpenAI base URL (the SDK's baseURL) for one leased key. */
export function upstreamBaseUrl(target: UpstreamTarget, operatorBaseUrls: Readonly<Record<string, string>>): UpstreamBase {
  const api = OPENAI_COMPATIBLE[target.baseProvider as ProviderName];
  if (!api) throw notOpenAiCompatible(target.providerName);
  const fill = (path: string) =>
    path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const value = target.credentials[name];
      if (typeof value !== 'string' || value === '') throw new AppError('request.invalid', `The leased ${target.providerName} key has no ${name}, which its API URL needs`);
      return encodeURIComponent(value);
    });
  if (target.brandBaseUrl) return { url: trimSlash(target.brandBaseUrl) + fill(api.path), configuredBy: 'brand' };
  const operator = operatorBaseUrls[target.providerName] ?? operatorBaseUrls[target.baseProvider];
  const kind = target.baseProvider as keyof typeof KEY_CONFIGS;
  const keyConfig = Object.hasOwn(KEY_CONFIGS, kind) ? (target.credentials[KEY_CONFIGS[kind].field] as { url?: unknown } | undefined) : undefined;
  if (typeof keyConfig?.url === 'string' && keyConfig.url !== '') return { url: trimSlash(keyConfig.url).replace(/\/v1$/, '') + fill(api.path), configuredBy: 'brand' };
  if (operator) return { url: trimSlash(operator), configuredBy: 'operator' };
  if (api.base === '') throw new AppError('request.invalid', `The leased ${target.providerName} key has no URL (${KEY_CONFIGS[kind].field}.url)`);
  return { url: api.base + fill(api.path), configuredBy: 'catalog' };
}

/**
 * The URL of `path` under a leased key's OpenAI base, and the policy its address is judged by: the
 * operator's own URLs may reach private networks (not metadata addresses), the brand's and the
 * catalog's only public ones. Checked here for literal addresses (ForbiddenUpstreamError), and
 * again at connect time by the agent of that policy.
 */
export function upstreamUrl(
  target: UpstreamTarget, operatorBaseUrls: Readonly<Record<string, string>>, path: string, guard: UpstreamGuard,
  /** The API's base from the OpenAI one, where they differ (Gemini's native API). */
  rebase: (openAiBase: string) => string = (base) => base,
): { url: URL; policy: UpstreamPolicy } {
  const base = upstreamBaseUrl(target, operatorBaseUrls);
  const url = new URL(`${rebase(base.url)}/${path}`);
  const policy: UpstreamPolicy = base.configuredBy === 'operator' ? 'metadata' : 'public';
  guard.assertAllowed(url, policy);
  return { url, policy };
}

/** `groq/llama-3.1-8b-instant` → provider `groq`, model `llama-3.1-8b-instant` (a model may hold more slashes). */
export function splitModel(name: string): { provider: string; model: string } | null {
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) return null;
  return { provider: name.slice(0, slash), model: name.slice(slash + 1) };
}
