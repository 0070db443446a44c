import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/config.js';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';

export const TEST_ADMIN_TOKEN = 'kp_admin_test_token_0123456789';

/** The gateway's settings for a test against local fakes: short timeouts, small bodies; `overrides` win (base URLs, prices, …). */
export function gatewayTestSettings(overrides: Partial<Config['gateway']> = {}): Config['gateway'] {
  return {
    maxAttempts: 3, timeoutMs: 20_000, attemptTimeoutMs: 5_000, connectTimeoutMs: 2_000, idleTimeoutMs: 5_000,
    maxRequestBytes: 256 * 1024, maxResponseBytes: 1024 * 1024, maxEventBytes: 1024 * 1024, baseUrls: {}, prices: {},
    ...overrides,
  };
}

/**
 * Alert deliveries looked for every 100 ms and retried soon, for the tests of retries and
 * replays (every other test's instances look once a second, as in production, so dozens of
 * idle test instances do not poll the database ten times a second each).
 */
export const FAST_ALERTS = { dispatchIntervalMs: 100, timeoutMs: 2000, maxAttempts: 5, retryBaseMs: 100, watchIntervalMs: 3_600_000 };

/** A complete, valid config for an app under test; `overrides` win. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: 'postgresql://set-by-harness',
    dataDir: '/nonexistent',
    adminToken: TEST_ADMIN_TOKEN,
    encryptionKeys: [FernetRing.generateKey()],
    jwtSecrets: [randomBytes(32).toString('hex')],
    logLevel: 'silent',
    leaseTtlSeconds: 300,
    health: { degradedAfter: 3, unhealthyAfter: 6, probeCooldownMs: 30_000, probeCooldownMaxMs: 3_600_000, rateLimitCooldownMs: 60_000 },
    graphqlLimits: { maxCost: 10_000, maxDepth: 10, maxAliases: 15, maxRootFields: 10, maxLeases: 5, maxTokens: 10_000 },
    requestTimeoutMs: 30_000,
    websocket: { maxSubscriptions: 100, maxPayloadBytes: 64 * 1024 },
    metricsToken: null,
    databaseWaitSeconds: 0,
    envReferences: { allowlist: [], lookup: () => undefined },
    // The fakes of providers and billing APIs listen on loopback; a test of the guard itself sets none.
    allowedUpstreams: { hosts: [], cidrs: ['127.0.0.1'] },
    corsOrigins: [],
    // Off unless a test turns it on (with its own fake provider URLs).
    billing: { enabled: false, intervalMs: 300_000, tickMs: 5000, concurrency: 4, timeoutMs: 10_000, openrouterUrl: 'http://127.0.0.1:9', falUrl: 'http://127.0.0.1:9' },
    usageRetentionDays: 400,
    usageFeedIntervalMs: 250,
    bookMaxAgeMs: 30_000,
    foldIntervalMs: 1000,
    gatherMs: 2,
    keyCheck: { enabled: false, timeoutMs: 5000 },
    eventRetentionDays: 30,
    auditRetentionDays: 365,
    tracing: { endpoint: null, serviceName: 'keypool-test', headers: {} },
    // Due alerts are looked for as often as in production (a new one is sent at once); the timed rules are judged when a test asks.
    alerts: { ...FAST_ALERTS, dispatchIntervalMs: 1000 },
    gateway: {
      maxAttempts: 3, timeoutMs: 60_000, attemptTimeoutMs: 30_000, connectTimeoutMs: 5_000, idleTimeoutMs: 60_000,
      maxRequestBytes: 4 * 1024 * 1024, maxResponseBytes: 64 * 1024 * 1024, maxEventBytes: 1024 * 1024, baseUrls: {}, prices: {},
    },
    secretsFile: null,
    embeddedPgPassword: null,
    ...overrides,
  };
}
