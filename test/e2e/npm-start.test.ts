/**
 * `npm start` as the README runs it: whichever process the user signals (npm or node, TERM or
 * INT), the whole service stops cleanly: the port closes and the embedded PostgreSQL stops.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/db/embedded-postgres.js';

async function startWithNpm() {
  const dataDir = mkdtempSync(join(tmpdir(), 'keypool-npm-'));
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const npm = spawn('npm', ['start'], { env: { ...env, KEYPOOL_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  // npm start compiles the TypeScript with tsx first: on a busy machine that alone takes a minute.
  await expect.poll(() => output, { timeout: 180_000, interval: 100 }).toContain('keypool is listening');
  return { npm, url: `http://127.0.0.1:${port}`, pidFile: join(dataDir, 'pg', 'postmaster.pid'), output: () => output };
}

const refused = async (url: string) => fetch(`${url}/healthz`).then(() => false, () => true);

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the whole service when npm itself gets %s', async (signal) => {
    const server = await startWithNpm();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(existsSync(server.pidFile)).toBe(true);
    server.npm.kill(signal);
    await expect.poll(() => refused(server.url), { timeout: 15_000, interval: 100 }).toBe(true);
    await expect.poll(() => existsSync(server.pidFile), { timeout: 15_000, interval: 100 }).toBe(false);
    expect(server.output()).toMatch(/shutting down/);
  }, 240_000);

  it('stops the whole service when npm is killed outright (SIGKILL): keypool notices it was orphaned', async () => {
    const server = await startWithNpm();
    server.npm.kill('SIGKILL');
    await expect.poll(() => refused(server.url), { timeout: 15_000, interval: 100 }).toBe(true);
    await expect.poll(() => existsSync(server.pidFile), { timeout: 15_000, interval: 100 }).toBe(false);
  }, 240_000);
});
