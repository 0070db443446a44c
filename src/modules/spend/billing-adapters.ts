/**
 * What each provider's billing API says about a key: one small adapter per
 * provider that has such an API (OpenRouter, fal.ai), given the key's
 * credential and an abort signal. Every other provider is synced from
 * keypool's own ledger. A failure is a BillingError with a public message:
 * never the credential, never the provider's body.
 */
import { Agent, fetch, type Response } from 'undici';
import { decimalText } from '../../platform/numbers/decimal.js';
import { PROVIDER_NAMES, PROVIDERS } from '../providers/index.js';
import { forbiddenUpstream, UpstreamGuard } from '../../platform/http/upstream-guard.js';
import type { BillingFigures } from '../keys/index.js';
import { retryAfterMs } from '../../platform/http/retry-after.js';

export type { BillingFigures };

export class BillingError extends Error {
  constructor(
    message: string,
    /** The provider asked to wait this long (429 Retry-After). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'BillingError';
  }
}

export type BillingAdapter = (credentials: Record<string, unknown>, signal: AbortSignal) => Promise<BillingFigures>;

/** The largest amount a billing API may plausibly answer (the cached columns hold less than 10^12). */
export const MAX_BILLING_AMOUNT = 100_000_000_000;

const money = (value: unknown, what: string, provider: string): string | null => {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'number' ? decimalText(value) : null;
  if (text === null) throw new BillingError(`${provider} billing answered malformed JSON (${what} is not a number)`);
  if ((value as number) < 0 || (value as number) > MAX_BILLING_AMOUNT) {
    throw new BillingError(`${provider} billing answered an amount out of range (${what} must be from 0 to ${MAX_BILLING_AMOUNT}); nothing was stored`);
  }
  return text;
};

/** How billing requests go out: through the upstream guard's public policy (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS opens private hosts). */
interface BillingHttp {
  guard: UpstreamGuard;
  agent: Agent;
}

async function getJson(http: BillingHttp, url: string, authorization: string, signal: AbortSignal, provider: string, onAuthError: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    http.guard.assertAllowed(new URL(url), 'public');
    res = await fetch(url, { headers: { authorization, accept: 'application/json' }, signal, redirect: 'error', dispatcher: http.agent });
  } catch (e) {
    const forbidden = forbiddenUpstream(e);
    if (forbidden) throw new BillingError(`${provider} billing ${forbidden.reason === 'metadata' ? 'is at a link-local or cloud metadata address, which keypool never calls' : 'is at a loopback or private address, which keypool calls only when the operator allows it (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS)'}`);
    const code = ((e as Error).cause as { code?: string } | undefined)?.code;
    throw new BillingError(`${provider} billing ${signal.aborted ? 'timed out' : `could not be reached${code ? ` (${code})` : ''}`}`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new BillingError(onAuthError);
  }
  if (res.status === 429) {
    await res.body?.cancel();
    throw new BillingError(`${provider} billing is rate limited (HTTP 429)`, retryAfterMs(res.headers.get('retry-after'), Date.now()));
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new BillingError(`${provider} billing answered HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new BillingError(signal.aborted ? `${provider} billing timed out` : `${provider} billing answered malformed JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BillingError(`${provider} billing answered malformed JSON`);
  return body as Record<string, unknown>;
}

const apiKeyOf = (credentials: Record<string, unknown>) => String(credentials.api_key ?? '');

/** OpenRouter `GET /api/v1/key` with the key itself: { data: { limit, limit_remaining, usage_daily, usage_monthly, … } }. */
export const openRouterBilling = (baseUrl: string, http: BillingHttp = defaultHttp()): BillingAdapter => async (credentials, signal) => {
  const body = await getJson(http, `${baseUrl}/api/v1/key`, `Bearer ${apiKeyOf(credentials)}`, signal, 'OpenRouter', 'OpenRouter rejected the key for billing (HTTP 401/403)');
  const data = body.data;
  if (typeof data !== 'object' || data === null) throw new BillingError('OpenRouter billing answered malformed JSON (no data)');
  const d = data as Record<string, unknown>;
  return {
    balance: money(d.limit_remaining, 'limit_remaining', 'OpenRouter'),
    usageToday: money(d.usage_daily, 'usage_daily', 'OpenRouter'),
    usageMonth: money(d.usage_monthly, 'usage_monthly', 'OpenRouter'),
    currency: 'USD',
  };
};

/** fal.ai `GET /v1/account/billing?expand=credits` with an admin key: { username, credits: { current_balance, currency } }. */
export const falBilling = (baseUrl: string, http: BillingHttp = defaultHttp()): BillingAdapter => async (credentials, signal) => {
  const body = await getJson(http, `${baseUrl}/v1/account/billing?expand=credits`, `Key ${apiKeyOf(credentials)}`, signal, 'fal.ai', 'fal.ai billing needs an admin key');
  const credits = body.credits;
  if (typeof credits !== 'object' || credits === null) throw new BillingError('fal.ai billing answered malformed JSON (no credits)');
  const c = credits as Record<string, unknown>;
  const currency = typeof c.currency === 'string' && /^[A-Za-z]{3}$/.test(c.currency) ? c.currency.toUpperCase() : 'USD';
  return { balance: money(c.current_balance, 'current_balance', 'fal.ai'), usageToday: null, usageMonth: null, currency };
};

function defaultHttp(guard = new UpstreamGuard()): BillingHttp {
  return { guard, agent: new Agent({ connect: { lookup: guard.lookup('public') } }) };
}

/** The providers with a billing API, by catalog name. */
export function billingAdapters(urls: { openrouterUrl: string; falUrl: string }, guard: UpstreamGuard = new UpstreamGuard()): ReadonlyMap<string, BillingAdapter> {
  const http = defaultHttp(guard);
  return new Map([
    ['openrouter', openRouterBilling(urls.openrouterUrl, http)],
    ['fal_ai', falBilling(urls.falUrl, http)],
  ]);
}

/** The providers the catalog marks as having a billing API: each has an adapter above (a test checks). */
export const BILLING_PROVIDERS: readonly string[] = PROVIDER_NAMES.filter((name) => PROVIDERS[name].billingApi);
