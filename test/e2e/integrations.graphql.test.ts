import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateIntegrationDocument, DeleteIntegrationDocument, IntegrationDocument, IntegrationsDocument, ProvidersDocument, UpdateIntegrationDocument,
} from '../support/generated/graphql.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand());
});
afterAll(() => t.close());

describe('GraphQL key pool', () => {
  it('lists the 16 documented providers and Bifrost\'s, by name, with their credential fields', async () => {
    const res = await t.gql(ProvidersDocument, {}, token);
    const names = res.data!.providers.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    for (const documented of ['openrouter', 'groq', 'mistral', 'google_ai', 'fal_ai', 'cerebras', 'together', 'cohere', 'cloudflare', 'nvidia_nim', 'fireworks', 'sambanova', 'huggingface', 'github_models', 'ai21', 'baseten']) {
      expect(names).toContain(documented);
    }
    for (const bifrost of ['openai', 'anthropic', 'azure', 'bedrock', 'vertex', 'gemini', 'ollama', 'sgl', 'vllm', 'replicate', 'xai', 'perplexity']) {
      expect(names).toContain(bifrost);
    }
    expect(res.data!.providers.find((p) => p.name === 'azure')).toMatchObject({ keyConfigField: 'azure_key_config', custom: false });
    expect(res.data!.providers.find((p) => p.name === 'cloudflare')!.credentialFields.map((f) => f.name)).toEqual(['api_key', 'account_id']);
    expect(res.data!.providers.find((p) => p.name === 'openrouter')).toMatchObject({ label: 'OpenRouter', credentialFields: [{ name: 'api_key', example: 'sk-or-v1-...' }] });
  });

  it('creates, reads, updates and deletes a key, and REST gives the same answers', async () => {
    const created = await t.gql(CreateIntegrationDocument, {
      input: { providerName: 'openrouter', credentials: { api_key: 'sk-or-v1-graphql0123456789' }, keyLabel: 'GQL', isPrimary: true, dailyLimit: 10, spendLimitAmount: '12.50', spendLimitAction: 'BLOCK' },
    }, token);
    expect(created.errors).toBeUndefined();
    const integration = created.data!.createIntegration;
    expect(integration).toMatchObject({
      providerName: 'openrouter', providerLabel: 'OpenRouter', keyLabel: 'GQL', isPrimary: true, priority: 10, dailyLimit: 10,
      spendLimitAmount: '12.5', spendLimitAction: 'BLOCK', spendLimitPeriod: 'MONTHLY', healthStatus: 'HEALTHY', weight: '1',
      keyPreview: { api_key: 'sk-o...789' }, models: null, blacklistedModels: [],
    });
    expect(JSON.stringify(created)).not.toContain('graphql0123456789');

    const rest = (await t.rest('GET', `/api/v1/integrations/${integration.id}`, { token })).body.integration;
    expect(rest).toMatchObject({ id: integration.id, key_label: 'GQL', priority: 10, daily_limit: 10, spend_limit_amount: 12.5, spend_limit_action: 'block', key_preview: integration.keyPreview });

    const updated = await t.gql(UpdateIntegrationDocument, { id: integration.id, input: { isPrimary: false, dailyLimit: null, weight: '0.25', models: ['gpt-4o'] } }, token);
    expect(updated.data!.updateIntegration).toMatchObject({ isPrimary: false, priority: 0, dailyLimit: null, weight: '0.25', models: ['gpt-4o'], keyLabel: 'GQL' });

    const list = await t.gql(IntegrationsDocument, { filter: { providerName: 'openrouter', healthStatus: 'HEALTHY' } }, token);
    expect(list.data!.integrations).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect((await t.gql(IntegrationDocument, { id: integration.id }, token)).data!.integration!.weight).toBe('0.25');

    expect((await t.gql(DeleteIntegrationDocument, { id: integration.id }, token)).data!.deleteIntegration).toEqual({ id: integration.id, providerName: 'openrouter' });
    expect((await t.gql(IntegrationDocument, { id: integration.id }, token)).data!.integration).toBeNull();
  });

  it('answers bad input with BAD_USER_INPUT naming the camelCase field', async () => {
    const bad = await t.gql(CreateIntegrationDocument, { input: { providerName: 'groq', credentials: { api_key: 'gsk_0123456789abc' }, minuteLimit: -3 } }, token);
    expect(bad.errors?.[0]).toMatchObject({ message: 'minuteLimit must be a whole number from 1 to 2147483647, or null for unlimited', extensions: { code: 'BAD_USER_INPUT' } });
    const provider = await t.gql(CreateIntegrationDocument, { input: { providerName: 'skynet', credentials: { api_key: 'x' } } }, token);
    expect(provider.errors?.[0].message).toMatch(/^Invalid provider_name\. Supported: openrouter, groq/);
    const enumValue = await t.gql('mutation { createIntegration(input: { providerName: "groq", credentials: {api_key: "gsk_0123456789"}, spendLimitPeriod: WEEKLY }) { id } }', {}, token);
    expect(enumValue.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const limits = await t.gql(IntegrationsDocument, { limit: 500 }, token);
    expect(limits.errors?.[0]).toMatchObject({ message: 'limit must be a whole number from 1 to 100', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('answers CONFLICT for a duplicate credential and NOT_FOUND for a missing key', async () => {
    const input = { providerName: 'groq', credentials: { api_key: 'gsk_duplicate_0123456789' } };
    expect((await t.gql(CreateIntegrationDocument, { input }, token)).errors).toBeUndefined();
    const again = await t.gql(CreateIntegrationDocument, { input }, token);
    expect(again.errors?.[0]).toMatchObject({ message: 'A key with this credential already exists for this provider', extensions: { code: 'CONFLICT' } });
    const missing = await t.gql(UpdateIntegrationDocument, { id: 424242, input: { isActive: false } }, token);
    expect(missing.errors?.[0]).toMatchObject({ message: 'Integration not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('needs a brand token: the admin token is FORBIDDEN and no token is UNAUTHENTICATED', async () => {
    expect((await t.gql(IntegrationsDocument, {}, t.adminToken)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(IntegrationsDocument, {})).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('adds custom providers and keys with the Bifrost fields, and leases them in batch with the provider\'s base URL', async () => {
    const brand = await t.createBrand('GraphQL providers');
    const created = await t.gql<any, object>(
      `mutation { createProvider(name: "edge-vllm", input: { customProviderConfig: { base_provider_type: "vllm" }, networkConfig: { base_url: "http://10.0.0.9:8000" } }) {
        name custom baseProviderType keyless keyConfigField networkConfig customProviderConfig } }`,
      {},
      brand.token,
    );
    expect(created.data?.createProvider).toMatchObject({
      name: 'edge-vllm', custom: true, baseProviderType: 'vllm', keyless: false, keyConfigField: 'vllm_key_config',
      networkConfig: { base_url: 'http://10.0.0.9:8000' }, customProviderConfig: { base_provider_type: 'vllm', is_key_less: false },
    });
    const missingUrl = await t.gql('mutation { createIntegration(input: { providerName: "edge-vllm", credentials: {} }) { id } }', {}, brand.token);
    expect(missingUrl.errors?.[0]).toMatchObject({ message: 'vllm_key_config.url is required for VLLM keys', extensions: { code: 'BAD_USER_INPUT' } });
    const key = await t.gql<any, object>(
      `mutation { createIntegration(input: { providerName: "edge-vllm", keyId: "edge-1", credentials: {}, useForBatchApi: true, weight: "2",
        models: ["Qwen2.5-7B"], providerConfig: { url: "http://10.0.0.9:8000/v1", model_name: "qwen" } }) {
        id keyId useForBatchApi weight models providerConfig keyPreview } }`,
      {},
      brand.token,
    );
    expect(key.errors).toBeUndefined();
    expect(key.data?.createIntegration).toMatchObject({
      keyId: 'edge-1', useForBatchApi: true, weight: '2', models: ['Qwen2.5-7B'], keyPreview: {},
      // A URL is a setting, not a secret: shown as it is (Bifrost masks only secrets).
      providerConfig: { url: { value: 'http://10.0.0.9:8000/v1', env_var: '', from_env: false }, model_name: 'qwen' },
    });
    const leased = await t.gql<any, object>(
      'mutation { leaseKey(input: { providerName: "edge-vllm", model: "qwen2.5-7b", batch: true }) { credentials baseUrl integration { keyId } } }',
      {},
      brand.token,
    );
    expect(leased.data?.leaseKey).toEqual({
      credentials: { vllm_key_config: { url: 'http://10.0.0.9:8000/v1', model_name: 'qwen' } },
      baseUrl: 'http://10.0.0.9:8000',
      integration: { keyId: 'edge-1' },
    });
    // updateIntegration replaces the key config; a secret sent back as rendered keeps the stored one.
    const id = (key.data as any).createIntegration.id;
    const rendered = (key.data as any).createIntegration.providerConfig.url;
    const kept = await t.gql<any, object>(`mutation($c: JSONObject) { updateIntegration(id: ${id}, input: { providerConfig: $c }) { providerConfig } }`,
      { c: { url: rendered, model_name: 'qwen-2' } }, brand.token);
    expect(kept.data?.updateIntegration.providerConfig).toEqual({ url: rendered, model_name: 'qwen-2' });
    const moved = await t.gql<any, object>(`mutation { updateIntegration(id: ${id}, input: { providerConfig: { url: "http://10.0.0.10:8000/v1" } }) { providerConfig } }`, {}, brand.token);
    expect(moved.errors).toBeUndefined();
    const masked = await t.gql<any, object>(`mutation { updateIntegration(id: ${id}, input: { providerConfig: { url: "abcd${'*'.repeat(24)}wxyz" } }) { id } }`, {}, brand.token);
    expect(masked.errors?.[0].message).toBe('masked preview cannot be used for vllm_key_config.url: it is not the stored value\'s rendering (send the value itself)');
    const again = await t.gql<any, object>('mutation { leaseKey(input: { providerName: "edge-vllm" }) { credentials } }', {}, brand.token);
    expect(again.data?.leaseKey.credentials).toEqual({ vllm_key_config: { url: 'http://10.0.0.10:8000/v1' } });
    const deleted = await t.gql<any, object>('mutation { deleteProvider(name: "edge-vllm") { name } }', {}, brand.token);
    expect(deleted.data?.deleteProvider).toEqual({ name: 'edge-vllm' });
    expect((await t.gql('{ integrations { total } }', {}, brand.token)).data).toEqual({ integrations: { total: 0 } });
    const gone = await t.gql('mutation { updateProvider(name: "edge-vllm", input: {}) { name } }', {}, brand.token);
    expect(gone.errors?.[0]).toMatchObject({ message: 'Provider not found', extensions: { code: 'NOT_FOUND' } });
  });
});
