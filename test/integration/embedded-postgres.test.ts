/** The embedded cluster: a second start on the same data dir joins the running one; long paths keep to TCP. */
import { chmodSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedCluster } from '../../src/platform/db/embedded-postgres.js';

const started: EmbeddedCluster[] = [];
afterAll(async () => {
  for (const cluster of started.reverse()) await cluster.stop();
});

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return (await client.query('select 1 as one')).rows[0].one === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('startEmbeddedPostgres', () => {
  it('joins a cluster already running on the data dir, and leaves it running when the joiner stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kp-join-'));
    const owner = await startEmbeddedPostgres({ dataDir, password: 'join' });
    started.push(owner);
    const joiner = await startEmbeddedPostgres({ dataDir, password: 'join' });
    expect(joiner.url).toBe(owner.url);
    expect(joiner.poolUrl).toContain(`host=${encodeURIComponent(join(dataDir, 'pg'))}`);
    expect(await answers(joiner.poolUrl)).toBe(true);
    await joiner.stop();
    expect(await answers(owner.url)).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)('says clearly when, run as root, the postgres user cannot reach the data dir', async () => {
    const hidden = join(mkdtempSync(join(tmpdir(), 'kp-private-')), 'data');
    await expect(startEmbeddedPostgres({ dataDir: hidden, password: 'x' })).rejects.toThrow(
      `the embedded PostgreSQL runs as the 'postgres' user, which cannot reach ${hidden}`,
    );
  });

  it('uses TCP for the pool when the data dir is too deep for a Unix socket path', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'kp-deep-'));
    chmodSync(parent, 0o755);
    const deep = join(parent, 'd'.repeat(90));
    mkdirSync(deep, { recursive: true });
    const cluster = await startEmbeddedPostgres({ dataDir: deep, password: 'deep' });
    started.push(cluster);
    expect(cluster.poolUrl).toBe(cluster.url);
    expect(await answers(cluster.poolUrl)).toBe(true);
  });
});
