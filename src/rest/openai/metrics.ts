/**
 * The gateway's Prometheus metrics: calls by provider and outcome, keys tried
 * per call, and time to first token of streamed completions (the usage
 * ledger keeps latency; time to first token lives here). A brand's custom
 * provider is labelled `custom`: its name is the brand's to choose, so it
 * would be an unbounded label, visible to every scraper.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { GatewayTrace } from '../../modules/gateway/index.js';
import { isProviderName } from '../../modules/providers/index.js';

const providerLabel = (provider: string) => (isProviderName(provider) ? provider : 'custom');

export function createGatewayMetrics() {
  const calls = new Counter({
    name: 'keypool_gateway_calls_total',
    help: 'Gateway calls by provider and outcome (success, upstream_error, timeout, network, aborted)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [],
  });
  const attempts = new Histogram({
    name: 'keypool_gateway_attempts',
    help: 'Keys tried per gateway call',
    buckets: [1, 2, 3, 5, 10],
    registers: [],
  });
  const ttft = new Histogram({
    name: 'keypool_gateway_time_to_first_token_seconds',
    help: 'Streamed completions: from the upstream request to its first event',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [],
  });
  return {
    observe(trace: GatewayTrace): void {
      const provider = providerLabel(trace.provider);
      calls.inc({ provider, outcome: trace.outcome });
      attempts.observe(trace.attempts);
      if (trace.timeToFirstTokenMs !== null) ttft.observe({ provider }, trace.timeToFirstTokenMs / 1000);
    },
    register(registry: Registry): void {
      for (const metric of [calls, attempts, ttft]) registry.registerMetric(metric);
    },
  };
}
