/**
 * The gateway's work for one call, in any of its wire formats (wire-formats.ts:
 * OpenAI chat, embeddings and Responses, Anthropic Messages): lease a key (the pool's
 * own rules and limits), forward the request with it, hand the answer back
 * (a stream passes through event by event) and report the outcome when the
 * response has ended — status, latency, tokens, cost — so health and spend
 * come from real traffic. A 429, a 5xx, a timeout or a network error before
 * anything reached the caller leases another key (never one already tried)
 * and tries again, up to `maxAttempts` within one deadline; a non-streamed
 * answer must also end by that deadline. The lease lives as long as its call,
 * however long a stream lasts, so every call is reported. The key is never in
 * an answer (an upstream that echoes it has it redacted), an error or a log
 * line. Brand-configured URLs reach only public addresses unless the operator
 * allow-lists a host (the upstream guard).
 */
import { pipeline, type Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { AppError, badRequest } from '../../platform/errors/app-error.js';
import { retryAfterMs } from '../../platform/http/retry-after.js';
import {
  MAX_ERROR_BODY_BYTES, refusalError, SIGNAL_HEADER, type KeyLease, type LeaseOutcome, type LeaseRequest, type RouteStep, type TokenEstimate, type UsageReportInput,
} from '../pool/index.js';
import { isProviderName, type BrandProvider, type UpstreamSettings } from '../providers/index.js';
import { forbiddenUpstream, type UpstreamGuard, type UpstreamPolicy } from '../../platform/http/upstream-guard.js';
import { costOf, priceOf, type PriceTable } from './prices.js';
import type { TokenUsage } from './provider-usage.js';
import { JsonArrayRelay, redacted, SseRelay } from './sse-relay.js';
import { estimateTokens, tokenCounter } from './token-estimate.js';
import { notOpenAiCompatible, splitModel, supportsOpenAi, upstreamUrl } from './upstreams.js';
import { translatedChat, WIRE_FORMATS, type GatewayEndpoint, type PassedHeaders, type WireFormat } from './wire-formats.js';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { isTracing, tracer } from '../../platform/telemetry/spans.js';
import type { GatewayFailureLog } from './failure-log.js';

export type { GatewayEndpoint } from './wire-formats.js';

export interface GatewaySettings {
  /** Keys tried for one call, at most. */
  maxAttempts: number;
  /** The deadline for the whole call to start answering, all attempts together. */
  timeoutMs: number;
  /** One attempt's limit for the upstream's response headers. */
  attemptTimeoutMs: number;
  connectTimeoutMs: number;
  /** The longest silence allowed between two pieces of an upstream body. */
  idleTimeoutMs: number;
  /** The largest non-streamed upstream body relayed. */
  maxResponseBytes: number;
  /** The largest single event of a streamed answer relayed; past it the stream ends with an error event. */
  maxEventBytes: number;
  /** The operator's OpenAI base URL per provider, replacing the catalog's. */
  baseUrls: Readonly<Record<string, string>>;
  prices: PriceTable;
}

export interface GatewayCall {
  brandId: string;
  /** The caller's node, for a node credential or node token. */
  nodeId: string | null;
  endpoint: GatewayEndpoint;
  body: Record<string, unknown>;
  /** The caller's headers the wire format passes on (anthropic-version, anthropic-beta), lower-case names. */
  headers?: PassedHeaders;
  /** Gemini's calls name the model in the URL, with the API version and whether a stream is SSE (alt=sse). */
  route?: { model: string; apiVersion: string; sse: boolean };
  /** Aborted when the caller goes away: the upstream request is cancelled. */
  signal: AbortSignal;
}

export interface GatewayAnswer {
  status: number;
  contentType: string;
  retryAfter: string | null;
  /** The upstream body: whole, or a stream of Server-Sent Events. */
  body: Buffer | Readable;
  integrationId: number;
  attempts: number;
  /** The routing story of the call's last lease, in short (x-keypool-route): `#12 chosen; #3 cooling_down; #5 eligible`. */
  route: string;
  /** The provider the call went to (a bare Gemini model's: google_ai, or gemini when the brand has no google_ai key). */
  provider: string;
  /**
   * Milliseconds of the call spent in keypool until the answer's head was ready: the lease and the
   * forward's setup, and reading a whole answer's usage; not the upstream's time (its failed attempts
   * and the brand's retry backoff included).
   */
  keypoolMs: number;
}

/** What the gateway did for one call, for metrics and logs. */
export interface GatewayTrace {
  provider: string;
  outcome: 'success' | 'upstream_error' | 'timeout' | 'network' | 'aborted';
  status: number | null;
  attempts: number;
  latencyMs: number;
  /** Streams only: from sending the (last) upstream request to its first event. */
  timeToFirstTokenMs: number | null;
}

/** A model a key can serve (`*`: any), with the catalog provider the key's provider is or is built on. */
export interface ReachableModel {
  providerName: string;
  baseProvider: string;
  model: string;
}

export interface GatewayModel {
  id: string;
  ownedBy: string;
}

/** The pool as the gateway uses it. */
export interface GatewayPool {
  leaseKey(brandId: string, request: LeaseRequest, actorNodeId: string | null): Promise<LeaseOutcome>;
  /** `heldForCall`: the gateway held the lease for the whole call, so its report is taken however long that was. */
  reportUsage(brandId: string, input: UsageReportInput, options: { heldForCall: boolean }): Promise<unknown>;
}

type Failure =
  | { kind: 'http'; status: number; contentType: string; retryAfter: string | null; body: Buffer; integrationId: number }
  | { kind: 'timeout' | 'network'; message: string; integrationId: number };

/**
 * A failed attempt the call may retry carries its report unsent (`unreported`): the call sends it
 * once its next lease is decided (or before the brand's retry backoff, or when the call ends), so
 * what the failure sets off beyond its key (an overloaded provider's rest, a provider-wide
 * backoff) holds for the leases after this call's immediate failover, which would otherwise race
 * its own report: sometimes served by the provider's next key, sometimes refused by the rest.
 */
type Attempt = { kind: 'answer'; answer: GatewayAnswer } | { kind: 'failed'; failure: Failure; retry: boolean; unreported?: UsageReportInput };

interface CallContext {
  call: GatewayCall;
  format: WireFormat;
  /** The provider was not named (a bare Gemini model): google_ai, else the brand's gemini keys. */
  providerDefaulted: boolean;
  provider: string;
  model: string;
  stream: boolean;
  callerWantsUsage: boolean;
  started: number;
  deadline: number;
  attempts: number;
  /** The most attempts this call may make: keypool's, or more when the brand set network_config.max_retries. */
  maxAttempts: number;
  /** Time spent waiting on upstreams and backoffs (performance.now() milliseconds): not keypool's. */
  waitedMs: number;
  /** The last lease's routing story, in short. */
  route: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const isTimeout = (e: unknown) => TIMEOUT_CODES.has((e as { code?: string }).code ?? '') || (e as Error).name === 'TimeoutError';
const HOP_HEADERS = /^(authorization|host|content-length|content-type|connection|transfer-encoding|keep-alive|upgrade|accept)$/i;

/** Like every keypool message, it never repeats what the caller sent (a key pasted into the wrong field would come back). */
/** A brand-configured upstream the guard refuses: the caller's configuration, not the key's fault. */
const refusedUpstream = (provider: string, e: { reason: 'metadata' | 'non_public' }) =>
  badRequest(e.reason === 'metadata'
    ? `The ${provider} upstream resolves to a link-local or cloud metadata address, which the gateway never calls`
    : `The ${provider} upstream resolves to a loopback or private address, which the gateway calls only for hosts the operator allows (KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS)`);

const modelNotFound = (why: string) =>
  new AppError('gateway.model_not_found', `The model does not exist or you do not have access to it: ${why}`, { param: 'model' });

class ResponseTooLarge extends Error {}

/** The call's deadline passed while a non-streamed answer was still arriving. */
class DeadlinePassed extends Error {
  override readonly name = 'TimeoutError';
}

/** A whole non-streamed body, of at most `limit` bytes, arrived by `deadline` (performance.now() time). */
async function readBounded(body: Readable, limit: number, deadline: number): Promise<Buffer> {
  const timer = setTimeout(() => body.destroy(new DeadlinePassed('the upstream did not finish its answer before the deadline')), Math.max(0, deadline - performance.now()));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        body.destroy();
        throw new ResponseTooLarge(`the upstream answered with more than ${limit} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** The leased key as it could appear in an upstream's answer; null when there is none worth looking for. */
function secretOf(credentials: Record<string, unknown>): string | null {
  const key = credentials.api_key;
  return typeof key === 'string' && key.length >= 8 ? key : null;
}

/** An upstream body with the key taken out, should the upstream have echoed it. */
function scrubbed(body: Buffer, credentials: Record<string, unknown>): Buffer {
  const key = secretOf(credentials);
  if (key === null || !body.includes(key)) return body;
  return Buffer.from(redacted(body.toString('utf8'), key));
}

/** A 429's Retry-After as the whole seconds a usage report takes (at most a day); none when absent, unreadable or under a second. */
function retryAfterSeconds(header: string | null, now: number): number | undefined {
  const ms = retryAfterMs(header, now);
  return ms === null || ms < 1000 ? undefined : Math.min(Math.ceil(ms / 1000), 86_400);
}

/** The headers of an upstream answer the pool reads (SIGNAL_HEADER: retry-after and the rate-limit ones), for its report. */
function rateLimitHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || !SIGNAL_HEADER.test(lower)) continue;
    kept[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** A failure's body for its report: the provider's words (the key scrubbed), within what a report takes. */
function errorBodyOf(payload: Buffer): string {
  let text = payload.subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
  // A character cut at the limit decodes as U+FFFD, three bytes: trimmed until the text fits again.
  while (Buffer.byteLength(text) > MAX_ERROR_BODY_BYTES) text = text.slice(0, -1);
  return text;
}

const headerOf = (headers: Record<string, string | string[] | undefined>, name: string): string | null => {
  const value = headers[name];
  return value === undefined ? null : Array.isArray(value) ? value[0] : value;
};

/** The most keys x-keypool-route names (the rest are counted). */
const ROUTE_HEADER_KEYS = 16;

/** A lease's routing story in one header line; keys an earlier attempt of the call tried are named as such. */
function routeSummary(route: readonly RouteStep[], tried: readonly number[], more: readonly string[] = []): string {
  const parts = [
    ...tried.map((id) => `#${id} tried`),
    ...route.map((s) => `#${s.integrationId} ${s.outcome === 'skipped' ? s.reason : s.outcome}`),
    ...more,
  ];
  return parts.length > ROUTE_HEADER_KEYS ? `${parts.slice(0, ROUTE_HEADER_KEYS).join('; ')}; +${parts.length - ROUTE_HEADER_KEYS} more` : parts.join('; ');
}

/** keypool's own milliseconds in a call that ended in an error after an upstream was tried (the error body does not carry it). */
const errorOverheads = new WeakMap<object, number>();
export const keypoolMsOf = (error: unknown): number | null => (typeof error === 'object' && error !== null ? errorOverheads.get(error) ?? null : null);

/** The leased key's secret as the upstream takes it (none for a keyless endpoint). */
const apiKeyOf = (credentials: Record<string, unknown>): string | null =>
  (typeof credentials.api_key === 'string' && credentials.api_key !== '' ? credentials.api_key : null);

export class GatewayService {
  /** One connection pool per upstream policy: the operator's URLs, and every other (a brand's, the catalog's). */
  private readonly agents: Record<UpstreamPolicy, Agent>;
  /** Each attempt's upstream span, by its lease, until the attempt is reported. */
  private readonly spans = new Map<string, Span>();
  private readonly reports = new Set<Promise<void>>();

  constructor(
    private readonly pool: GatewayPool,
    private readonly providers: { findProvider(brandId: string, name: string): Promise<BrandProvider | null> },
    private readonly keys: { reachableModels(brandId: string): Promise<ReachableModel[]> },
    private readonly settings: GatewaySettings,
    private readonly guard: UpstreamGuard,
    private readonly log: (message: string, error?: unknown) => void = () => {},
    private readonly observe: (trace: GatewayTrace) => void = () => {},
    /** Where the calls keypool could not serve are kept, with their routes. */
    private readonly failures: Pick<GatewayFailureLog, 'record'> | null = null,
  ) {
    const agent = (policy: UpstreamPolicy) => new Agent({ connect: { timeout: settings.connectTimeoutMs, lookup: guard.lookup(policy) }, keepAliveTimeout: 10_000 });
    this.agents = { metadata: agent('metadata'), public: agent('public') };
  }

  async call(call: GatewayCall): Promise<GatewayAnswer> {
    let format = WIRE_FORMATS[call.endpoint];
    const native = format.family !== 'openai';
    const name = call.route?.model ?? call.body.model;
    const example = { anthropic: 'claude-sonnet-4-5, or anthropic/claude-sonnet-4-5', gemini: 'gemini-2.0-flash', openai: 'groq/llama-3.1-8b-instant' }[format.family];
    if (name === undefined || name === null || name === '') throw badRequest(`model is required: name it ${native ? '' : 'provider/model, '}e.g. ${example}`, { param: 'model' });
    if (typeof name !== 'string') throw badRequest('model must be a string', { param: 'model' });
    // Anthropic's and Google's clients name a bare model: it goes to the brand's anthropic keys, or its google_ai (else gemini) keys.
    const defaulted = native && !name.includes('/');
    const split = defaulted ? { provider: format.family === 'anthropic' ? 'anthropic' : 'google_ai', model: name } : splitModel(name);
    if (!split) throw modelNotFound(`name it provider/model, e.g. ${example}`);
    const base = await this.checkProvider(call.brandId, split.provider, format);
    // A chat completion to Anthropic or Gemini goes to the provider's own API, translated (translate.ts).
    if (call.endpoint === 'chat/completions') format = translatedChat(base, format.streams(call.body)) ?? format;
    const stream = format.streams(call.body);
    format.checkShape(call.body);
    const ctx: CallContext = {
      call, format, providerDefaulted: defaulted, provider: split.provider, model: split.model, stream,
      callerWantsUsage: (call.body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true,
      started: performance.now(), deadline: performance.now() + this.settings.timeoutMs, attempts: 0, maxAttempts: this.settings.maxAttempts, waitedMs: 0, route: '',
    };
    const tried: number[] = [];
    let last: Failure | null = null;
    let upstream: UpstreamSettings | null = null;
    // Counted only when a key with token limits is considered, once per call.
    const count = await tokenCounter();
    let estimate: TokenEstimate | undefined;
    const tokens = () => (estimate ??= estimateTokens(count, call.endpoint, split.model, call.body));
    // The last failed attempt's report, sent once the next lease is decided, before a backoff, or when the call ends.
    let unreported: UsageReportInput | undefined;
    const sendUnreported = () => {
      if (unreported) this.send(call.brandId, unreported);
      unreported = undefined;
    };
    try {
      while (ctx.attempts < ctx.maxAttempts && performance.now() < ctx.deadline) {
        // The brand's retry backoff (its settings came with the last lease: one provider, one brand); the
        // failure's report does not wait for it, and the retry after it sees what the report set off.
        if (upstream && upstream.maxRetries > 0) {
          sendUnreported();
          if (!(await this.backOff(ctx, upstream.backoffInitialMs * 2 ** (ctx.attempts - 1), upstream.backoffMaxMs))) break;
        }
        let outcome = await this.pool.leaseKey(call.brandId, { providerName: ctx.provider, model: split.model, excludeIntegrationIds: tried, tokens, explain: true }, call.nodeId);
        if (outcome.kind === 'no_keys' && ctx.providerDefaulted && ctx.provider === 'google_ai') {
          // A bare Gemini model and no google_ai keys: the brand's gemini keys (Bifrost's name for the same API).
          ctx.provider = 'gemini';
          outcome = await this.pool.leaseKey(call.brandId, { providerName: ctx.provider, model: split.model, excludeIntegrationIds: tried, tokens, explain: true }, call.nodeId);
        }
        // The next lease is decided (a lease that throws: the finally below sends it).
        sendUnreported();
        if (outcome.kind !== 'leased') {
          if (last) break;
          const skipped = outcome.kind === 'refused' ? outcome.skipped.map((s) => `#${s.integrationId} ${s.reason}`) : [];
          this.keepFailure(ctx, 'no_key', null, routeSummary([], tried, skipped) || `no ${ctx.provider} keys`);
          throw this.refusal(outcome);
        }
        upstream = outcome.lease.upstream;
        ctx.route = routeSummary(outcome.lease.route ?? [], tried);
        ctx.maxAttempts = Math.max(this.settings.maxAttempts, upstream.maxRetries + 1);
        ctx.attempts++;
        tried.push(outcome.lease.integrationId);
        const attempt = await this.attempt(ctx, outcome.lease);
        if (attempt.kind === 'answer') return attempt.answer;
        last = attempt.failure;
        unreported = attempt.unreported;
        if (!attempt.retry) break;
      }
    } finally {
      sendUnreported();
    }
    return this.failed(ctx, last!, tried);
  }

  /**
   * The models the brand can reach through the gateway, as `provider/model`: what its active
   * keys of OpenAI-compatible providers (or of the catalog providers given) can serve, by the
   * pool's model rule; `provider/*` when a key allows every model (any model name of that provider
   * may be asked for).
   */
  async models(brandId: string, baseProviders?: readonly string[]): Promise<GatewayModel[]> {
    const names = new Map<string, string>();
    for (const { providerName, baseProvider, model } of await this.keys.reachableModels(brandId)) {
      const served = baseProviders ? baseProviders.includes(baseProvider) : supportsOpenAi(baseProvider);
      if (served) names.set(`${providerName}/${model}`.toLowerCase(), `${providerName}/${model}`);
    }
    return [...names.values()].sort().map((id) => ({ id, ownedBy: id.slice(0, id.indexOf('/')) }));
  }

  /**
   * The wait the brand asked for before a retry (network_config.retry_backoff_*): false, without
   * waiting, when it would pass the call's deadline; false when the caller goes away meanwhile.
   */
  private async backOff(ctx: CallContext, wantedMs: number, maxMs: number): Promise<boolean> {
    const ms = Math.min(wantedMs, maxMs);
    if (performance.now() + ms >= ctx.deadline) return false;
    const waitStarted = performance.now();
    try {
      return await this.wait(ctx, ms);
    } finally {
      ctx.waitedMs += performance.now() - waitStarted;
    }
  }

  /** Waits `ms`, or until the caller goes away (false then). */
  private async wait(ctx: CallContext, ms: number): Promise<boolean> {
    const { signal } = ctx.call;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
    return !signal.aborted;
  }

  /** Waits for the reports of calls that have ended (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.reports.size > 0) await Promise.all([...this.reports]);
  }

  async close(): Promise<void> {
    await this.settled();
    await Promise.all([this.agents.metadata.close(), this.agents.public.close()]);
  }

  /** The catalog provider the model's provider is (or is built on), when the format can reach it. */
  private async checkProvider(brandId: string, provider: string, format: WireFormat): Promise<string> {
    let base = provider;
    if (!isProviderName(provider)) {
      const custom = await this.providers.findProvider(brandId, provider);
      if (!custom) throw modelNotFound('its provider (the part before the first "/") is neither a catalog provider nor one of this brand\'s custom providers');
      base = custom.base.name;
    }
    if (format.family === 'anthropic' && base !== 'anthropic') {
      throw badRequest(`/v1/messages goes to Anthropic's API: the model's provider must be anthropic (or a custom provider built on it), not ${isProviderName(provider) ? provider : 'this one'}`, { param: 'model' });
    }
    if (format.family === 'gemini' && base !== 'google_ai' && base !== 'gemini') {
      throw badRequest(`Gemini's routes go to Google's API: the model's provider must be google_ai or gemini (or a custom provider built on one), not ${isProviderName(provider) ? provider : 'this one'}`, { param: 'model' });
    }
    if (format.family === 'openai' && !supportsOpenAi(base)) throw notOpenAiCompatible(provider);
    return base;
  }

  private refusal(outcome: Exclude<LeaseOutcome, { kind: 'leased' }>): AppError {
    if (outcome.kind === 'no_keys') return modelNotFound(`this brand has no ${outcome.providerName} keys`);
    if (outcome.skipped.length > 0 && outcome.skipped.every((s) => s.reason === 'model_not_allowed')) {
      return modelNotFound(`no ${outcome.providerName} key of this brand allows it`);
    }
    return refusalError(outcome);
  }

  private async attempt(ctx: CallContext, lease: KeyLease): Promise<Attempt> {
    const { call } = ctx;
    const integrationId = lease.integrationId;
    const started = performance.now();
    // The upstream call's span: ended by the attempt's report, however and whenever the attempt ends.
    if (isTracing()) this.spans.set(lease.leaseId, tracer().startSpan('keypool.upstream', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.system': ctx.provider, 'gen_ai.request.model': ctx.model, 'keypool.integration_id': integrationId, 'keypool.attempt': ctx.attempts, 'keypool.stream': ctx.stream },
    }));
    const reportOf = (outcome: Omit<UsageReportInput, 'leaseId'>): UsageReportInput => ({ leaseId: lease.leaseId, latencyMs: Math.round(performance.now() - started), ...outcome });
    const report = (outcome: Omit<UsageReportInput, 'leaseId'>) => this.report(call.brandId, reportOf(outcome));
    // A failure the call may retry: its span ends now, its report goes with the call's next lease (see Attempt).
    const heldBack = (outcome: Omit<UsageReportInput, 'leaseId'>) => this.endSpan(reportOf(outcome));
    let url: URL;
    let policy: UpstreamPolicy;
    try {
      ({ url, policy } = upstreamUrl(
        { providerName: ctx.provider, baseProvider: lease.baseProvider, brandBaseUrl: lease.baseUrl, credentials: lease.credentials },
        this.settings.baseUrls, ctx.format.path({ model: lease.aliases[ctx.model] ?? ctx.model, apiVersion: call.route?.apiVersion ?? 'v1beta', sse: call.route?.sse ?? true }),
        this.guard, ctx.format.rebase,
      ));
    } catch (e) {
      const forbidden = forbiddenUpstream(e);
      if (forbidden) {
        report({ success: false, errorType: 'client_error' });
        throw refusedUpstream(ctx.provider, forbidden);
      }
      // A configuration problem of the brand's, not the key's: the lease is reported as the caller's error.
      report({ success: false, errorType: 'client_error' });
      throw e instanceof AppError ? e : badRequest(`The ${ctx.provider} upstream URL is not usable: ${(e as Error).message}`);
    }
    // The key's alias for the model, when it has one (Bifrost's key aliases: a deployment's own name).
    const body = ctx.format.upstreamBody(call.body, lease.aliases[ctx.model] ?? ctx.model, ctx.stream);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: ctx.stream ? 'text/event-stream' : 'application/json' };
    for (const [name, value] of Object.entries(lease.extraHeaders)) if (!HOP_HEADERS.test(name)) headers[name.toLowerCase()] = value;
    Object.assign(headers, ctx.format.keyHeaders(apiKeyOf(lease.credentials), call.headers ?? {}));

    let status: number;
    const sent = performance.now();
    let answered: number | null = null;
    try {
      const res = await request(url, {
        method: 'POST', headers, body: JSON.stringify(body), dispatcher: this.agents[policy], signal: call.signal,
        headersTimeout: Math.max(1, Math.min(lease.upstream.requestTimeoutMs ?? this.settings.attemptTimeoutMs, ctx.deadline - performance.now())),
        bodyTimeout: lease.upstream.idleTimeoutMs ?? this.settings.idleTimeoutMs,
      });
      status = res.statusCode;
      answered = performance.now();
      const contentType = headerOf(res.headers, 'content-type') ?? 'application/json';
      const retryAfter = headerOf(res.headers, 'retry-after');
      const responseHeaders = rateLimitHeaders(res.headers);
      const jsonArray = ctx.format.jsonArrayStream?.({ model: ctx.model, apiVersion: call.route?.apiVersion ?? 'v1beta', sse: call.route?.sse ?? true }) ?? false;
      if (status >= 200 && status < 300 && ctx.stream && (jsonArray || contentType.startsWith('text/event-stream'))) {
        ctx.waitedMs += answered - sent;
        return { kind: 'answer', answer: this.relay(ctx, lease, res.body, status, contentType, started, responseHeaders, jsonArray) };
      }
      const payload = await readBounded(res.body, this.settings.maxResponseBytes, ctx.deadline);
      // The upstream's time: until its whole answer had arrived.
      ctx.waitedMs += performance.now() - sent;
      if (status >= 200 && status < 300) {
        const usage = this.usageIn(ctx, payload);
        report({ success: true, statusCode: status, responseHeaders, ...this.spend(ctx, usage) });
        this.trace(ctx, 'success', status, null);
        const body = this.translated(ctx, payload, (json) => ctx.format.answer?.(json, String(call.body.model)));
        return { kind: 'answer', answer: { status, contentType: body.contentType ?? contentType, retryAfter, body: scrubbed(body.payload, lease.credentials), integrationId, attempts: ctx.attempts, keypoolMs: this.keypoolMs(ctx), route: ctx.route, provider: ctx.provider } };
      }
      const refused = scrubbed(payload, lease.credentials);
      const outcome = {
        success: false, statusCode: status, retryAfterSeconds: status === 429 ? retryAfterSeconds(retryAfter, Date.now()) : undefined,
        responseHeaders, errorBody: errorBodyOf(refused),
      };
      // The caller gets the failure in its own protocol's body (the report has the provider's words).
      const passed = this.translated(ctx, refused, (json) => ctx.format.errorAnswer?.(json, status));
      const failure: Failure = { kind: 'http', status, contentType: passed.contentType ?? contentType, retryAfter, body: passed.payload, integrationId };
      if (status === 429 || status >= 500) return { kind: 'failed', failure, retry: true, unreported: heldBack(outcome) };
      report(outcome);
      this.trace(ctx, 'upstream_error', status, null);
      return { kind: 'answer', answer: { ...failure, attempts: ctx.attempts, keypoolMs: this.keypoolMs(ctx), route: ctx.route, provider: ctx.provider } };
    } catch (e) {
      if (call.signal.aborted) {
        report({ success: false, statusCode: 499, errorType: 'client_error' });
        this.trace(ctx, 'aborted', null, null);
        throw new AppError('request.invalid', 'The client closed the request');
      }
      const forbidden = forbiddenUpstream(e);
      if (forbidden) {
        report({ success: false, errorType: 'client_error' });
        throw refusedUpstream(ctx.provider, forbidden);
      }
      if (e instanceof ResponseTooLarge) {
        report({ success: false, errorType: 'client_error' });
        throw new AppError('gateway.upstream_unreachable', `The ${ctx.provider} upstream's answer was too large: ${e.message}`, { attempts: ctx.attempts, integrationId });
      }
      if (answered === null) ctx.waitedMs += performance.now() - sent;
      const timeout = isTimeout(e);
      const unreported = heldBack({ success: false, errorType: timeout ? 'timeout' : 'network' });
      return { kind: 'failed', failure: { kind: timeout ? 'timeout' : 'network', message: (e as Error).message, integrationId }, retry: true, unreported };
    }
  }

  /** A streamed answer: relayed event by event; reported when it ends, however it ends. */
  private relay(
    ctx: CallContext, lease: KeyLease, upstream: Readable, status: number, contentType: string, started: number, responseHeaders: Record<string, string>,
    jsonArray = false,
  ): GatewayAnswer {
    const relay = jsonArray
      ? new JsonArrayRelay({ usageOf: (item) => ctx.format.usage(item), secret: secretOf(lease.credentials) })
      : new SseRelay({
        readEvent: (data, sofar) => ctx.format.streamEvent(data, sofar, ctx.callerWantsUsage), maxEventBytes: this.settings.maxEventBytes, secret: secretOf(lease.credentials),
        onOversizeEvent: () => upstream.destroy(), translate: ctx.format.translateStream?.(String(ctx.call.body.model), ctx.callerWantsUsage),
      });
    pipeline(upstream, relay, (error) => {
      const latencyMs = Math.round(performance.now() - started);
      const ttft = relay.firstEventAt === null ? null : relay.firstEventAt - started;
      // The upstream's own time to first token, from the attempt's start (the lease before it is keypool's).
      const base = { leaseId: lease.leaseId, latencyMs, timeToFirstTokenMs: ttft === null ? null : Math.min(latencyMs, Math.round(ttft)) };
      if (relay instanceof SseRelay && relay.oversize) {
        this.log(`gateway: the ${ctx.provider} upstream sent an event larger than ${this.settings.maxEventBytes} bytes; the stream was ended`);
        this.report(ctx.call.brandId, { ...base, success: false, errorType: 'server_error' });
        this.trace(ctx, 'upstream_error', status, ttft);
      } else if (!error && relay instanceof SseRelay && relay.errorEvent !== null) {
        // The provider's words go with the report (an "overloaded_error" costs the key nothing).
        const overloaded = /overloaded/i.test(relay.errorEvent);
        this.report(ctx.call.brandId, { ...base, success: false, statusCode: overloaded ? 529 : 500, errorBody: errorBodyOf(Buffer.from(relay.errorEvent)), ...this.spend(ctx, relay.usage) });
        this.trace(ctx, 'upstream_error', status, ttft);
      } else if (!error) {
        this.report(ctx.call.brandId, { ...base, success: true, statusCode: status, responseHeaders, ...this.spend(ctx, relay.usage) });
        this.trace(ctx, 'success', status, ttft);
      } else if (ctx.call.signal.aborted || (error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        this.report(ctx.call.brandId, { ...base, success: false, statusCode: 499, errorType: 'client_error' });
        this.trace(ctx, 'aborted', status, ttft);
      } else {
        const timeout = isTimeout(error);
        this.report(ctx.call.brandId, { ...base, success: false, errorType: timeout ? 'timeout' : 'network' });
        this.trace(ctx, timeout ? 'timeout' : 'network', status, ttft);
      }
    });
    return {
      status, contentType: ctx.format.translateStream ? 'text/event-stream' : contentType, retryAfter: null, body: relay, integrationId: lease.integrationId, attempts: ctx.attempts,
      keypoolMs: this.keypoolMs(ctx), route: ctx.route, provider: ctx.provider,
    };
  }

  /** A whole upstream body in the caller's protocol, when the format translates (else as it came). */
  private translated(ctx: CallContext, payload: Buffer, translate: (json: unknown) => unknown): { payload: Buffer; contentType: string | null } {
    if (!ctx.format.answer) return { payload, contentType: null };
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = null;
    }
    const out = translate(json);
    return out === undefined ? { payload, contentType: null } : { payload: Buffer.from(JSON.stringify(out)), contentType: 'application/json' };
  }

  /** The call's time so far, less what it spent waiting on upstreams and backoffs. */
  private keypoolMs(ctx: CallContext): number {
    return Math.max(0, performance.now() - ctx.started - ctx.waitedMs);
  }

  private failed(ctx: CallContext, last: Failure, tried: number[]): GatewayAnswer {
    const keys = tried.map((id) => `#${id}`).join(', ');
    const details = { attempts: ctx.attempts, integrationId: last.integrationId };
    // A failed call's routing story stays in the log and the failures kept (the answer carries it too, in x-keypool-route).
    this.log(`gateway: a ${ctx.provider} call failed after ${ctx.attempts} attempt(s); route: ${ctx.route}`);
    this.keepFailure(ctx, last.kind === 'http' ? 'upstream_error' : last.kind, last.kind === 'http' ? last.status : null, ctx.route);
    if (last.kind === 'http') {
      this.trace(ctx, 'upstream_error', last.status, null);
      return {
        status: last.status, contentType: last.contentType, retryAfter: last.retryAfter, body: last.body, integrationId: last.integrationId, attempts: ctx.attempts,
        keypoolMs: this.keypoolMs(ctx), route: ctx.route, provider: ctx.provider,
      };
    }
    this.trace(ctx, last.kind, null, null);
    const error = last.kind === 'timeout'
      ? new AppError('gateway.upstream_timeout', `The ${ctx.provider} upstream did not answer in time (${ctx.attempts} attempt(s), keys ${keys})`, details)
      : new AppError('gateway.upstream_unreachable', `The ${ctx.provider} upstream could not be reached (${ctx.attempts} attempt(s), keys ${keys}): ${last.message}`, details);
    errorOverheads.set(error, this.keypoolMs(ctx));
    throw error;
  }

  private usageIn(ctx: CallContext, payload: Buffer): TokenUsage | null {
    try {
      return ctx.format.usage(JSON.parse(payload.toString('utf8')));
    } catch {
      return null;
    }
  }

  /** Tokens from the upstream's usage, and their cost at the operator's price (none when unpriced). */
  private spend(ctx: CallContext, usage: TokenUsage | null): Partial<UsageReportInput> {
    if (!usage) return {};
    const price = priceOf(this.settings.prices, ctx.provider, ctx.model);
    return { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costUsd: price ? costOf(price, usage.promptTokens, usage.completionTokens) : null };
  }

  /** Keeps a call keypool could not serve, off the caller's path (closing waits for it as for reports). */
  private keepFailure(ctx: CallContext, outcome: string, status: number | null, route: string): void {
    if (!this.failures) return;
    const done = this.failures.record(ctx.call.brandId, {
      at: new Date(), endpoint: ctx.call.endpoint, providerName: ctx.provider, model: ctx.model, outcome, status, attempts: ctx.attempts, route,
    }).catch((e: unknown) => this.log('gateway: a failed call could not be kept', e));
    this.reports.add(done);
    void done.finally(() => this.reports.delete(done));
  }

  private report(brandId: string, input: UsageReportInput): void {
    this.send(brandId, this.endSpan(input));
  }

  /** Ends the attempt's upstream span with what its report says; returns the report. */
  private endSpan(input: UsageReportInput): UsageReportInput {
    const span = this.spans.get(input.leaseId);
    if (span) {
      this.spans.delete(input.leaseId);
      if (input.statusCode != null) span.setAttribute('http.response.status_code', input.statusCode);
      if (input.timeToFirstTokenMs != null) span.setAttribute('keypool.time_to_first_token_ms', input.timeToFirstTokenMs);
      if (input.promptTokens != null) span.setAttribute('gen_ai.usage.input_tokens', input.promptTokens);
      if (input.completionTokens != null) span.setAttribute('gen_ai.usage.output_tokens', input.completionTokens);
      if (!input.success) {
        span.setAttribute('error.type', input.errorType ?? `http_${input.statusCode ?? 'error'}`);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
    return input;
  }

  /** Sends a report to the pool, off the caller's path (closing waits for it). */
  private send(brandId: string, input: UsageReportInput): void {
    const done = this.pool.reportUsage(brandId, input, { heldForCall: true }).then(
      () => undefined,
      (e: unknown) => this.log('gateway: a lease could not be reported', e),
    );
    this.reports.add(done);
    void done.finally(() => this.reports.delete(done));
  }

  private trace(ctx: CallContext, outcome: GatewayTrace['outcome'], status: number | null, ttft: number | null): void {
    this.observe({ provider: ctx.provider, outcome, status, attempts: ctx.attempts, latencyMs: performance.now() - ctx.started, timeToFirstTokenMs: ttft });
  }
}
