/**
 * The relay of a streamed answer: Server-Sent Events pass through event by
 * event, as they arrive, while the relay notes when the first one came (time
 * to first token) and, through the call's wire format (wire-formats.ts), the
 * token usage its events carry. An event the format keeps from the caller
 * (OpenAI's usage-only chunk, when keypool asked for it and the caller did
 * not) is dropped.
 *
 * Its work is linear in the bytes received: text is decoded as a stream (a
 * character split across two chunks arrives whole), each piece is searched
 * once for an event's end, and an event is joined only when it is complete.
 * One event larger than `maxEventBytes` ends the stream with an error event,
 * and the upstream is dropped. An event that carries the leased key has it
 * redacted.
 */
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import type { TokenUsage } from './provider-usage.js';
import type { StreamTranslator } from './translate.js';


/** An event ends with a blank line; the longest end marker is "\r\n\r\n". */
const EVENT_END = /\r?\n\r?\n/;
const LONGEST_END = 3; // characters of a marker that may already be pending before its last one arrives

/** The text with every occurrence of `secret` replaced (an upstream that echoes the key it was called with). */
export function redacted(text: string, secret: string | null): string {
  return secret !== null && text.includes(secret) ? text.split(secret).join('[redacted]') : text;
}

/** How a wire format reads one event's data: the usage after it, and whether the caller gets it. */
export type StreamEventReader = (data: unknown, sofar: TokenUsage | null) => { usage: TokenUsage | null; keep: boolean; failed?: boolean };

export interface SseRelayOptions {
  readEvent: StreamEventReader;
  /** A translated stream (translate.ts): every event's data goes through it, and what it writes is relayed instead. */
  translate?: StreamTranslator;
  /** The largest single event relayed. */
  maxEventBytes: number;
  /** The leased key, taken out of any event that carries it (null: nothing to redact). */
  secret: string | null;
  /** Called once when an event was too large, after the caller has read the error event: the upstream is to be dropped. */
  onOversizeEvent: () => void;
}

export class SseRelay extends Transform {
  usage: TokenUsage | null = null;
  /** An error event the upstream sent inside its stream (Anthropic's `event: error`), as it came: the call is reported as that failure. */
  errorEvent: string | null = null;
  firstEventAt: number | null = null;
  /** An event was larger than maxEventBytes: the caller got an error event and the stream ended. */
  oversize = false;
  private readonly decoder = new StringDecoder('utf8');
  /** The current event's text so far, in the pieces it came in. */
  private pending: string[] = [];
  private pendingBytes = 0;
  /** The last few characters pending, where an end marker may have begun. */
  private tail = '';

  constructor(private readonly options: SseRelayOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.firstEventAt ??= performance.now();
    if (!this.oversize) this.splitEvents(this.decoder.write(chunk));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.oversize) {
      this.splitEvents(this.decoder.end());
      const rest = this.pending.join('');
      if (this.options.translate) {
        const last = rest === '' ? '' : this.translated(rest);
        this.push(redacted(last + this.options.translate.end().map((line) => `${line}\n\n`).join(''), this.options.secret));
      } else if (rest !== '' && this.keep(rest)) this.push(redacted(rest, this.options.secret));
    }
    done();
  }

  /** Splits newly decoded text into complete events (each pushed at once) and what stays pending. */
  private splitEvents(text: string): void {
    let out = '';
    let rest = text;
    for (;;) {
      const scan = this.tail + rest;
      const end = EVENT_END.exec(scan);
      if (!end) break;
      // The marker may begin in the tail, already pending: the event is what precedes it.
      const pendingText = this.pending.join('');
      const event = pendingText.slice(0, pendingText.length - this.tail.length) + scan.slice(0, end.index);
      if (this.options.translate) out += redacted(this.translated(event), this.options.secret);
      else if (this.keep(event)) out += `${redacted(event, this.options.secret)}\n\n`;
      rest = scan.slice(end.index + end[0].length);
      this.pending = [];
      this.pendingBytes = 0;
      this.tail = '';
    }
    if (rest !== '') {
      this.pending.push(rest);
      this.pendingBytes += Buffer.byteLength(rest);
      this.tail = (this.tail + rest).slice(-LONGEST_END);
    }
    if (out !== '') this.push(out);
    if (this.pendingBytes > this.options.maxEventBytes) this.endOversize();
  }

  /** The caller is told in the stream's own terms, the stream ends, the upstream is dropped. */
  private endOversize(): void {
    this.oversize = true;
    this.pending = [];
    const error = {
      error: {
        message: `The upstream sent an event larger than ${this.options.maxEventBytes} bytes (KEYPOOL_GATEWAY_MAX_EVENT_BYTES); the stream was ended`,
        type: 'upstream_error',
        param: null,
        code: 'event_too_large',
      },
    };
    this.once('end', () => this.options.onOversizeEvent());
    this.push(`event: error\ndata: ${JSON.stringify(error)}\n\n`);
    this.push(null);
  }

  /** A translated stream's output for one upstream event (its usage noted). */
  private translated(event: string): string {
    const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
    if (data === '' || data === '[DONE]') return '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return '';
    }
    const read = this.options.readEvent(parsed, this.usage);
    this.usage = read.usage;
    if (read.failed) this.errorEvent = data;
    return this.options.translate!.event(parsed).map((line) => `${line}\n\n`).join('');
  }

  /** Notes the usage an event carries (only events that mention usage are parsed); false for an event the format keeps from the caller. */
  private keep(event: string): boolean {
    // "usage" (OpenAI, Anthropic), "usageMetadata" (Gemini), an error event: any other event is passed on unparsed.
    if (!event.includes('"usage') && !event.includes('"error"')) return true;
    const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return true;
    }
    const read = this.options.readEvent(parsed, this.usage);
    this.usage = read.usage;
    if (read.failed) this.errorEvent = data;
    return read.keep;
  }
}

/** How much of a JSON-array stream's end is kept to read its usage from. */
const ARRAY_TAIL_BYTES = 64 * 1024;

export interface JsonArrayRelayOptions {
  /** The usage an item of the array carries (Gemini's usageMetadata), or null. */
  usageOf: (item: unknown) => TokenUsage | null;
  /** The leased key, taken out of any piece that carries it. */
  secret: string | null;
}

/**
 * The relay of a stream that is one JSON array written piece by piece (Gemini's
 * streamGenerateContent without alt=sse): the pieces pass through as they come; the usage is read,
 * when the array ends, from the last `usageMetadata` in its last 64 KiB (the final item carries
 * the totals).
 */
export class JsonArrayRelay extends Transform {
  usage: TokenUsage | null = null;
  firstEventAt: number | null = null;
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';

  constructor(private readonly options: JsonArrayRelayOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.firstEventAt ??= performance.now();
    const text = this.decoder.write(chunk);
    this.tail = (this.tail + text).slice(-ARRAY_TAIL_BYTES);
    done(null, redacted(text, this.options.secret));
  }

  override _flush(done: TransformCallback): void {
    const rest = this.decoder.end();
    this.tail += rest;
    this.usage = this.lastUsage();
    done(null, rest === '' ? undefined : redacted(rest, this.options.secret));
  }

  /** The object after the last `"usageMetadata":`, read by matching its braces. */
  private lastUsage(): TokenUsage | null {
    const at = this.tail.lastIndexOf('"usageMetadata"');
    const open = at < 0 ? -1 : this.tail.indexOf('{', at);
    if (open < 0) return null;
    let depth = 0;
    for (let i = open; i < this.tail.length; i++) {
      if (this.tail[i] === '{') depth++;
      else if (this.tail[i] === '}' && --depth === 0) {
        try {
          return this.options.usageOf({ usageMetadata: JSON.parse(this.tail.slice(open, i + 1)) });
        } catch {
          return null;
        }
      }
    }
    return null;
  }
}
