/**
 * Where each provider's answer says how many tokens it used, read into one shape (TokenUsage):
 * OpenAI's `usage` (chat, embeddings, chunks), OpenAI Responses' `usage`, Anthropic's `usage`
 * (cache reads and writes count as input, as they do against its limits) and Gemini's
 * `usageMetadata` (thoughts count as output, as they are billed). The gateway's reports and its
 * translated answers (translate.ts) both read them here.
 */
/** The tokens one call used: its prompt (input) and its completion (output). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? Math.min(n, 100_000_000) : 0);

/** `usage` of an OpenAI chat completion, embedding or chunk, when it has token counts. */
export function openAiUsage(body: unknown): TokenUsage | null {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
}

/** `usage` of an OpenAI Responses object (`input_tokens`, `output_tokens`). */
export function responsesUsage(body: unknown): TokenUsage | null {
  const usage = (body as { usage?: { input_tokens?: unknown; output_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage.input_tokens !== 'number') return null;
  return { promptTokens: count(usage.input_tokens), completionTokens: count(usage.output_tokens) };
}

/** Anthropic's usage: input (cache reads and writes included, as they count against its limits) and output tokens. */
export function anthropicUsage(usage: unknown, sofar: TokenUsage | null): TokenUsage | null {
  if (!isObject(usage)) return sofar;
  const input = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'].some((f) => typeof usage[f] === 'number')
    ? count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens)
    : sofar?.promptTokens ?? 0;
  const output = typeof usage.output_tokens === 'number' ? count(usage.output_tokens) : sofar?.completionTokens ?? 0;
  return { promptTokens: input, completionTokens: output };
}

/** Gemini's usageMetadata: the prompt, and the candidates with the model's thoughts (both are output it is billed for). */
export function geminiUsage(body: unknown): TokenUsage | null {
  const usage = (body as { usageMetadata?: Record<string, unknown> } | null)?.usageMetadata;
  if (!isObject(usage) || typeof usage.promptTokenCount !== 'number') return null;
  return { promptTokens: count(usage.promptTokenCount), completionTokens: count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount) };
}

/** A usage as OpenAI's `usage` object. */
export const openAiShape = (u: TokenUsage) => ({ prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens });
