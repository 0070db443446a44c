/**
 * Prometheus metrics (prom-client): request counts and latency by route and
 * status, live subscriptions and WebSocket connections. One registry per app
 * instance, so several apps can share a process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchStats } from '../db/statement-batcher.js';

/** Live counts read when /metrics is scraped. */
export interface LiveGauges {
  subscriptions: () => number;
  websockets: () => number;
  /** Pool batches (reports, allowance claims, usage counts) run again after a deadlock; stays 0 while keys are locked in one order. */
  poolBatchRetries: () => number;
  /** Pool batches run since start, the items they held (reports, allowance claims, usage counts), and their time. */
  poolBatches: () => Readonly<BatchStats>;
  /** Folds of appended reports run here since start: timer turns taken, transactions, reports folded, vacuums of their table. */
  poolFolds: () => Readonly<{ turns: number; transactions: number; reports: number; vacuums: number }>;
  /** Failed node-credential secrets since start, and attempts refused for too many of them. */
  credentialFailures: () => Readonly<{ failures: number; throttled: number }>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** With a token, /metrics answers only `Authorization: Bearer <token>` (compared in constant time). */
function metricsGuard(token: string | null) {
  if (token === null) return () => true;
  const expected = digest(`Bearer ${token}`);
  return (header: string | undefined) => header !== undefined && timingSafeEqual(digest(header), expected);
}

/** Counters of what the app counts itself (name, help, the count now), read at each scrape. */
function liveCounters(registry: Registry, counters: [name: string, help: string, read: () => number][]): void {
  for (const [name, help, read] of counters) {
    new Counter({
      name, help, registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}

export function mountMetrics(fastify: FastifyInstance, live: LiveGauges, token: string | null = null): Registry {
  const allowed = metricsGuard(token);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'keypool_subscriptions_active',
    help: 'GraphQL subscriptions currently held on this instance',
    registers: [registry],
    collect() {
      this.set(live.subscriptions());
    },
  });
  new Gauge({
    name: 'keypool_websocket_connections',
    help: 'Open graphql-ws connections on this instance',
    registers: [registry],
    collect() {
      this.set(live.websockets());
    },
  });
  liveCounters(registry, [
    ['keypool_pool_batch_retries_total', 'Lease and report batches run again after losing a deadlock or a serialization conflict', () => live.poolBatchRetries()],
    ['keypool_pool_batches_total', 'Pool batches run: reports, allowance claims and usage counts (each one statement and one commit)', () => live.poolBatches().batches],
    ['keypool_pool_batch_items_total', 'Reports, allowance claims and usage counts those batches held (items / batches: the mean batch size)', () => live.poolBatches().items],
    ['keypool_pool_batch_seconds_total', 'Time from a batch\'s start to every item\'s outcome (seconds / batches: the mean batch time)', () => live.poolBatches().seconds],
    ['keypool_pool_fold_turns_total', 'Fold timer turns this instance took (of every instance\'s timers, one folds appended reports per interval)', () => live.poolFolds().turns],
    ['keypool_pool_fold_transactions_total', 'Fold transactions run here (timer turns, reads, shutdown), each a chunk of whole keys in key order', () => live.poolFolds().transactions],
    ['keypool_pool_folded_reports_total', 'Appended reports this instance folded into their keys, the usage ledger and their nodes', () => live.poolFolds().reports],
    ['keypool_pool_outcome_vacuums_total', 'Vacuums of the appended reports\' table this instance ran after its fold turns (the rows folds deleted, cleared)', () => live.poolFolds().vacuums],
    ['keypool_auth_failures_total', 'Node-credential authentications with a wrong secret, an unknown or malformed api_key, or a revoked or expired credential', () => live.credentialFailures().failures],
    ['keypool_auth_throttled_total', 'Node-credential authentications refused (429) after too many failures for that credential or address', () => live.credentialFailures().throttled],
  ]);
  const inFlight = new Gauge({
    name: 'keypool_http_requests_in_flight',
    help: 'HTTP requests received (headers read) and not yet answered',
    registers: [registry],
  });
  // 'close' fires once per response, whether it finished, failed, or was cut off (client gone,
  // request timeout): onResponse alone would miss the last two. Both hooks take a callback, not a
  // promise: they run on every request, the pool's hot routes included.
  const closed = () => inFlight.dec();
  fastify.addHook('onRequest', (_request, reply, done) => {
    inFlight.inc();
    reply.raw.once('close', closed);
    done();
  });
  const requests = new Counter({
    name: 'keypool_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keypool_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  fastify.get('/metrics', async (request, reply) => {
    if (!allowed(request.headers.authorization)) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return { error: { code: 'auth.unauthenticated', message: 'Missing or wrong metrics token: send Authorization: Bearer <KEYPOOL_METRICS_TOKEN>' } };
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
