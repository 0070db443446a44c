/**
 * Spans as the modules start them: `inSpan` runs work inside a child span of the active one (the
 * request's), records a thrown error's code (never its message: it may quote input) and ends it.
 */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

export const tracer = () => trace.getTracer('keypool');

export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
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
