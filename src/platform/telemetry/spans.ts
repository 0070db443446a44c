/**
 * Spans as the modules start them: `inSpan` runs work inside a child span of the active one (the
 * request's), records a thrown error's code (never its message: it may quote input) and ends it.
 * With tracing off it costs nothing: the work runs as it is, with a span that records nothing.
 */
import { INVALID_SPAN_CONTEXT, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

export const tracer = () => trace.getTracer('keypool');

let tracing = false;
/** Whether spans are exported (tracing.ts turns it on and off). */
export const isTracing = () => tracing;
export function setTracing(on: boolean): void {
  tracing = on;
}

/** The span handed to work when tracing is off: attributes set on it go nowhere. */
export const SILENT_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracing) return work(SILENT_SPAN);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      const code = (e as { code?: unknown }).code;
      span.setAttribute('error.type', typeof code === 'string' ? code : (e as Error)?.name ?? 'Error');
      throw e;
    } finally {
      span.end();
    }
  });
}
