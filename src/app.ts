/**
 * Composition root: the one place that wires the database, services, HTTP,
 * GraphQL (HTTP and WebSocket), REST, probes and metrics, and knows the order
 * in which they shut down.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCompress from '@fastify/compress';
import { constants as zlibConstants } from 'node:zlib';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config/config.js';
import { openDatabase } from './platform/db/orm.js';
import { ENTITIES } from './entities.js';
import { createSqlPool, type SqlPool } from './platform/db/sql-pool.js';
import { createDatabaseProbe } from './platform/db/database-probe.js';
import { waitForDatabase } from './platform/db/database-wait.js';
import type { EmbeddedCluster } from './platform/db/embedded-postgres.js';
import { mountMetrics } from './platform/http/metrics.js';
import { mountProbes } from './platform/http/probes.js';
import { mountFavicon } from './platform/http/favicon.js';
import { systemClock, type Clock } from './platform/time/clock.js';
import { BrandService, ClientTokenSigner, RevocationList, REVOCATIONS_CHANNEL, type Revocation } from './modules/brands/index.js';
import { Authenticator, CredentialLookup, NodeCredentialService, NodeService, NodeTokenSigner } from './modules/nodes/index.js';
import { checkEncryptionKeys, CredentialVault, IntegrationEventLog, IntegrationRepository, IntegrationService, QuotaGroupService, RecordingEventBus, type IntegrationEvent } from './modules/keys/index.js';
import { ProviderConfigRepository, ProviderService } from './modules/providers/index.js';
import { GatewayFailureLog, GatewayService, KeyChecker, type GatewayTrace } from './modules/gateway/index.js';
import { SQL_DEFINITIONS } from './sql-definitions.js';
import { BackgroundWork, BILLING_PROVIDERS, billingAdapters, BillingSync, UsageService } from './modules/spend/index.js';
import { UpstreamGuard } from './platform/http/upstream-guard.js';
import { InProcessEventBus, type EventBus } from './platform/events/event-bus.js';
import { jsonCodec, MAX_NOTIFY_BYTES, PgNotifyEventBus } from './platform/events/pg-notify-bus.js';
import { createIntegrationEventCodec } from './modules/keys/index.js';
import { integrationsV1Plugin } from './rest/integrations-v1/plugin.js';
import { bifrostPlugin } from './rest/bifrost/routes.js';
import { IGNORED_FIELDS_HEADER } from './rest/bifrost/lenient-body.js';
import { mountCors } from './platform/http/cors.js';
import { geminiGatewayPlugin, openAiGatewayPlugin } from './rest/openai/plugin.js';
import { OPENAI_DIALECT } from './rest/openai/errors.js';
import { ANTHROPIC_DIALECT } from './rest/openai/anthropic-errors.js';
import { GEMINI_DIALECT } from './rest/openai/gemini-routes.js';
import { createGatewayMetrics } from './rest/openai/metrics.js';
import { mountDashboard } from './rest/dashboard/plugin.js';
import { installAccessControl } from './rest/access.js';
import { CapacityService, KeyChangeBus, keyChangesOf, LeaseService, LeaseTokenSigner, UsageFeed, usageSeenBy, type UsageMessage } from './modules/pool/index.js';
import { buildKeypoolSchema } from './graphql/schema.js';
import { mountApollo } from './graphql/apollo.js';
import { mountGraphQLWebSocket, type GraphQLWebSocket } from './graphql/websocket.js';
import { frameworkErrors, installErrorHandlers, MAX_BODY_BYTES, MAX_PARAM_LENGTH } from './rest/error-handler.js';
import { Dialects } from './rest/dialects.js';
import { V1_DIALECT } from './rest/integrations-v1/errors.js';
import { BIFROST_DIALECT } from './rest/bifrost/errors.js';
import { installInputGuard } from './rest/input-guard.js';
import { installJsonBodyParser } from './rest/json-body.js';
import { loggableError } from './platform/errors/loggable-error.js';
import { FernetRing } from './platform/crypto/fernet-ring.js';
import { startTracing } from './platform/telemetry/tracing.js';
import { installRequestSpans } from './platform/telemetry/request-spans.js';
import { AuditLog } from './modules/audit/index.js';
import { AlertDispatcher, AlertOutbox, AlertService, AlertWatch, AlertWebhookService } from './modules/alerts/index.js';
import type { Services } from './services.js';

/** The outbox's statements (it holds no state: each caller gives it the pool or its transaction). */
const ALERT_OUTBOX = new AlertOutbox();

export interface App {
  fastify: FastifyInstance;
  /** Every REST route under /api with the permission it declares (the permission table test reads it). */
  routes: { method: string; url: string }[];
  services: Services;
  orm: MikroORM;
  /** The plain pool of the key pool's tables (keys, providers' settings, leases, reports, the usage ledger). */
  sqlPool: SqlPool;
  databaseUrl: string;
  /** Billing sync, spend re-arming and pruning on a timer (tests may run a tick themselves). */
  background: BackgroundWork;
  /** Sends alert deliveries; judges the timed alert rules (tests may run a round themselves). */
  alertDispatcher: AlertDispatcher;
  alertWatch: AlertWatch;
  /** Listens on config.port/host; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, closes WebSockets (1001), drains requests, closes the database. */
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  clock?: Clock;
  /** The pool's random source (the weighted draw), in [0, 1): Math.random unless a test fixes it. */
  random?: () => number;
  /** Overrides the database (tests give each file its own). */
  databaseUrl?: string;
  /** false: silent; a stream: JSON log lines go there (tests read them). Default: process.stdout. */
  logger?: false | { stream: NodeJS.WritableStream };
  /** Build the dashboard right after listening, so its first visitor does not wait (default true; tests that never open it skip the work). */
  warmDashboard?: boolean;
}

/** Opens the database the config names: DATABASE_URL, or the embedded cluster. */
export async function openConfiguredDatabase(config: Config, log: (line: string) => void): Promise<{ url: string; cluster: EmbeddedCluster | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, cluster: null };
  // Loaded only when used: a production image with DATABASE_URL carries no PostgreSQL binaries.
  const { startEmbeddedPostgres } = await import('./platform/db/embedded-postgres.js');
  const cluster = await startEmbeddedPostgres({ dataDir: config.dataDir, password: config.embeddedPgPassword!, log });
  return { url: cluster.url, cluster };
}

/** How events, revocations and usage changes reach every instance: PostgreSQL NOTIFY in the server, in-process elsewhere. */
export interface Buses {
  events: EventBus<IntegrationEvent>;
  revocations: EventBus<Revocation>;
  usage: EventBus<UsageMessage>;
}

/** Where services report what they did besides their answers (logs, metrics). */
export interface Observers {
  warn: (message: string, error?: unknown) => void;
  gatewayTrace: (trace: GatewayTrace) => void;
  /** An alert was queued (the dispatcher looks at once). */
  alertQueued?: () => void;
}

export function buildServices(
  orm: MikroORM,
  sqlPool: SqlPool,
  config: Config,
  clock: Clock,
  buses: Buses = { events: new InProcessEventBus(), revocations: new InProcessEventBus(), usage: new InProcessEventBus() },
  observers: Observers = { warn: () => {}, gatewayTrace: () => {} },
  random: () => number = Math.random,
): Services {
  const eventLog = new IntegrationEventLog(sqlPool);
  const audit = new AuditLog(sqlPool);
  const gatewayFailures = new GatewayFailureLog(sqlPool);
  const alerts = new AlertService(sqlPool, ALERT_OUTBOX, eventLog, audit, clock, () => observers.alertQueued?.());
  const tokens = new ClientTokenSigner(config.jwtSecrets);
  const upstreamGuard = new UpstreamGuard(config.allowedUpstreams);
  const vault = new CredentialVault(config.encryptionKeys);
  // Every integration event published here drops the key book's copy of that provider's keys at once
  // (the same events from other instances do so through the codec, as they arrive).
  const events = new KeyChangeBus(new RecordingEventBus(buses.events, alerts, observers.warn), (brandId, provider) => leases.keysChanged(brandId, provider));
  const revocations: RevocationList = new RevocationList(buses.revocations, () => brands.listRevokedTokenIds());
  const brands = new BrandService(orm.em, tokens, revocations, clock);
  const nodeTokens = new NodeTokenSigner(config.jwtSecrets);
  const credentialLookup = new CredentialLookup(orm.em, revocations, clock);
  const nodeCredentials = new NodeCredentialService(orm.em, revocations, credentialLookup, nodeTokens, clock);
  const nodes = new NodeService(orm.em, nodeCredentials, clock);
  // Providers and keys refer to each other: deleting a provider deletes its keys, a key needs its provider.
  const keys = new IntegrationRepository(sqlPool);
  const providers: ProviderService = new ProviderService(new ProviderConfigRepository(sqlPool), clock, {
    countKeys: (...a) => integrations.countKeys(...a),
    deleteAll: (...a) => integrations.deleteAll(...a),
    setKeyless: (...a) => integrations.setKeyless(...a),
    providersWithKeys: (brandId) => integrations.providersWithKeys(brandId),
    settingsChanged: (brandId, name) => leases.keysChanged(brandId, name),
  });
  const integrations = new IntegrationService(keys, vault, events, clock, providers, config.envReferences);
  const usageFeed = new UsageFeed(buses.usage, config.usageFeedIntervalMs);
  const leases = new LeaseService(
    sqlPool, vault, new LeaseTokenSigner(config.jwtSecrets), events, clock, { ...config, billingProviders: BILLING_PROVIDERS, random, warn: observers.warn },
    (brandId, nodeId) => nodes.nodeExists(brandId, nodeId),
    providers,
    usageFeed,
  );
  integrations.readAfter((scope) => leases.writePending(scope));
  integrations.auditWith(audit);
  // A new key is checked with its provider's free call when the operator turned it on (the gateway knows where each provider is).
  const keyChecker = config.keyCheck.enabled ? new KeyChecker(upstreamGuard, { baseUrls: config.gateway.baseUrls, timeoutMs: config.keyCheck.timeoutMs }) : null;
  if (keyChecker) {
    integrations.checkKeysWith(async (target) => {
      const outcome = await keyChecker.check(target);
      if (outcome.verdict === 'unchecked') observers.warn(`key check: a new ${target.providerName} key was added unchecked: ${outcome.reason}`);
      return outcome.verdict === 'refused' ? outcome.answer : null;
    });
  }
  nodes.readAfter((brandId) => leases.foldPending({ brandId }));
  return {
    clock,
    events,
    revocations,
    authenticator: new Authenticator(config.adminToken, tokens, nodeTokens, credentialLookup, revocations, clock, (id, at) => brands.noteTokenUse(id, at)),
    brands,
    nodes,
    nodeCredentials,
    providers,
    integrations,
    quotaGroups: new QuotaGroupService(sqlPool, clock, (brandId) => leases.keysChanged(brandId)),
    billing: new BillingSync(keys, vault, events, clock, config.billing, config.envReferences, billingAdapters(config.billing, upstreamGuard), observers.warn, Math.random, audit),
    usage: new UsageService(sqlPool, clock, (brandId) => leases.foldPending({ brandId })),
    leases,
    capacity: new CapacityService(sqlPool, clock, (brandId) => leases.writeGrantedCounts({ brandId })),
    usageFeed,
    usageChanges: buses.usage,
    eventLog,
    audit,
    alerts,
    alertWebhooks: new AlertWebhookService(sqlPool, new FernetRing(config.encryptionKeys), upstreamGuard, clock),
    gatewayFailures,
    gateway: new GatewayService(leases, providers, keys, config.gateway, upstreamGuard, observers.warn, observers.gatewayTrace, gatewayFailures),
  };
}

/** Each REST dialect owns a URL prefix: its plugin is registered there (the router's own errors look it up here). */
// Anthropic's route lies under the gateway's /v1: its dialect comes first.
const dialects = new Dialects([V1_DIALECT, BIFROST_DIALECT, ANTHROPIC_DIALECT, OPENAI_DIALECT, GEMINI_DIALECT]);

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const tracing = startTracing(config.tracing);
  const fastify = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // A trailing slash names the same route (scripts that build URLs by joining paths add one).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    frameworkErrors: frameworkErrors(dialects),
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]'], censor: '[redacted]' },
            // A credential may come as ?key= (Gemini's clients): never in a log line.
            serializers: {
              err: loggableError,
              req: (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
                method: req.method, url: req.url.replace(/([?&]key=)[^&#]*/gi, '$1[redacted]'), hostname: req.hostname, remoteAddress: req.ip,
                remotePort: req.socket?.remotePort,
              }),
            },
            // process.stdout rather than pino's own file descriptor writer, so main.ts can keep a
            // closed pipe (whoever read the log went away) from ending the process.
            stream: options.logger?.stream ?? process.stdout,
          },
    // A request (headers and body) must arrive whole within requestTimeoutMs, or its socket is
    // closed: a client that declares a body and sends a byte now and then cannot hold a socket.
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.floor(config.requestTimeoutMs / 4)),
    },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  let cluster: EmbeddedCluster | null = null;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    const opened = await openConfiguredDatabase(config, (line) => fastify.log.debug({ postgres: line }));
    databaseUrl = opened.url;
    cluster = opened.cluster;
  }
  if (config.databaseUrl) {
    await waitForDatabase(databaseUrl, config.databaseWaitSeconds, (message) => fastify.log.warn(`keypool: ${message}`));
  }
  const orm = await openDatabase(databaseUrl, {
    entities: ENTITIES, definitions: SQL_DEFINITIONS, warn: (message) => fastify.log.warn(`database: ${message}`),
  });
  const sqlPool = createSqlPool(cluster?.poolUrl ?? databaseUrl);
  await checkEncryptionKeys(sqlPool, new CredentialVault(config.encryptionKeys), config.secretsFile, clock.now()).catch(async (e: unknown) => {
    await sqlPool.end();
    await orm.close();
    await cluster?.stop();
    throw e;
  });
  const events = new PgNotifyEventBus<IntegrationEvent>({
    connectionString: databaseUrl,
    channel: 'keypool_events',
    publishPool: sqlPool,
    // Any instance's event about a key drops this instance's copy of that provider's keys.
    codec: keyChangesOf(
      createIntegrationEventCodec(MAX_NOTIFY_BYTES, (brandId, id) => services.integrations.findIntegration(brandId, id)),
      () => (brandId, provider) => services.leases.keysChanged(brandId, provider),
    ),
    log: (message, error) => fastify.log.warn({ err: error }, message),
  });
  const revocationBus = new PgNotifyEventBus<Revocation>({
    connectionString: databaseUrl,
    channel: REVOCATIONS_CHANNEL,
    publishPool: sqlPool,
    codec: jsonCodec<Revocation>(),
    log: (message, error) => fastify.log.warn({ err: error }, message),
    onListening: () => services.revocations.reload(),
  });
  const gatewayMetrics = createGatewayMetrics();
  const usageBus = new PgNotifyEventBus<UsageMessage>({
    connectionString: databaseUrl,
    channel: 'keypool_usage',
    publishPool: sqlPool,
    // Cooldowns set by any instance's reports reach this instance's copy of the keys as the feed's events arrive.
    // Announcements of watched brands go to this instance's feed, to no subscriber.
    codec: usageSeenBy(jsonCodec<UsageMessage>(), () => (message) => services.usageFeed.heard(message), () => (event) => services.leases.usageSeen(event)),
    log: (message, error) => fastify.log.warn({ err: error }, message),
    onListening: async () => services.usageFeed.listening(),
  });
  const services = buildServices(orm, sqlPool, config, clock, { events, revocations: revocationBus, usage: usageBus }, {
    warn: (message, error) => fastify.log.warn({ err: error }, message),
    gatewayTrace: (trace) => gatewayMetrics.observe(trace),
    alertQueued: () => alertDispatcher.kick(),
  }, options.random);
  const warn = (message: string, error?: unknown) => fastify.log.warn({ err: error }, message);
  const alertDispatcher = new AlertDispatcher(sqlPool, ALERT_OUTBOX, new FernetRing(config.encryptionKeys), new UpstreamGuard(config.allowedUpstreams), clock, config.alerts, warn);
  const alertWatch = new AlertWatch(sqlPool, ALERT_OUTBOX, services.capacity, clock, config.alerts.watchIntervalMs, warn, () => alertDispatcher.kick());
  await events.start();
  await revocationBus.start();
  await usageBus.start();

  let ws: GraphQLWebSocket | null = null;
  // Every response honours Accept-Encoding (br, gzip) once it is worth compressing. Request
  // bodies are never compressed by keypool's clients: no route decompresses them (one hook
  // less per request, and no zip bombs). Set before the plugin's own onRoute hook reads it.
  fastify.addHook('onRoute', (route) => {
    route.decompress ??= false;
  });
  await fastify.register(fastifyCompress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  if (tracing) installRequestSpans(fastify);
  await mountCors(fastify, config.corsOrigins, [IGNORED_FIELDS_HEADER]);
  installErrorHandlers(fastify);
  installJsonBodyParser(fastify);
  installInputGuard(fastify);
  const registry = mountMetrics(
    fastify,
    { subscriptions: () => events.listenerCount() + usageBus.listenerCount(), websockets: () => ws?.clientCount() ?? 0, poolBatchRetries: () => services.leases.batchRetries, poolBatches: () => services.leases.batchStats, poolFolds: () => services.leases.foldStats, credentialFailures: () => services.authenticator.credentialFailures },
    config.metricsToken,
  );
  gatewayMetrics.register(registry);
  mountProbes(fastify, createDatabaseProbe(databaseUrl), () => events.isListening() && revocationBus.isListening());
  mountFavicon(fastify);
  const routes = installAccessControl(fastify, services);
  await fastify.register(integrationsV1Plugin(services), { prefix: V1_DIALECT.prefix });
  await fastify.register(bifrostPlugin(services), { prefix: BIFROST_DIALECT.prefix });
  await fastify.register(openAiGatewayPlugin(services, config.gateway.maxRequestBytes), { prefix: OPENAI_DIALECT.prefix });
  await fastify.register(geminiGatewayPlugin(services, config.gateway.maxRequestBytes), { prefix: GEMINI_DIALECT.prefix });
  const dashboard = mountDashboard(fastify);
  const schema = await buildKeypoolSchema(services);
  await mountApollo(fastify, schema, services, config.graphqlLimits);

  const background = new BackgroundWork(sqlPool, new IntegrationRepository(sqlPool), services.billing, services.events, clock, config, (message, error) => fastify.log.warn({ err: error }, message), [
    { retentionDays: config.eventRetentionDays, prune: (olderThan) => services.eventLog.prune(olderThan) },
    { retentionDays: config.auditRetentionDays, prune: (olderThan) => services.audit.prune(olderThan) },
    { retentionDays: config.eventRetentionDays, prune: (olderThan) => ALERT_OUTBOX.prune(sqlPool, olderThan) },
    { retentionDays: config.eventRetentionDays, prune: (olderThan) => services.gatewayFailures.prune(olderThan) },
  ]);
  background.start();
  alertDispatcher.start();
  alertWatch.start();

  let closing: Promise<void> | null = null;
  return {
    background,
    alertDispatcher,
    alertWatch,
    fastify,
    routes,
    services,
    orm,
    sqlPool,
    databaseUrl,
    async listen() {
      await fastify.ready();
      // Mounted once listening: a WebSocket server on a server that failed to listen re-emits its error with a stack.
      const url = await fastify.listen({ port: config.port, host: config.host });
      if (options.warmDashboard !== false) dashboard.warm();
      ws = mountGraphQLWebSocket(
        fastify.server,
        schema,
        services,
        { ...config.websocket, limits: config.graphqlLimits },
        (e) => fastify.log.error({ err: e }, 'unexpected GraphQL error'),
      );
      return url;
    },
    close() {
      closing ??= (async () => {
        // Syncs in flight finish (bounded) while the database is still there.
        await background.stop(5000);
        await alertWatch.close();
        await alertDispatcher.close();
        await ws?.close();
        await fastify.close();
        // The reports of gateway calls that have just ended reach the database before it closes.
        await services.gateway.close();
        // Unused allowance goes back, and the usage of leases granted is written, while the database is still there.
        await services.leases.close();
        await events.close();
        await services.usageFeed.close();
        await revocationBus.close();
        await usageBus.close();
        await orm.close();
        await sqlPool.end();
        await cluster?.stop();
        await tracing?.shutdown();
      })();
      return closing;
    },
  };
}
