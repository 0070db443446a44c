/**
 * Translation: an OpenAI chat completion call to a model of `anthropic/…` or `google_ai/…` (or
 * `gemini/…`) goes to the provider's own API (Anthropic Messages, Gemini generateContent) and its
 * answer comes back as OpenAI's — so one OpenAI client reaches every provider of the pool.
 *
 * Translated: system and developer messages; user, assistant and tool messages; text and image
 * parts (data URLs inline, http(s) URLs by reference for Anthropic); tools, tool_choice and tool
 * calls with their results; max_tokens / max_completion_tokens, temperature, top_p, stop;
 * response_format json_object (Gemini only); stop reasons; streamed deltas (text and tool-call
 * arguments); usage. Anything else that changes the answer is refused with a 400 naming it
 * (UNTRANSLATED), never dropped silently.
 */
import { badRequest } from '../../platform/errors/app-error.js';
import { anthropicUsage, geminiUsage, openAiShape, type TokenUsage } from './provider-usage.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fields of a chat completion request that have no counterpart: a 400 when given (null and the default value are accepted). */
const UNTRANSLATED: Record<string, unknown> = {
  n: 1, logprobs: false, top_logprobs: null, logit_bias: null, presence_penalty: 0, frequency_penalty: 0, audio: null, modalities: null,
  prediction: null, seed: null, service_tier: null, parallel_tool_calls: true, functions: null, function_call: null,
};

/** The provider a translated call goes to, for messages. */
type Target = 'Anthropic' | 'Gemini';

function refuseUntranslated(body: Json, target: Target): void {
  for (const [name, neutral] of Object.entries(UNTRANSLATED)) {
    const value = body[name];
    if (value === undefined || value === null || value === neutral) continue;
    throw badRequest(`${name} is not translated to ${target}'s API: leave it out, or call ${target === 'Anthropic' ? 'POST /v1/messages' : 'models/{model}:generateContent'} directly`, { param: name });
  }
  const format = body.response_format;
  if (isObject(format) && format.type !== 'text' && !(target === 'Gemini' && format.type === 'json_object')) {
    throw badRequest(`response_format ${String(format.type)} is not translated to ${target}'s API`, { param: 'response_format' });
  }
}

const textOf = (content: unknown): string => (typeof content === 'string' ? content : Array.isArray(content)
  ? content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('')
  : '');

const stops = (stop: unknown): string[] | undefined => (typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined);
const maxTokensOf = (body: Json): number | undefined => {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' ? v : undefined;
};
const argumentsOf = (raw: unknown, param: string): unknown => {
  if (typeof raw !== 'string' || raw === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw badRequest(`${param} must be a JSON object (a tool call's arguments)`, { param });
  }
};
const dataUrl = (url: string) => /^data:([^;,]+);base64,(.*)$/s.exec(url);

/** The part of an image_url content part: its URL. */
function imageUrl(part: Json, param: string): string {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string' || url === '') throw badRequest(`${param}.image_url.url is required`, { param });
  return url;
}

// ---------------------------------------------------------------- Anthropic

/** An OpenAI chat completion request as Anthropic's Messages request. */
export function chatToAnthropic(body: Json, model: string): Json {
  refuseUntranslated(body, 'Anthropic');
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  (body.messages as Json[]).forEach((m, i) => {
    const param = `messages[${i}]`;
    if (m.role === 'system' || m.role === 'developer') return void system.push(textOf(m.content));
    if (m.role === 'tool') return push('user', [{ type: 'tool_result', tool_use_id: String(m.tool_call_id ?? ''), content: textOf(m.content) }]);
    if (m.role !== 'user' && m.role !== 'assistant') throw badRequest(`${param}.role must be system, developer, user, assistant or tool`, { param });
    const blocks: Json[] = [];
    if (typeof m.content === 'string') {
      if (m.content !== '') blocks.push({ type: 'text', text: m.content });
    } else if (Array.isArray(m.content)) {
      m.content.forEach((p, j) => {
        if (!isObject(p)) throw badRequest(`${param}.content[${j}] must be an object`, { param });
        if (p.type === 'text') blocks.push({ type: 'text', text: String(p.text ?? '') });
        else if (p.type === 'image_url') {
          const url = imageUrl(p, `${param}.content[${j}]`);
          const inline = dataUrl(url);
          blocks.push({ type: 'image', source: inline ? { type: 'base64', media_type: inline[1], data: inline[2] } : { type: 'url', url } });
        } else throw badRequest(`${param}.content[${j}] of type ${String(p.type)} is not translated to Anthropic's API (text and image_url are)`, { param });
      });
    }
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((call, j) => {
        const fn = isObject(call) && isObject(call.function) ? call.function : null;
        if (!fn) throw badRequest(`${param}.tool_calls[${j}].function is required`, { param });
        blocks.push({ type: 'tool_use', id: String((call as Json).id ?? `call_${i}_${j}`), name: String(fn.name), input: argumentsOf(fn.arguments, `${param}.tool_calls[${j}].function.arguments`) });
      });
    }
    push(m.role, blocks.length > 0 ? blocks : [{ type: 'text', text: '' }]);
  });
  const out: Json = { model, messages, max_tokens: maxTokensOf(body) ?? 4096 };
  if (system.length > 0) out.system = system.join('\n\n');
  for (const name of ['temperature', 'top_p'] as const) if (typeof body[name] === 'number') out[name] = body[name];
  const stop = stops(body.stop);
  if (stop) out.stop_sequences = stop;
  if (body.stream === true) out.stream = true;
  if (Array.isArray(body.tools)) {
    out.tools = body.tools.map((t) => {
      const fn = isObject(t) && isObject(t.function) ? t.function : {};
      return { name: fn.name, ...(fn.description !== undefined && { description: fn.description }), input_schema: fn.parameters ?? { type: 'object', properties: {} } };
    });
  }
  const choice = body.tool_choice;
  if (choice === 'auto') out.tool_choice = { type: 'auto' };
  else if (choice === 'required') out.tool_choice = { type: 'any' };
  else if (choice === 'none') out.tool_choice = { type: 'none' };
  else if (isObject(choice) && isObject(choice.function)) out.tool_choice = { type: 'tool', name: choice.function.name };
  return out;
}

const ANTHROPIC_FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', refusal: 'content_filter' };

/** A provider's usage, read by provider-usage.ts, as OpenAI's `usage` (none when it said none). */
const usageOf = (u: TokenUsage | null): Json | undefined => (u ? openAiShape(u) : undefined);

/** Anthropic's message as an OpenAI chat completion. */
export function anthropicToChat(message: unknown, model: string): Json {
  const m = isObject(message) ? message : {};
  const blocks = Array.isArray(m.content) ? m.content.filter(isObject) : [];
  const text = blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? '')).join('');
  const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }));
  return {
    id: `chatcmpl-${String(m.id ?? 'anthropic')}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, message: { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 && { tool_calls: calls }) }, logprobs: null, finish_reason: ANTHROPIC_FINISH[String(m.stop_reason)] ?? 'stop' }],
    usage: usageOf(anthropicUsage(m.usage, null)),
  };
}

/** A provider's error body as OpenAI's, its message kept. */
export function errorToChat(body: unknown, status: number): Json {
  // Gemini may wrap its error in a list.
  const root = Array.isArray(body) ? body[0] : body;
  const error = isObject(root) && isObject(root.error) ? root.error : null;
  const message = error && typeof error.message === 'string' ? error.message : `The upstream answered HTTP ${status}`;
  return { error: { message, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: error?.type ?? error?.status ?? null } };
}

/** A translated stream: each upstream event's data in, OpenAI chunks out (`data: …` lines), and what ends the stream. */
export interface StreamTranslator {
  event(data: unknown): string[];
  end(): string[];
}

const chunkLine = (id: string, model: string, delta: Json, finish: string | null = null, usage?: Json) =>
  `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: usage && !finish && Object.keys(delta).length === 0 ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(usage && { usage }) })}`;

/** Anthropic's stream events as OpenAI chunks (the usage chunk only when the caller asked for it). */
export function anthropicStream(model: string, includeUsage: boolean): StreamTranslator {
  let id = 'chatcmpl-anthropic';
  let usage: TokenUsage | null = null;
  const toolIndex = new Map<number, number>();
  return {
    event(data) {
      const d = isObject(data) ? data : {};
      switch (d.type) {
        case 'message_start': {
          const message = isObject(d.message) ? d.message : {};
          id = `chatcmpl-${String(message.id ?? 'anthropic')}`;
          usage = anthropicUsage(message.usage, null);
          return [chunkLine(id, model, { role: 'assistant', content: '' })];
        }
        case 'content_block_start': {
          const block = isObject(d.content_block) ? d.content_block : {};
          if (block.type !== 'tool_use') return [];
          const index = toolIndex.size;
          toolIndex.set(Number(d.index), index);
          return [chunkLine(id, model, { tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
        }
        case 'content_block_delta': {
          const delta = isObject(d.delta) ? d.delta : {};
          if (delta.type === 'text_delta') return [chunkLine(id, model, { content: String(delta.text ?? '') })];
          if (delta.type === 'input_json_delta') return [chunkLine(id, model, { tool_calls: [{ index: toolIndex.get(Number(d.index)) ?? 0, function: { arguments: String(delta.partial_json ?? '') } }] })];
          return [];
        }
        case 'message_delta': {
          usage = anthropicUsage(d.usage, usage);
          const stop = isObject(d.delta) ? d.delta.stop_reason : null;
          return [chunkLine(id, model, {}, ANTHROPIC_FINISH[String(stop)] ?? 'stop')];
        }
        default:
          return [];
      }
    },
    end: () => [...(includeUsage && usage ? [chunkLine(id, model, {}, null, openAiShape(usage))] : []), 'data: [DONE]'],
  };
}

// ---------------------------------------------------------------- Gemini

/** An OpenAI chat completion request as Gemini's generateContent request. */
export function chatToGemini(body: Json): Json {
  refuseUntranslated(body, 'Gemini');
  const system: string[] = [];
  const contents: { role: 'user' | 'model'; parts: Json[] }[] = [];
  const names = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Json[]) => {
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  (body.messages as Json[]).forEach((m, i) => {
    const param = `messages[${i}]`;
    if (m.role === 'system' || m.role === 'developer') return void system.push(textOf(m.content));
    if (m.role === 'tool') {
      const name = names.get(String(m.tool_call_id)) ?? String(m.name ?? 'tool');
      const text = textOf(m.content);
      let response: unknown;
      try {
        response = JSON.parse(text);
      } catch {
        response = { result: text };
      }
      return push('user', [{ functionResponse: { name, response: isObject(response) ? response : { result: response } } }]);
    }
    if (m.role !== 'user' && m.role !== 'assistant') throw badRequest(`${param}.role must be system, developer, user, assistant or tool`, { param });
    const parts: Json[] = [];
    if (typeof m.content === 'string') {
      if (m.content !== '') parts.push({ text: m.content });
    } else if (Array.isArray(m.content)) {
      m.content.forEach((p, j) => {
        if (!isObject(p)) throw badRequest(`${param}.content[${j}] must be an object`, { param });
        if (p.type === 'text') parts.push({ text: String(p.text ?? '') });
        else if (p.type === 'image_url') {
          const inline = dataUrl(imageUrl(p, `${param}.content[${j}]`));
          if (!inline) throw badRequest(`${param}.content[${j}]: Gemini takes images inline: send a data: URL (base64)`, { param });
          parts.push({ inlineData: { mimeType: inline[1], data: inline[2] } });
        } else throw badRequest(`${param}.content[${j}] of type ${String(p.type)} is not translated to Gemini's API (text and image_url are)`, { param });
      });
    }
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((call, j) => {
        const fn = isObject(call) && isObject(call.function) ? call.function : null;
        if (!fn) throw badRequest(`${param}.tool_calls[${j}].function is required`, { param });
        names.set(String((call as Json).id), String(fn.name));
        parts.push({ functionCall: { name: fn.name, args: argumentsOf(fn.arguments, `${param}.tool_calls[${j}].function.arguments`) } });
      });
    }
    push(m.role === 'assistant' ? 'model' : 'user', parts.length > 0 ? parts : [{ text: '' }]);
  });
  const generationConfig: Json = {};
  const max = maxTokensOf(body);
  if (max !== undefined) generationConfig.maxOutputTokens = max;
  if (typeof body.temperature === 'number') generationConfig.temperature = body.temperature;
  if (typeof body.top_p === 'number') generationConfig.topP = body.top_p;
  const stop = stops(body.stop);
  if (stop) generationConfig.stopSequences = stop;
  if (isObject(body.response_format) && body.response_format.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  const out: Json = { contents };
  if (system.length > 0) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (Object.keys(generationConfig).length > 0) out.generationConfig = generationConfig;
  if (Array.isArray(body.tools)) {
    out.tools = [{ functionDeclarations: body.tools.map((t) => {
      const fn = isObject(t) && isObject(t.function) ? t.function : {};
      return { name: fn.name, ...(fn.description !== undefined && { description: fn.description }), ...(fn.parameters !== undefined && { parameters: fn.parameters }) };
    }) }];
  }
  const choice = body.tool_choice;
  const mode = choice === 'auto' ? 'AUTO' : choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : null;
  if (mode) out.toolConfig = { functionCallingConfig: { mode } };
  else if (isObject(choice) && isObject(choice.function)) out.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  return out;
}

const GEMINI_FINISH: Record<string, string> = { STOP: 'stop', MAX_TOKENS: 'length', SAFETY: 'content_filter', RECITATION: 'content_filter', PROHIBITED_CONTENT: 'content_filter', BLOCKLIST: 'content_filter', SPII: 'content_filter' };


/** The text and function calls of Gemini's first candidate, and its finish reason. */
function candidateOf(response: unknown): { text: string; calls: Json[]; finish: string | null } {
  const r = isObject(response) ? response : {};
  const candidate = Array.isArray(r.candidates) && isObject(r.candidates[0]) ? r.candidates[0] : {};
  const parts = isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts.filter(isObject) : [];
  return {
    text: parts.filter((p) => typeof p.text === 'string' && p.thought !== true).map((p) => p.text as string).join(''),
    calls: parts.filter((p) => isObject(p.functionCall)).map((p) => p.functionCall as Json),
    finish: typeof candidate.finishReason === 'string' ? candidate.finishReason : null,
  };
}

const toolCalls = (calls: Json[], first = 0) => calls.map((c, i) => ({ index: first + i, id: `call_${first + i}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) } }));

/** Gemini's generateContent answer as an OpenAI chat completion. */
export function geminiToChat(response: unknown, model: string): Json {
  const { text, calls, finish } = candidateOf(response);
  const tool = toolCalls(calls).map(({ index: _index, ...call }) => call);
  return {
    id: `chatcmpl-${String((response as Json | null)?.responseId ?? 'gemini')}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
    choices: [{ index: 0, message: { role: 'assistant', content: text === '' && tool.length > 0 ? null : text, ...(tool.length > 0 && { tool_calls: tool }) }, logprobs: null,
      finish_reason: tool.length > 0 ? 'tool_calls' : GEMINI_FINISH[String(finish)] ?? 'stop' }],
    usage: usageOf(geminiUsage(response)),
  };
}

/** Gemini's SSE chunks as OpenAI chunks. */
export function geminiStream(model: string, includeUsage: boolean): StreamTranslator {
  const id = 'chatcmpl-gemini';
  let started = false;
  let calls = 0;
  let usage: TokenUsage | null = null;
  return {
    event(data) {
      const out: string[] = [];
      if (!started) {
        started = true;
        out.push(chunkLine(id, model, { role: 'assistant', content: '' }));
      }
      const { text, calls: fresh, finish } = candidateOf(data);
      if (text !== '') out.push(chunkLine(id, model, { content: text }));
      if (fresh.length > 0) {
        out.push(chunkLine(id, model, { tool_calls: toolCalls(fresh, calls) }));
        calls += fresh.length;
      }
      usage = geminiUsage(data) ?? usage;
      if (finish) out.push(chunkLine(id, model, {}, calls > 0 ? 'tool_calls' : GEMINI_FINISH[finish] ?? 'stop'));
      return out;
    },
    end: () => [...(includeUsage && usage ? [chunkLine(id, model, {}, null, openAiShape(usage))] : []), 'data: [DONE]'],
  };
}
