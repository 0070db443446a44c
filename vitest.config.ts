import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships index.mjs beside index.js; Node (and type-graphql, a CJS
    // package) load index.js, so Vite must too, or two graphql realms meet.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    // `npm test` runs unit, integration and e2e; `npm run test:browser` the headless-Chromium checks.
    include: process.env.KEYPOOL_TESTS === 'browser' ? ['test/browser/**/*.test.ts'] : ['test/{unit,integration,e2e}/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['reflect-metadata'],
    // A bound for the harness, not a figure about keypool (those are the benchmarks'): generous, so a
    // slow or busy machine (a test that spawns the server compiles it with tsx first) still finishes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Browser checks measure frame times: one Chromium at a time, not two sharing the cores.
    fileParallelism: process.env.KEYPOOL_TESTS !== 'browser',
    reporters: ['default'],
  },
});
