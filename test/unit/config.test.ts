import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const external = {
  DATABASE_URL: 'postgresql://localhost/keypool',
  KEYPOOL_ADMIN_TOKEN: 'admin-token-long-enough',
  KEYPOOL_ENCRYPTION_KEYS: KEY,
  KEYPOOL_JWT_SECRET: 'x'.repeat(32),
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig(external);
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', logLevel: 'info', encryptionKeys: [KEY] });
    expect(config.health).toEqual({ degradedAfter: 3, unhealthyAfter: 6, probeCooldownMs: 30_000, probeCooldownMaxMs: 3_600_000, rateLimitCooldownMs: 60_000 });
  });

  it('names each secret that is missing when DATABASE_URL is set', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgresql://localhost/keypool' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/KEYPOOL_ADMIN_TOKEN is required when DATABASE_URL is set/);
    expect(problems.join('\n')).toMatch(/KEYPOOL_ENCRYPTION_KEYS is required/);
    expect(problems.join('\n')).toMatch(/KEYPOOL_JWT_SECRET is required/);
  });

  it('reads the cockpit\'s settings: traces off by default, the OTLP endpoint and headers, retention and alert timings, naming what is wrong without its value', () => {
    const defaults = loadConfig(external);
    expect(defaults.tracing).toEqual({ endpoint: null, serviceName: 'keypool', headers: {} });
    expect(defaults.auditRetentionDays).toBe(365);
    expect(defaults.alerts).toEqual({ dispatchIntervalMs: 1000, timeoutMs: 5000, maxAttempts: 12, retryBaseMs: 5000, watchIntervalMs: 15_000 });
    const traced = loadConfig({ ...external, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'pool-eu', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D1,X-Team=core' });
    expect(traced.tracing).toEqual({ endpoint: 'http://collector:4318', serviceName: 'pool-eu', headers: { 'api-key': 'abc=1', 'x-team': 'core' } });
    const problems = problemsOf({ ...external, OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector:4318', KEYPOOL_ALERT_MAX_ATTEMPTS: '0' });
    expect(problems.some((p) => p.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT') && p.includes('http'))).toBe(true);
    expect(problems.some((p) => p.startsWith('KEYPOOL_ALERT_MAX_ATTEMPTS'))).toBe(true);
    const headers = problemsOf({ ...external, OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret-value,novalue' });
    expect(headers).toEqual(['OTEL_EXPORTER_OTLP_HEADERS entry 2 must be name=value']);
  });

  it('reads how long a pool batch may wait for company: 2 ms by default, 0 to never wait, a whole number of ms up to 100', () => {
    expect(loadConfig(external).gatherMs).toBe(2);
    expect(loadConfig({ ...external, KEYPOOL_POOL_GATHER_MS: '0' }).gatherMs).toBe(0);
    for (const wrong of ['-1', '101', '1.5', '2ms', '2\u0000']) {
      expect(problemsOf({ ...external, KEYPOOL_POOL_GATHER_MS: wrong })).toEqual([expect.stringMatching(/^KEYPOOL_POOL_GATHER_MS must be /)]);
    }
  });

  it('reports every wrong value at once', () => {
    const problems = problemsOf({ ...external, PORT: 'abc', KEYPOOL_ENCRYPTION_KEYS: 'not-a-key', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(problems.some((p) => p.startsWith('PORT') && p.includes('whole number'))).toBe(true);
    expect(problems.some((p) => p.startsWith('KEYPOOL_ENCRYPTION_KEYS') && p.includes('Fernet key'))).toBe(true);
    expect(problems.some((p) => p.startsWith('LOG_LEVEL'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DATABASE_URL') && p.includes('postgres://'))).toBe(true);
  });

  it('reads the gateway\'s settings: defaults, base URL overrides and a price table file, naming what is wrong', () => {
    expect(loadConfig(external).gateway).toMatchObject({ maxAttempts: 3, timeoutMs: 60_000, attemptTimeoutMs: 30_000, connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, maxRequestBytes: 4 * 1024 * 1024, baseUrls: {}, prices: {} });
    const dir = mkdtempSync(join(tmpdir(), 'keypool-prices-'));
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ 'groq/llama-3.1-8b-instant': { prompt: '0.05', completion: '0.08' } }));
    const config = loadConfig({ ...external, KEYPOOL_GATEWAY_BASE_URLS: 'groq=http://127.0.0.1:9000/v1/, ollama=http://gpu:11434/v1', KEYPOOL_GATEWAY_PRICES_FILE: prices, KEYPOOL_GATEWAY_MAX_ATTEMPTS: '5' });
    expect(config.gateway).toMatchObject({
      maxAttempts: 5,
      baseUrls: { groq: 'http://127.0.0.1:9000/v1', ollama: 'http://gpu:11434/v1' },
      prices: { 'groq/llama-3.1-8b-instant': { prompt: '0.05', completion: '0.08' } },
    });
    writeFileSync(prices, JSON.stringify({ 'groq-llama': { prompt: '0.05', completion: '0.08' } }));
    expect(problemsOf({ ...external, KEYPOOL_GATEWAY_PRICES_FILE: prices })).toEqual(['KEYPOOL_GATEWAY_PRICES_FILE "groq-llama" must be written provider/model']);
    expect(problemsOf({ ...external, KEYPOOL_GATEWAY_PRICES_FILE: join(dir, 'missing.json') })).toEqual([expect.stringMatching(/^KEYPOOL_GATEWAY_PRICES_FILE .*missing\.json cannot be read as JSON/)]);
    expect(problemsOf({ ...external, KEYPOOL_GATEWAY_BASE_URLS: 'groq=http://127.0.0.1:9000/v1,mistral=ftp://x', KEYPOOL_GATEWAY_MAX_ATTEMPTS: '0' })).toEqual([
      expect.stringMatching(/^KEYPOOL_GATEWAY_MAX_ATTEMPTS must be at least 1/),
      expect.stringMatching(/^KEYPOOL_GATEWAY_BASE_URLS \(entry 2\) must be a provider=URL pair with an http or https URL/),
    ]);
  });

  it('rejects an out-of-range port, a short JWT secret and inverted health thresholds', () => {
    const problems = problemsOf({ ...external, PORT: '70000', KEYPOOL_JWT_SECRET: 'short' });
    expect(problems.join('\n')).toMatch(/PORT must be at most 65535/);
    expect(problems.join('\n')).toMatch(/KEYPOOL_JWT_SECRET.*at least 32 characters/);
    expect(problemsOf({ ...external, KEYPOOL_DEGRADED_AFTER: '5', KEYPOOL_UNHEALTHY_AFTER: '2' })).toEqual([
      'KEYPOOL_UNHEALTHY_AFTER must not be lower than KEYPOOL_DEGRADED_AFTER',
    ]);
  });

  it('refuses to allow-list keypool\'s own variables for key references, and reads the others live', () => {
    for (const own of ['KEYPOOL_ADMIN_TOKEN', 'KEYPOOL_ENCRYPTION_KEYS', 'keypool_jwt_secret', 'DATABASE_URL', 'PGPASSWORD']) {
      const problems = problemsOf({ ...external, KEYPOOL_ENV_ALLOWLIST: `OPENAI_KEY,${own}` });
      expect(problems).toEqual([expect.stringMatching(/^KEYPOOL_ENV_ALLOWLIST \(entry 2\) must not list keypool's own variables \(KEYPOOL_\*, DATABASE_URL, PG\*\)/)]);
    }
    expect(problemsOf({ ...external, KEYPOOL_ENV_ALLOWLIST: 'NOT-A-NAME' })[0]).toMatch(/must list environment variable names/);
    const env: NodeJS.ProcessEnv = { ...external, KEYPOOL_ENV_ALLOWLIST: 'OPENAI_KEY, GROQ_KEY', OPENAI_KEY: 'sk-1', HOME: '/root' };
    const { envReferences } = loadConfig(env);
    expect(envReferences.allowlist).toEqual(['OPENAI_KEY', 'GROQ_KEY']);
    expect([envReferences.lookup('OPENAI_KEY'), envReferences.lookup('GROQ_KEY'), envReferences.lookup('HOME'), envReferences.lookup('KEYPOOL_ADMIN_TOKEN')])
      .toEqual(['sk-1', undefined, undefined, undefined]);
    delete env.OPENAI_KEY;
    expect(envReferences.lookup('OPENAI_KEY')).toBeUndefined();
    expect(loadConfig(external).envReferences.allowlist).toEqual([]);
  });

  it('reads an ordered key ring and several JWT secrets', () => {
    const second = Buffer.alloc(32, 7).toString('base64url');
    const config = loadConfig({ ...external, KEYPOOL_ENCRYPTION_KEYS: `${KEY}, ${second}`, KEYPOOL_JWT_SECRET: `${'a'.repeat(32)},${'b'.repeat(32)}` });
    expect(config.encryptionKeys).toEqual([KEY, second]);
    expect(config.jwtSecrets).toHaveLength(2);
  });

  it('generates the embedded secrets once, keeps them with mode 0600 and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypool-config-'));
    const first = loadConfig({ KEYPOOL_DATA_DIR: dir });
    expect(first.secretsFile).toBe(join(dir, 'secrets.json'));
    expect(statSync(first.secretsFile!).mode & 0o777).toBe(0o600);
    const second = loadConfig({ KEYPOOL_DATA_DIR: dir });
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.encryptionKeys).toEqual(first.encryptionKeys);
    expect(second.jwtSecrets).toEqual(first.jwtSecrets);
    expect(JSON.parse(readFileSync(first.secretsFile!, 'utf8')).adminToken).toBe(first.adminToken);
  });

  it('prefers explicitly set secrets over generated ones in embedded mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypool-config-'));
    const config = loadConfig({ KEYPOOL_DATA_DIR: dir, KEYPOOL_ADMIN_TOKEN: 'my-own-admin-token-1234' });
    expect(config.adminToken).toBe('my-own-admin-token-1234');
  });
});
