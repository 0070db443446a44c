/** Another brand's key answers exactly like a missing one, on every route and field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteIntegrationDocument, IntegrationDocument, IntegrationsDocument, UpdateIntegrationDocument } from '../support/generated/graphql.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let alice: string;
let bob: string;
let aliceKeyId: number;

beforeAll(async () => {
  t = await createTestApp();
  alice = (await t.createBrand('Alice')).token;
  bob = (await t.createBrand('Bob')).token;
  const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_alice_0123456789' } }, token: alice });
  aliceKeyId = res.body.integration.id;
});
afterAll(() => t.close());

describe('brand isolation', () => {
  it('answers Bob exactly as for a missing integration on every REST route', async () => {
    for (const [method, body] of [['GET', undefined], ['PATCH', { is_active: false }], ['DELETE', undefined]] as const) {
      const foreign = await t.rest(method, `/api/v1/integrations/${aliceKeyId}`, { token: bob, body });
      const missing = await t.rest(method, '/api/v1/integrations/987654', { token: bob, body });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ success: false, error: 'Integration not found' });
      expect(foreign.body).toEqual(missing.body);
    }
    expect((await t.rest('GET', '/api/v1/integrations', { token: bob })).body).toMatchObject({ integrations: [], total: 0 });
  });

  it('answers Bob with null or NOT_FOUND on GraphQL', async () => {
    expect((await t.gql(IntegrationDocument, { id: aliceKeyId }, bob)).data!.integration).toBeNull();
    expect((await t.gql(IntegrationsDocument, {}, bob)).data!.integrations.total).toBe(0);
    for (const res of [
      await t.gql(UpdateIntegrationDocument, { id: aliceKeyId, input: { isActive: false } }, bob),
      await t.gql(DeleteIntegrationDocument, { id: aliceKeyId }, bob),
    ]) {
      expect(res.errors?.[0]).toMatchObject({ message: 'Integration not found', extensions: { code: 'NOT_FOUND' } });
    }
  });

  it('lets Bob hold the same credential as Alice: duplicates are per brand', async () => {
    const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_alice_0123456789' } }, token: bob });
    expect(res.status).toBe(201);
  });

  it('left Alice\'s key untouched', async () => {
    const res = await t.rest('GET', `/api/v1/integrations/${aliceKeyId}`, { token: alice });
    expect(res.body.integration).toMatchObject({ id: aliceKeyId, is_active: true });
  });
});
