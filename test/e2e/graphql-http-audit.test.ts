import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('GraphQL over HTTP (graphql-http server audits)', () => {
  it('passes every audit with no error', async () => {
    const results = [];
    for (const audit of serverAudits({ url: `${t.url}/graphql` })) {
      results.push(await audit.fn());
    }
    const errors = results.filter((r) => r.status === 'error').map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(errors).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});
