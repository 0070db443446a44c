/**
 * npm run bench:commit-cost — what one durable write costs on this machine's disk, which bounds
 * any lease's latency: round trips to the embedded PostgreSQL over its Unix socket, 100 per
 * second, of a read (`select 1`), a write that commits durably (the WAL flushed before the
 * answer, as every lease and report does), and the same write with `synchronous_commit = off`
 * (answered before the flush; shown for comparison only — keypool never does this). Prints
 * figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import { fmt, percentile } from './support.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 500);
const dir = mkdtempSync(join(tmpdir(), 'keypool-commit-'));
const cluster = await startEmbeddedPostgres({ dataDir: dir, password: 'commit-cost' });
const client = new pg.Client({ connectionString: cluster.poolUrl });
await client.connect();
try {
  await client.query('create table probe (id serial primary key, at timestamptz not null default now())');
  const measure = async (name: string, sql: string) => {
    const latencies: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const t0 = performance.now();
      await client.query(sql);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    console.log(`| ${name} | ${fmt(percentile(latencies, 50), 2)} | ${fmt(percentile(latencies, 90), 2)} | ${fmt(percentile(latencies, 99), 2)} |`);
  };
  console.log(`\none round trip at 100/s, ${COUNT} each, embedded PostgreSQL over its Unix socket`);
  console.log('| statement | p50 ms | p90 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  await measure('select 1 (no write)', 'select 1');
  await measure('insert, durable commit (WAL flushed)', 'insert into probe default values');
  await measure('insert, synchronous_commit = off (comparison only)', 'begin; set local synchronous_commit = off; insert into probe default values; commit');
} finally {
  await client.end();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
