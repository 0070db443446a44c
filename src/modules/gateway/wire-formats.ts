/**
 * The wire formats the gateway speaks, one per endpoint: where a call goes under the leased key's
 * base URL, how the key is presented, which body shape is checked before a lease, whether the
 * call streams, and where its token usage is — in a whole answer and in a stream's events. The
 * gateway's lease, failover, limits, report and ledger are the same for every one.
 *
 * - OpenAI chat completions and embeddings, to OpenAI-compatible upstreams;
 * - OpenAI Responses (`/v1/responses`), to OpenAI-compatible upstreams that have it;
 * - Anthropic Messages (`/v1/messages`), to Anthropic's own API (`x-api-key`, `anthropic-version`).
 */
import { badRequest } from '../../platform/errors/app-error.js';
import { anthropicUsage, geminiUsage, openAiUsage, responsesUsage, type TokenUsage } from './provider-usage.js';
import { anthropicStream, anthropicToChat, chatToAnthropic, chatToGemini, errorToChat, geminiStream, geminiToChat, type StreamTranslator } from './translate.js';

export type GatewayEndpoint =
  | 'chat/completions' | 'embeddings' | 'responses' | 'messages'
  | 'gemini:generateContent' | 'gemini:streamGenerateContent' | 'gemini:countTokens' | 'gemini:embedContent' | 'gemini:batchEmbedContents';

/** What a call's upstream path is made of: the model, and (Gemini) the API version and whether the stream is SSE. */
export interface PathParts {
  model: string;
  apiVersion: string;
  sse: boolean;
}

/** The caller's headers a wire format passes to the upstream (Anthropic's version and beta flags). */
export type PassedHeaders = Record<string, string>;

export interface WireFormat {
  /** The upstream path under the key's base URL (for Gemini, under its native base: see rebase). */
  path(parts: PathParts): string;
  /** Which upstreams speak it: OpenAI-compatible ones, Anthropic's own API, Google's Gemini API. */
  family: 'openai' | 'anthropic' | 'gemini';
  /** The API's base from the provider's OpenAI base URL, where they differ (Gemini's native API is its OpenAI one's parent). */
  rebase?(openAiBase: string): string;
  /** The stream is a JSON array (Gemini without alt=sse), not Server-Sent Events. */
  jsonArrayStream?(parts: PathParts): boolean;
  /** The caller's headers passed on (lower-case names). */
  passHeaders: readonly string[];
  /** A body no upstream could take: a 400 before any key's allowance is spent. */
  checkShape(body: Record<string, unknown>): void;
  streams(body: Record<string, unknown>): boolean;
  /** The body as sent upstream: the key's model name, and (OpenAI chat streams) the usage chunk asked for. */
  upstreamBody(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown>;
  /** The key as the upstream takes it, and the headers the format needs. */
  keyHeaders(apiKey: string | null, passed: PassedHeaders): Record<string, string>;
  /** A whole answer's token usage. */
  usage(answer: unknown): TokenUsage | null;
  /**
   * One streamed event's data (parsed JSON), with the usage known so far: the usage after it, and
   * whether the caller gets the event (OpenAI's usage-only chunk is dropped when the caller did not ask for it).
   */
  streamEvent(data: unknown, sofar: TokenUsage | null, callerWantsUsage: boolean): { usage: TokenUsage | null; keep: boolean; failed?: boolean };
  /** A translated format (translate.ts): the upstream's whole answer as the caller's protocol's. */
  answer?(upstream: unknown, callerModel: string): unknown;
  /** …and an upstream error body as the caller's protocol's. */
  errorAnswer?(upstream: unknown, status: number): unknown;
  /** …and its stream, event by event. */
  translateStream?(callerModel: string, callerWantsUsage: boolean): StreamTranslator;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bearer = (apiKey: string | null): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});

const streamFlag = (body: Record<string, unknown>) => {
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest('stream must be a boolean', { param: 'stream' });
  return body.stream === true;
};

const CHAT: WireFormat = {
  path: () => 'chat/completions',
  family: 'openai',
  passHeaders: [],
  checkShape(body) {
    const options = body.stream_options;
    if (options !== undefined && options !== null && !isObject(options)) throw badRequest('stream_options must be an object, e.g. { "include_usage": true }', { param: 'stream_options' });
    const { messages } = body;
    if (messages === undefined || messages === null) throw badRequest('messages is required: a list of { role, content } objects', { param: 'messages' });
    if (!Array.isArray(messages) || !messages.every(isObject)) throw badRequest('messages must be a list of { role, content } objects', { param: 'messages' });
  },
  streams: streamFlag,
  upstreamBody(body, model, stream) {
    const out: Record<string, unknown> = { ...body, model };
    if (stream) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
    return out;
  },
  keyHeaders: (apiKey) => bearer(apiKey),
  usage: openAiUsage,
  streamEvent(data, sofar, callerWantsUsage) {
    const usage = openAiUsage(data);
    if (!usage) return { usage: sofar, keep: true };
    const choices = (data as { choices?: unknown[] }).choices;
    return { usage, keep: callerWantsUsage || (Array.isArray(choices) && choices.length > 0) };
  },
};

const EMBEDDINGS: WireFormat = {
  ...CHAT,
  path: () => 'embeddings',
  checkShape(body) {
    const { input } = body;
    if (input === undefined || input === null || input === '') throw badRequest('input is required: a string, or a list of strings or of token lists', { param: 'input' });
    if (typeof input !== 'string' && !Array.isArray(input)) throw badRequest('input must be a string, or a list of strings or of token lists', { param: 'input' });
  },
  streams: () => false,
  upstreamBody: (body, model) => ({ ...body, model }),
};

const RESPONSES: WireFormat = {
  ...CHAT,
  path: () => 'responses',
  checkShape(body) {
    const { input } = body;
    if (input === undefined || input === null || input === '') throw badRequest('input is required: a string, or a list of input items', { param: 'input' });
    if (typeof input !== 'string' && !(Array.isArray(input) && input.every(isObject))) throw badRequest('input must be a string, or a list of input items (objects)', { param: 'input' });
    if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
      // A stored response lives with the key that made it: another key of the pool could not find it.
      throw badRequest('previous_response_id is not supported through the pool: send the conversation in input instead', { param: 'previous_response_id' });
    }
  },
  upstreamBody: (body, model) => ({ ...body, model }),
  usage: responsesUsage,
  streamEvent(data, sofar) {
    // The usage comes with the final event, response.completed (or .incomplete), inside its response.
    const response = (data as { response?: unknown } | null)?.response;
    return { usage: responsesUsage(response) ?? sofar, keep: true };
  },
};

/** The Anthropic API version sent when the caller names none. */
export const ANTHROPIC_VERSION = '2023-06-01';

const MESSAGES: WireFormat = {
  path: () => 'messages',
  family: 'anthropic',
  passHeaders: ['anthropic-version', 'anthropic-beta'],
  checkShape(body) {
    const { messages, max_tokens: maxTokens } = body;
    if (messages === undefined || messages === null) throw badRequest('messages is required: a list of { role, content } objects', { param: 'messages' });
    if (!Array.isArray(messages) || !messages.every(isObject)) throw badRequest('messages must be a list of { role, content } objects', { param: 'messages' });
    if (maxTokens === undefined || maxTokens === null) throw badRequest('max_tokens is required: the most tokens the answer may have', { param: 'max_tokens' });
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw badRequest('max_tokens must be a whole number of at least 1', { param: 'max_tokens' });
  },
  streams: streamFlag,
  upstreamBody: (body, model) => ({ ...body, model }),
  keyHeaders: (apiKey, passed) => ({ ...(apiKey && { 'x-api-key': apiKey }), 'anthropic-version': passed['anthropic-version'] ?? ANTHROPIC_VERSION, ...(passed['anthropic-beta'] && { 'anthropic-beta': passed['anthropic-beta'] }) }),
  usage: (answer) => anthropicUsage((answer as { usage?: unknown } | null)?.usage, null),
  streamEvent(data, sofar) {
    // message_start carries the input tokens (and the first output count), message_delta the output so far.
    const d = data as { type?: unknown; message?: { usage?: unknown }; usage?: unknown } | null;
    if (d?.type === 'message_start') return { usage: anthropicUsage(d.message?.usage, sofar), keep: true };
    if (d?.type === 'message_delta') return { usage: anthropicUsage(d.usage, sofar), keep: true };
    // An error inside the stream (an overloaded API mid-answer): passed on, and the call is that failure.
    if (d?.type === 'error') return { usage: sofar, keep: true, failed: true };
    return { usage: sofar, keep: true };
  },
};

/** Gemini's methods on a model: the native API is the parent of its OpenAI-compatible one (…/v1beta/openai). */
const gemini = (method: string, check: (body: Record<string, unknown>) => void, streams = false): WireFormat => ({
  path: ({ model, apiVersion, sse }) => `${apiVersion}/models/${encodeURIComponent(model)}:${method}${streams && sse ? '?alt=sse' : ''}`,
  family: 'gemini',
  rebase: (openAiBase) => openAiBase.replace(/\/v1(beta)?\/openai$/, ''),
  jsonArrayStream: ({ sse }) => streams && !sse,
  passHeaders: [],
  checkShape: check,
  streams: () => streams,
  upstreamBody: (body) => body,
  keyHeaders: (apiKey): Record<string, string> => (apiKey ? { 'x-goog-api-key': apiKey } : {}),
  usage: geminiUsage,
  streamEvent: (data, sofar) => ({ usage: geminiUsage(data) ?? sofar, keep: true }),
});

const needsContents = (body: Record<string, unknown>) => {
  const { contents } = body;
  if (contents === undefined || contents === null) throw badRequest('contents is required: a list of { role, parts } objects', { param: 'contents' });
  if (!Array.isArray(contents) || !contents.every(isObject)) throw badRequest('contents must be a list of { role, parts } objects', { param: 'contents' });
};
const needsContent = (body: Record<string, unknown>) => {
  if (!isObject(body.content)) throw badRequest('content is required: a { parts } object', { param: 'content' });
};

/** OpenAI chat completions to Anthropic's Messages API, and its answers back (translate.ts). */
const CHAT_VIA_ANTHROPIC: WireFormat = {
  ...MESSAGES,
  passHeaders: [],
  checkShape: CHAT.checkShape,
  upstreamBody: (body, model) => chatToAnthropic(body, model),
  answer: anthropicToChat,
  errorAnswer: errorToChat,
  translateStream: anthropicStream,
};

/** OpenAI chat completions to Gemini's generateContent (a stream as SSE), and its answers back (translate.ts). */
const CHAT_VIA_GEMINI: WireFormat = {
  ...gemini('generateContent', CHAT.checkShape),
  path: ({ model, apiVersion }) => `${apiVersion}/models/${encodeURIComponent(model)}:generateContent`,
  streams: streamFlag,
  upstreamBody: (body) => chatToGemini(body),
  answer: geminiToChat,
  errorAnswer: errorToChat,
  translateStream: geminiStream,
};
const CHAT_VIA_GEMINI_STREAM: WireFormat = { ...CHAT_VIA_GEMINI, path: ({ model, apiVersion }) => `${apiVersion}/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse` };

/** The format of a chat completion to a provider whose own API it is translated to (none: the provider's OpenAI-compatible API). */
export function translatedChat(baseProvider: string, stream: boolean): WireFormat | null {
  if (baseProvider === 'anthropic') return CHAT_VIA_ANTHROPIC;
  if (baseProvider === 'google_ai' || baseProvider === 'gemini') return stream ? CHAT_VIA_GEMINI_STREAM : CHAT_VIA_GEMINI;
  return null;
}

export const WIRE_FORMATS: Record<GatewayEndpoint, WireFormat> = {
  'chat/completions': CHAT,
  embeddings: EMBEDDINGS,
  responses: RESPONSES,
  messages: MESSAGES,
  'gemini:generateContent': gemini('generateContent', needsContents),
  'gemini:streamGenerateContent': gemini('streamGenerateContent', needsContents, true),
  // countTokens takes contents, or a whole generateContentRequest.
  'gemini:countTokens': gemini('countTokens', (body) => (isObject(body.generateContentRequest) ? undefined : needsContents(body))),
  'gemini:embedContent': gemini('embedContent', needsContent),
  // What @google/genai's embedContent calls: one request per content.
  'gemini:batchEmbedContents': gemini('batchEmbedContents', (body) => {
    if (!Array.isArray(body.requests) || body.requests.length === 0 || !body.requests.every(isObject)) {
      throw badRequest('requests is required: a list of { model, content } objects', { param: 'requests' });
    }
  }),
};
