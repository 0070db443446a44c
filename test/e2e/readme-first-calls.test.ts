/**
 * The README's "First calls" run literally, as a new user pastes them: every ```sh block of the
 * section, in order, in one bash, against a server on the embedded default.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/db/embedded-postgres.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'keypool-readme-'));
let server: ServerProcess;
let url: string;

beforeAll(async () => {
  server = spawnServer({ KEYPOOL_DATA_DIR: dataDir, PORT: String(await freePort()) });
  url = await server.ready;
}, 60_000);
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
});

function firstCallsScript(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## First calls'), readme.indexOf('\n## ', readme.indexOf('## First calls') + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  return blocks.join('\n').replaceAll('http://127.0.0.1:4000', url);
}

describe('the README first calls', () => {
  it('work when followed literally: brand, token, key, lease, report, list, GraphQL lease, node credential', async () => {
    const script = `set -euo pipefail\n${firstCallsScript()}`;
    const { DATABASE_URL: _ignored, ...env } = process.env;
    // The two leases of the script count in one minute (minuteCount 2 below).
    await clearOfMinuteTurn(15_000);
    const { stdout, stderr } = await run('bash', ['-c', script], { env: { ...env, KEYPOOL_DATA_DIR: dataDir }, timeout: 90_000 });
    const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
    const [created, lease, report, list, graphql, nodeCredential] = lines.map((l) => JSON.parse(l));
    expect(created, stderr).toMatchObject({ success: true, integration: { provider_name: 'groq', key_label: 'Groq free tier' } });
    expect(lease).toMatchObject({ success: true, lease: { lease_id: expect.stringMatching(/^kpl_/), credentials: { api_key: 'gsk_replace_with_your_key_0123' } } });
    expect(report).toMatchObject({ success: true, integration: { health_status: 'healthy', spend_today: 0.0004 } });
    expect(list).toMatchObject({ success: true, total: 1 });
    expect(graphql.errors).toBeUndefined();
    expect(graphql.data.leaseKey).toMatchObject({ leaseId: expect.stringMatching(/^kpl_/), integration: { healthStatus: 'HEALTHY', minuteCount: 2 } });
    expect(nodeCredential).toMatchObject({ name: 'production', api_key: expect.stringMatching(/^kpn_/), secret: expect.stringMatching(/^kps_/), permissions: ['integrations.lease'] });
  }, 120_000);
});
