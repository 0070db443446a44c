/**
 * One PostgreSQL for the whole run: the server DATABASE_URL names, or one
 * embedded cluster started here (initdb costs ~2 s). Each test file then
 * creates its own database on it, so files run in parallel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedCluster } from '../../src/platform/db/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

let cluster: EmbeddedCluster | null = null;
let dir: string | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.DATABASE_URL);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'keypool-test-pg-'));
  cluster = await startEmbeddedPostgres({ dataDir: dir, password: 'keypool-test' });
  project.provide('adminDatabaseUrl', cluster.url);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
