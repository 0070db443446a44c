/**
 * The relay of a streamed completion: Server-Sent Events pass through event
 * by event, as they arrive, while the relay notes when the first one came
 * (time to first token) and the token counts of the `usage` chunk. When
 * keypool asked for that chunk itself (the caller did not set
 * stream_options.include_usage), the chunk is kept from the caller, who would
 * not expect a chunk without choices.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

const EVENT_END = /\r?\n\r?\n/;

/** `usage` of an OpenAI response or chunk, when it has token counts. */
export function usageOf(body: unknown): TokenUsage | null {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  const tokens = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? Math.min(n, 100_000_000) : 0);
  return { promptTokens: tokens(usage.prompt_tokens), completionTokens: tokens(usage.completion_tokens) };
}

export class SseRelay extends Transform {
  usage: TokenUsage | null = null;
  firstEventAt: number | null = null;
  private carry = '';

  constructor(private readonly forwardUsageChunk: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.firstEventAt ??= performance.now();
    const text = this.carry + chunk.toString('utf8');
    const events = text.split(EVENT_END);
    this.carry = events.pop()!;
    let out = '';
    for (const event of events) if (this.keep(event)) out += `${event}\n\n`;
    if (out !== '') this.push(out);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry !== '' && this.keep(this.carry)) this.push(this.carry);
    done();
  }

  /** Notes the usage an event carries; false for the usage-only chunk the caller did not ask for. */
  private keep(event: string): boolean {
    if (!event.includes('"usage"')) return true;
    const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return true;
    }
    const usage = usageOf(parsed);
    if (!usage) return true;
    this.usage = usage;
    const choices = (parsed as { choices?: unknown[] }).choices;
    return this.forwardUsageChunk || (Array.isArray(choices) && choices.length > 0);
  }
}
