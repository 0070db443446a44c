/**
 * A local stand-in for an OpenAI-compatible provider, speaking OpenAI's wire
 * format: `POST /v1/chat/completions` (JSON, or Server-Sent Events with
 * `stream: true`, a usage chunk when `stream_options.include_usage`) and
 * `POST /v1/embeddings`, and the free calls a key is checked with (`GET /v1/models`, OpenRouter's
 * `GET /v1/key`; the key as a bearer token or, as Anthropic takes it, in x-api-key). What each key gets is set by the test (a status, a
 * delay, a stream cut after its first event, …); every request is recorded,
 * with whether the caller went away before the answer ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamBehaviour =
  | {
      kind: 'ok'; usage?: { prompt_tokens: number; completion_tokens: number }; content?: string;
      /** A stream's pauses: before its first event, and between the first and the rest. */
      firstEventAfterMs?: number; restAfterMs?: number;
    }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Answers after a delay (longer than the gateway's attempt timeout: a timeout). */
  | { kind: 'slow'; delayMs: number }
  /** Closes the connection without answering. */
  | { kind: 'drop' }
  /** Streams one event, then cuts the connection. */
  | { kind: 'cut_after_first_event' }
  /** Streams one event, then holds the stream open until the caller goes away. */
  | { kind: 'hold_after_first_event' }
  /** Anthropic's stream: message_start, then an `event: error` (overloaded), then the end. */
  | { kind: 'anthropic_error_event' };

export interface UpstreamRequest {
  path: string;
  key: string;
  body: Record<string, any>;
  headers: IncomingMessage['headers'];
  /** The caller closed the connection before the answer ended. */
  aborted: boolean;
}

export interface FakeOpenAi {
  /** The OpenAI base URL (ends in /v1). */
  url: string;
  /** The bare origin (a Bifrost-style base URL: keypool appends /v1). */
  origin: string;
  requests: UpstreamRequest[];
  behave(key: string, behaviour: UpstreamBehaviour): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { prompt_tokens: 120, completion_tokens: 48 };

function chunk(id: string, model: string, delta: object, finish: string | null = null) {
  return { id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const behaviours = new Map<string, UpstreamBehaviour>();
  const requests: UpstreamRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      // Anthropic's own API takes the key in x-api-key.
      const key = auth.startsWith('Bearer ') ? auth.slice(7) : String(req.headers['x-api-key'] ?? req.headers['x-goog-api-key'] ?? '');
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as {}
      }
      const record: UpstreamRequest = { path: req.url ?? '', key, body, headers: req.headers, aborted: false };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      answer(behaviours.get(key) ?? { kind: 'ok' }, record, res);
    });
  });

  function answer(b: UpstreamBehaviour, r: UpstreamRequest, res: ServerResponse) {
    const model = String(r.body.model);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    switch (b.kind) {
      case 'status':
        return json(b.status, b.body ?? { error: { message: `upstream says ${b.status}`, type: 'server_error', code: null } }, b.headers);
      case 'slow':
        setTimeout(() => !res.destroyed && json(200, completion(model, DEFAULT_USAGE, 'late')), b.delayMs).unref();
        return;
      case 'drop':
        res.socket?.destroy();
        return;
      case 'cut_after_first_event':
      case 'hold_after_first_event':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk('c1', model, { role: 'assistant', content: 'Hel' }))}\n\n`);
        if (b.kind === 'cut_after_first_event') setTimeout(() => res.socket?.destroy(), 20).unref();
        return;
      case 'anthropic_error_event':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_e', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } })}\n\n`);
        res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
        return;
      case 'ok':
        break;
    }
    const usage = b.usage ?? DEFAULT_USAGE;
    // The free calls a key is checked with: the models list, and OpenRouter's key information.
    if (r.path.endsWith('/models')) return json(200, { object: 'list', data: [{ id: 'llama-3.1-8b-instant', object: 'model', owned_by: 'fake' }] });
    if (r.path.endsWith('/key')) return json(200, { data: { label: 'fake', usage: 0, limit: null, is_free_tier: true } });
    if (r.path.endsWith('/embeddings')) {
      const vector = [0.1, 0.2, 0.3];
      // The openai package asks for base64 (little-endian float32) unless told otherwise.
      const embedding = r.body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return json(200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding }], model, usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens } });
    }
    if (r.path.endsWith('/messages')) return anthropicMessage(r, res, usage, b.content ?? 'Hello there');
    if (/\/models\/[^/]+:\w+/.test(r.path)) return gemini(r, res, usage, b.content ?? 'Hello there');
    if (r.path.endsWith('/responses')) return openAiResponse(r, res, usage, b.content ?? 'Hello there');
    if (r.body.stream !== true) return json(200, completion(model, usage, b.content ?? 'Hello there'));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const words = (b.content ?? 'Hello there').split(' ');
    const events = [chunk('c1', model, { role: 'assistant', content: '' }), ...words.map((w, i) => chunk('c1', model, { content: i === 0 ? w : ` ${w}` }))];
    events.push(chunk('c1', model, {}, 'stop'));
    if (r.body.stream_options?.include_usage) events.push({ ...chunk('c1', model, {}), choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } as never);
    const send = (list: object[]) => {
      for (const e of list) res.write(`data: ${JSON.stringify(e)}\n\n`);
    };
    const later = (ms: number | undefined, then: () => void) => (ms ? void setTimeout(() => !res.destroyed && then(), ms).unref() : then());
    later(b.firstEventAfterMs, () => {
      send(events.slice(0, 1));
      later(b.restAfterMs, () => {
        send(events.slice(1));
        res.end('data: [DONE]\n\n');
      });
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    behave: (key, behaviour) => void behaviours.set(key, behaviour),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Anthropic's Messages API: a message (a tool_use block when tools are offered), or its SSE event sequence. */
function anthropicMessage(r: UpstreamRequest, res: ServerResponse, usage: { prompt_tokens: number; completion_tokens: number }, content: string) {
  const model = String(r.body.model);
  const tool = Array.isArray(r.body.tools) && r.body.tools.length > 0 ? (r.body.tools[0] as { name: string }) : null;
  const block = tool ? { type: 'tool_use', id: 'toolu_01', name: tool.name, input: { city: 'Paris' } } : { type: 'text', text: content };
  const message = {
    id: 'msg_01', type: 'message', role: 'assistant', model, content: [block], stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null,
    usage: { input_tokens: usage.prompt_tokens - 10, cache_read_input_tokens: 10, cache_creation_input_tokens: 0, output_tokens: usage.completion_tokens },
  };
  if (r.body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(message));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } });
  send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  send('ping', {});
  for (const [i, word] of content.split(' ').entries()) send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: i === 0 ? word : ` ${word}` } });
  send('content_block_stop', { index: 0 });
  send('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.completion_tokens } });
  send('message_stop', {});
  res.end();
}

/** Gemini's own API: generateContent, streamGenerateContent (SSE with alt=sse, else a JSON array), countTokens, embedContent. */
function gemini(r: UpstreamRequest, res: ServerResponse, usage: { prompt_tokens: number; completion_tokens: number }, content: string) {
  const method = /:(\w+)/.exec(r.path)![1];
  const json = (value: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (method === 'countTokens') return json({ totalTokens: usage.prompt_tokens });
  if (method === 'embedContent') return json({ embedding: { values: [0.1, 0.2, 0.3] } });
  if (method === 'batchEmbedContents') return json({ embeddings: (r.body.requests as unknown[]).map(() => ({ values: [0.1, 0.2, 0.3] })) });
  const usageMetadata = { promptTokenCount: usage.prompt_tokens, candidatesTokenCount: usage.completion_tokens, totalTokenCount: usage.prompt_tokens + usage.completion_tokens };
  const item = (text: string, last: boolean) => ({
    candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(last && { finishReason: 'STOP' }) }],
    ...(last && { usageMetadata }), modelVersion: 'gemini-2.0-flash',
  });
  if (method === 'generateContent') return json(item(content, true));
  const words = content.split(' ');
  const items = words.map((w, i) => item(i === 0 ? w : ` ${w}`, i === words.length - 1));
  if (r.path.includes('alt=sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const it of items) res.write(`data: ${JSON.stringify(it)}\r\n\r\n`);
    return res.end();
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[');
  items.forEach((it, i) => res.write(`${i > 0 ? ',\r\n' : ''}${JSON.stringify(it)}`));
  res.end(']');
}

/** OpenAI's Responses API: a response object, or its SSE events (the usage in response.completed). */
function openAiResponse(r: UpstreamRequest, res: ServerResponse, usage: { prompt_tokens: number; completion_tokens: number }, content: string) {
  const model = String(r.body.model);
  const message = { type: 'message', id: 'msg_01', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: content, annotations: [] }] };
  const response = {
    id: 'resp_01', object: 'response', created_at: 1_700_000_000, status: 'completed', model, output: [message], parallel_tool_calls: true, tool_choice: 'auto', tools: [],
    usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
  if (r.body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(response));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let seq = 0;
  const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  send('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } });
  for (const word of content.split(' ')) send('response.output_text.delta', { item_id: 'msg_01', output_index: 0, content_index: 0, delta: `${word} ` });
  send('response.completed', { response });
  res.end();
}

export function completion(model: string, usage: { prompt_tokens: number; completion_tokens: number }, content: string) {
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1_700_000_000, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}
