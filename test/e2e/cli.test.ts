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

describe('npm run keypool', () => {
  it('creates a brand and issues a client token that the REST routes accept', async () => {
    const created = await cli(['brand', 'create', 'CLI brand']);
    const brandId = /id:\s+(\S+)/.exec(created.stdout)![1];
    expect(created.stdout).toContain('name: CLI brand');
    const issued = await cli(['token', brandId, '--expires-in', '600']);
    const token = issued.stdout.trim();
    const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_cli_0123456789abc' } }, token });
    expect(res.status).toBe(201);
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
