/**
 * OpenTelemetry traces over OTLP/HTTP, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. When on,
 * the process's tracer provider, context manager (AsyncLocalStorage) and W3C trace-context
 * propagator are registered with the OpenTelemetry API, so the spans the modules start with
 * `trace.getTracer('keypool')` are exported, in batches, to `<endpoint>/v1/traces`. When off, the
 * API's tracers do nothing. No span attribute ever holds a credential or a token.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracing } from './spans.js';

export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; null: tracing is off. */
  endpoint: string | null;
  /** OTEL_SERVICE_NAME (default keypool). */
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_HEADERS: sent with every export (a collector's API key). */
  headers: Record<string, string>;
}

export interface Tracing {
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

export function startTracing(settings: TracingSettings): Tracing | null {
  if (settings.endpoint === null) return null;
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`, headers: settings.headers });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  setTracing(true);
  return {
    async shutdown() {
      setTracing(false);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
