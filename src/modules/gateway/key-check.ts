/**
 * Checks a key with its provider before it joins the pool (KEYPOOL_VALIDATE_KEYS=on): one free
 * call that spends no quota, where the provider has one. OpenRouter: `GET /api/v1/key`;
 * Anthropic: `GET /v1/models` with `x-api-key`; every other OpenAI-compatible provider (Gemini's
 * OpenAI endpoint included): `GET {OpenAI base}/models` with the key as a bearer token. The call
 * goes where the gateway's calls for the key would (the brand's base URL, the key config's URL, the
 * operator's KEYPOOL_GATEWAY_BASE_URLS, the catalog), through the same upstream guard.
 *
 * Only a clear verdict refuses a key: 401 or 403, or Gemini's 400 `API_KEY_INVALID`. Anything
 * else that is not a success (a 429, a 5xx, a timeout, no answer) cannot tell a dead key from a
 * busy provider, so the key is taken and the check's outcome says why it was not checked.
 */
import { Agent, request } from 'undici';
import { forbiddenUpstream, type UpstreamGuard, type UpstreamPolicy } from '../../platform/http/upstream-guard.js';
import { parseProviderBody, providerMessage } from '../providers/index.js';
import { supportsOpenAi, upstreamUrl } from './upstreams.js';

/** The key to check, as a lease would carry it. */
export interface KeyCheckTarget {
  providerName: string;
  baseProvider: string;
  brandBaseUrl: string | null;
  credentials: Record<string, unknown>;
}

export type KeyCheckOutcome =
  | { verdict: 'accepted' }
  /** The provider refused the key: `answer` is its own words (the key never in them). */
  | { verdict: 'refused'; answer: string }
  /** Not checked: the provider has no free call keypool knows, or gave no clear answer. */
  | { verdict: 'unchecked'; reason: string };

export interface KeyCheckSettings {
  /** The operator's OpenAI base URLs by provider (KEYPOOL_GATEWAY_BASE_URLS). */
  baseUrls: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** The longest answer read from a provider, and the longest of its words kept. */
const MAX_ANSWER_BYTES = 16_384;
const MAX_WORDS = 200;

export class KeyChecker {
  private readonly agents: Record<UpstreamPolicy, Agent>;

  constructor(
    private readonly guard: UpstreamGuard,
    private readonly settings: KeyCheckSettings,
  ) {
    const agent = (policy: UpstreamPolicy) => new Agent({ connect: { timeout: settings.timeoutMs, lookup: guard.lookup(policy) } });
    this.agents = { metadata: agent('metadata'), public: agent('public') };
  }

  async check(target: KeyCheckTarget): Promise<KeyCheckOutcome> {
    const key = target.credentials.api_key;
    if (typeof key !== 'string' || key === '') return { verdict: 'unchecked', reason: 'the key has no API key to check' };
    if (!supportsOpenAi(target.baseProvider)) return { verdict: 'unchecked', reason: `keypool knows no free call of ${target.providerName} to check a key with` };
    let url: URL;
    let policy: UpstreamPolicy;
    try {
      ({ url, policy } = upstreamUrl(target, this.settings.baseUrls, target.baseProvider === 'openrouter' ? 'key' : 'models', this.guard));
    } catch (e) {
      return { verdict: 'unchecked', reason: forbiddenUpstream(e) ? 'its upstream is at an address keypool does not call' : 'its upstream URL is not usable' };
    }
    const headers: Record<string, string> = target.baseProvider === 'anthropic'
      ? { 'x-api-key': key, 'anthropic-version': '2023-06-01' }
      : { authorization: `Bearer ${key}` };
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'GET', headers: { ...headers, accept: 'application/json' }, dispatcher: this.agents[policy],
        headersTimeout: this.settings.timeoutMs, bodyTimeout: this.settings.timeoutMs, signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      status = res.statusCode;
      text = await readCapped(res.body);
    } catch {
      return { verdict: 'unchecked', reason: `${target.providerName} did not answer in time` };
    }
    if (status >= 200 && status < 300) return { verdict: 'accepted' };
    const words = providerWords(text, key);
    const deadKey = status === 401 || status === 403 || (status === 400 && /API_KEY_INVALID/.test(text));
    if (deadKey) return { verdict: 'refused', answer: `HTTP ${status}${words ? `: ${words}` : ''}` };
    return { verdict: 'unchecked', reason: `${target.providerName} answered HTTP ${status}, which does not say whether the key works` };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.agents).map((a) => a.close()));
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}

/**
 * The provider's message from its error body (OpenAI's `error.message`, Gemini's array of them,
 * a plain `message` or `error` string), without the key, control characters or excess length.
 */
export function providerWords(text: string, key: string): string {
  const message = providerMessage(parseProviderBody(text));
  if (message === null) return '';
  let words = message.split(key).join('[the key]');
  // eslint-disable-next-line no-control-regex
  words = words.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return words.length > MAX_WORDS ? `${words.slice(0, MAX_WORDS - 1)}…` : words;
}
