/**
 * What a gateway request may cost in tokens, for the keys with token limits: its input counted
 * with a real tokenizer (OpenAI's o200k_base, from gpt-tokenizer), and its output cap (the
 * request's max_completion_tokens or max_tokens; a default when it gives none). The pool clamps
 * the output part to what each key's token limits allow and puts the reported tokens in place of
 * the estimate when the call is reported.
 *
 * OpenAI's models are counted by their own encoding. Other families (Llama, Mistral, Gemini,
 * Claude, Qwen, …) have tokenizers of their own that the gateway does not ship; their count is
 * o200k's with a margin (MARGIN), since their vocabularies split common text into up to about a
 * fifth more tokens.
 *
 * The tokenizer is loaded on the first request that asks for an estimate (about 150 ms, once).
 */
import type { TokenEstimate } from '../pool/index.js';

/** The output a request that gives no cap is expected to use (reconciled from its report). */
export const DEFAULT_OUTPUT_TOKENS = 1024;
/** Tokens a chat message costs beyond its content (role, separators), and the reply's priming. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
/** What an image part is counted as (a high-detail 1024×1024 image is 765 tokens for OpenAI; other providers' are close). */
const PER_IMAGE = 1000;
/** Other families' count, as o200k's times this. */
const MARGIN = 1.25;

type Count = (text: string) => number;
let loading: Promise<Count> | null = null;

/** The tokenizer's count, loaded once. */
export function tokenCounter(): Promise<Count> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => m.countTokens(text));
  return loading;
}

/** Whether the model is one of OpenAI's (counted without a margin). */
const isOpenAiModel = (model: string) => /^(gpt-|o\d|chatgpt-|text-embedding-|davinci|babbage)/i.test(model.replace(/^openai\//i, ''));

/** The request's input tokens and output cap, for every endpoint: OpenAI chat, embeddings and Responses, Anthropic Messages. */
export function estimateTokens(count: Count, endpoint: string, model: string, body: Record<string, unknown>): TokenEstimate {
  let input = 0;
  const text = (value: unknown) => {
    if (typeof value === 'string') input += count(value);
    else if (Array.isArray(value)) for (const part of value) part && typeof part === 'object' ? contentPart(part as Record<string, unknown>) : text(part);
    else if (value !== undefined && value !== null) input += count(JSON.stringify(value));
  };
  const contentPart = (part: Record<string, unknown>) => {
    if (part.type === 'image_url' || part.type === 'input_image' || part.type === 'image') input += PER_IMAGE;
    else if (typeof part.text === 'string') input += count(part.text);
    else input += count(JSON.stringify(part));
  };
  if (endpoint === 'embeddings') {
    text(body.input);
    return { input: scaled(input, model), output: 0 };
  }
  // Anthropic's system prompt and OpenAI Responses' instructions and input, beside the messages.
  if (body.system !== undefined) text(body.system);
  if (typeof body.instructions === 'string') input += count(body.instructions);
  if (endpoint === 'responses') {
    if (typeof body.input === 'string') input += count(body.input);
    else if (Array.isArray(body.input)) for (const item of body.input) if (item && typeof item === 'object') text((item as { content?: unknown }).content ?? JSON.stringify(item));
  }
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!message || typeof message !== 'object') continue;
      const m = message as Record<string, unknown>;
      input += PER_MESSAGE;
      text(m.content);
      if (m.tool_calls !== undefined) text(JSON.stringify(m.tool_calls));
      if (typeof m.name === 'string') input += count(m.name);
    }
    input += PER_REPLY;
  } else text(body.prompt);
  if (body.tools !== undefined) text(JSON.stringify(body.tools));
  if (body.functions !== undefined) text(JSON.stringify(body.functions));
  if (body.response_format !== undefined) text(JSON.stringify(body.response_format));
  const cap = [body.max_completion_tokens, body.max_tokens, body.max_output_tokens].find((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
  const choices = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
  return { input: scaled(input, model), output: (cap ?? DEFAULT_OUTPUT_TOKENS) * choices };
}

const scaled = (tokens: number, model: string) => (isOpenAiModel(model) ? tokens : Math.ceil(tokens * MARGIN));
