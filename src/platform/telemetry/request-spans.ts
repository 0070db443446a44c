/**
 * A server span per HTTP request, named by its method and route pattern (never the URL: a
 * Gemini client puts its key in `?key=`), continuing the caller's trace when it sent
 * `traceparent`. The request runs with it active, so the modules' spans are its children.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { tracer } from './spans.js';

declare module 'fastify' {
  interface FastifyRequest {
    traceSpan?: Span;
  }
}

export function installRequestSpans(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    request.traceSpan = tracer().startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': route, 'network.peer.address': request.ip },
    }, parent);
    context.with(trace.setSpan(parent, request.traceSpan), done);
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (!request.traceSpan) return done();
    context.with(trace.setSpan(context.active(), request.traceSpan), done);
  });
  const end = (request: { traceSpan?: Span }, status: number | null) => {
    const span = request.traceSpan;
    if (!span) return;
    request.traceSpan = undefined;
    if (status !== null) span.setAttribute('http.response.status_code', status);
    if (status === null || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    end(request, null);
    done();
  });
}
