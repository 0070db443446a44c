/** The `keypool` CLI, run as a user runs it: a brand, a token that works, and key rotation. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';
import { createTestApp, type TestApp } from '../support/harness.js';

const run = promisify(execFile);
const oldKey = FernetRing.generateKey();
const newKey = FernetRing.generateKey();
let t: TestApp;

function cli(args: string[], keys = [oldKey]) {
  const { DATABASE_URL: _d, ...env } = process.env;
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: {
      ...env,
      DATABASE_URL: t.databaseUrl,
      KEYPOOL_ADMIN_TOKEN: t.config.adminToken,
      KEYPOOL_ENCRYPTION_KEYS: keys.join(','),
      KEYPOOL_JWT_SECRET: t.config.jwtSecrets.join(','),
    },
  });
}

beforeAll(async () => {
  t = await createTestApp({ config: { encryptionKeys: [oldKey] } });
});
afterAll(() => t.close());

// Each call starts node and compiles the CLI with tsx: on a busy machine, tens of seconds apiece.
describe('npm run keypool', { timeout: 300_000 }, () => {
  it('answers --help and argument errors without loading the server (about as fast as node and tsx start)', async () => {
    const timed = async (args: string[]) => {
      const started = performance.now();
      const out = await run(process.execPath, args).catch((e: { stdout: string; stderr: string }) => e);
      return { ms: performance.now() - started, out };
    };
    const bare = await timed(['--import', 'tsx', '-e', '0']);
    const help = await timed(['--import', 'tsx', 'src/cli.ts', '--help']);
    expect(help.out.stdout).toContain('Usage: keypool');
    const wrong = await timed(['--import', 'tsx', 'src/cli.ts', 'token']);
    expect(wrong.out.stderr).toContain("error: missing required argument 'brandId'");
    // Loading the server's modules (ORM, Fastify, GraphQL) took 3 s against 0.35 s for a bare start.
    expect(help.ms).toBeLessThan(bare.ms * 3 + 250);
    expect(wrong.ms).toBeLessThan(bare.ms * 3 + 250);
  });

  it('creates a brand and issues a client token that the REST routes accept', async () => {
    const created = await cli(['brand', 'create', 'CLI brand']);
    const brandId = /id:\s+(\S+)/.exec(created.stdout)![1];
    expect(created.stdout).toContain('name: CLI brand');
    const issued = await cli(['token', brandId, '--expires-in', '600']);
    const token = issued.stdout.trim();
    const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_cli_0123456789abc' } }, token });
    expect(res.status).toBe(201);
  });

  it('chains without copying by hand: --quiet prints only the id, --json the whole record', async () => {
    const brandId = (await cli(['brand', 'create', 'Chained', '--quiet'])).stdout.trim();
    expect(brandId).toMatch(/^[0-9a-f-]{36}$/);
    const issued = JSON.parse((await cli(['token', brandId, '--label', 'ci runner', '--json'])).stdout);
    expect(issued).toMatchObject({ brandId, label: 'ci runner', token: expect.any(String), expiresAt: expect.any(String), revokedAt: null });
    const brands = JSON.parse((await cli(['brand', 'list', '--json'])).stdout);
    expect(brands.map((b: { id: string }) => b.id)).toContain(brandId);
  });

  it('lists issued tokens and revokes one, which the running server refuses at once', async () => {
    const brandId = (await cli(['brand', 'create', 'Revocable', '-q'])).stdout.trim();
    const issued = JSON.parse((await cli(['token', brandId, '--label', 'old laptop', '--json'])).stdout);
    expect((await t.rest('GET', '/api/v1/integrations', { token: issued.token })).status).toBe(200);
    const listed = await cli(['tokens', 'list', '--brand', brandId]);
    expect(listed.stdout).toContain(issued.id);
    expect(listed.stdout).toContain('old laptop');
    expect(listed.stdout).not.toContain(issued.token);
    const revoked = JSON.parse((await cli(['tokens', 'revoke', issued.id, '--json'])).stdout);
    expect(revoked).toMatchObject({ id: issued.id, revokedAt: expect.any(String) });
    await expect.poll(async () => (await t.rest('GET', '/api/v1/integrations', { token: issued.token })).status, { timeout: 5000, interval: 20 }).toBe(401);
    await expect(cli(['tokens', 'revoke', '00000000-0000-4000-8000-000000000000'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('Client token not found') });
  });

  it('says what is wrong for an unknown brand and a bad option', async () => {
    await expect(cli(['token', '00000000-0000-0000-0000-000000000000'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('Brand not found') });
    await expect(cli(['token', 'x', '--expires-in', 'soon'])).rejects.toMatchObject({ stderr: expect.stringContaining('must be a whole number') });
  });

  it('rotate-encryption re-encrypts with the first key and reports how many rows changed', async () => {
    const first = await cli(['rotate-encryption'], [newKey, oldKey]);
    expect(first.stdout).toMatch(/scanned 1 rows, re-encrypted 1 with the current key/);
    const second = await cli(['rotate-encryption'], [newKey, oldKey]);
    expect(second.stdout).toMatch(/scanned 1 rows, re-encrypted 0 with the current key/);
  });
});
