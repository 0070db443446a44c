/**
 * The audit trail: every mutation of the permission table that changes something leaves an entry
 * naming who (client token, node credential, admin), what (resource, id, action, changed fields
 * with old and new values, secrets only as changed), when and from where; over REST and GraphQL,
 * filtered and paged. A mutating route or field added without its place here fails the first test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeypoolSchema } from '../../src/graphql/schema.js';
import { basicAuth, createTestApp, type TestApp } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let t: TestApp;
let brand: { brandId: string; token: string };
let receiver: WebhookReceiver;
const UA = 'audit-test/1.0';

beforeAll(async () => {
  t = await createTestApp();
  brand = await t.createBrand('Audited');
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

const rest = (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${brand.token}` }) =>
  t.rest(method, path, { body, headers: { 'user-agent': UA, ...headers } });
const gql = async (query: string, token = brand.token) => {
  const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': UA }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
let lastId = 0;
/** The entries written since the last call, oldest first (the brand's, read with its token). */
async function newEntries(token = brand.token): Promise<any[]> {
  const res = await t.rest('GET', '/api/v1/audit-log?limit=200', { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const fresh = (res.body.entries as any[]).filter((e) => Number(e.id) > lastId).reverse();
  lastId = Math.max(lastId, ...fresh.map((e) => Number(e.id)));
  return fresh;
}

/** What each mutation leaves: a step that makes it, and the entry it must write among those it wrote. */
type Step = { name: string; run: () => Promise<unknown>; expect: { resource: string; action: string; changes?: Record<string, unknown> } };
const ids: Record<string, any> = {};
const STEPS: Step[] = [
  { name: 'POST /api/v1/integrations', run: async () => (ids.key = (await rest('POST', '/api/v1/integrations', { provider_name: 'groq', key_label: 'first', credentials: { api_key: 'gsk_audit_secret_0123456789' } })).body.integration.id),
    expect: { resource: 'integration', action: 'created', changes: { key_label: { old: null, new: 'first' }, credentials_encrypted: { changed: true } } } },
  { name: 'PATCH /api/v1/integrations/:id', run: () => rest('PATCH', `/api/v1/integrations/${ids.key}`, { key_label: 'second', minute_limit: 7 }),
    expect: { resource: 'integration', action: 'updated', changes: { key_label: { old: 'first', new: 'second' }, minute_limit: { old: null, new: 7 } } } },
  { name: 'POST /api/v1/integrations/:id/sync', run: () => rest('POST', `/api/v1/integrations/${ids.key}/sync`), expect: { resource: 'integration', action: 'billing_synced' } },
  { name: 'POST /api/v1/nodes', run: async () => (ids.node = (await rest('POST', '/api/v1/nodes', { name: 'worker' })).body.node.id), expect: { resource: 'node', action: 'created', changes: { name: { old: null, new: 'worker' } } } },
  { name: 'PATCH /api/v1/nodes/:id', run: () => rest('PATCH', `/api/v1/nodes/${ids.node}`, { description: 'batch jobs' }), expect: { resource: 'node', action: 'updated', changes: { description: { old: null, new: 'batch jobs' } } } },
  { name: 'POST /api/v1/integrations (node credential)', run: async () => (ids.credential = (await rest('POST', '/api/v1/integrations', { node_id: ids.node, name: 'ci', permissions: ['*'] })).body),
    expect: { resource: 'node_credential', action: 'created', changes: { name: { old: null, new: 'ci' }, secret_hash: { changed: true } } } },
  { name: 'POST /api/v1/nodes/:id/integrations/:credentialId/roll', run: async () => (ids.rolled = (await rest('POST', `/api/v1/nodes/${ids.node}/integrations/${ids.credential.id}/roll`)).body),
    expect: { resource: 'node_credential', action: 'updated', changes: { secret_hash: { changed: true } } } },
  { name: 'POST /api/providers', run: () => rest('POST', '/api/providers', { provider: 'inhouse', custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'http://127.0.0.1:9', extra_headers: { 'x-team-token': 'tt_secret_value' } } }),
    expect: { resource: 'provider', action: 'created' } },
  { name: 'PUT /api/providers/:provider', run: () => rest('PUT', '/api/providers/inhouse', { network_config: { base_url: 'http://127.0.0.1:9', max_retries: 2 } }), expect: { resource: 'provider', action: 'updated' } },
  { name: 'POST /api/providers/:provider/keys', run: async () => (ids.bifrostKey = (await rest('POST', '/api/providers/mistral/keys', { name: 'bifrost key', value: 'mistral-bifrost-0123456789' })).body),
    expect: { resource: 'integration', action: 'created' } },
  { name: 'PUT /api/providers/:provider/keys/:key_id', run: () => rest('PUT', `/api/providers/mistral/keys/${ids.bifrostKey.id}`, { name: 'bifrost key', value: 'mistral-bifrost-0123456789', weight: 2 }),
    expect: { resource: 'integration', action: 'updated', changes: { weight: { old: 1, new: 2 } } } },
  { name: 'DELETE /api/providers/:provider/keys/:key_id', run: () => rest('DELETE', `/api/providers/mistral/keys/${ids.bifrostKey.id}`), expect: { resource: 'integration', action: 'deleted' } },
  { name: 'DELETE /api/providers/:provider', run: () => rest('DELETE', '/api/providers/inhouse'), expect: { resource: 'provider', action: 'deleted' } },
  { name: 'POST /api/v1/quota-groups', run: () => rest('POST', '/api/v1/quota-groups', { name: 'project-a', daily_limit: 100 }), expect: { resource: 'quota_group', action: 'created', changes: { daily_limit: { old: null, new: 100 } } } },
  { name: 'PATCH /api/v1/quota-groups/:name', run: () => rest('PATCH', '/api/v1/quota-groups/project-a', { daily_limit: 50 }), expect: { resource: 'quota_group', action: 'updated', changes: { daily_limit: { old: 100, new: 50 } } } },
  { name: 'DELETE /api/v1/quota-groups/:name', run: () => rest('DELETE', '/api/v1/quota-groups/project-a'), expect: { resource: 'quota_group', action: 'deleted' } },
  { name: 'POST /api/v1/alert-webhooks', run: async () => (ids.webhook = (await rest('POST', '/api/v1/alert-webhooks', { name: 'ops', url: receiver.url })).body.webhook.id),
    expect: { resource: 'alert_webhook', action: 'created', changes: { url: { changed: true }, secret_encrypted: { changed: true }, name: { old: null, new: 'ops' } } } },
  { name: 'PATCH /api/v1/alert-webhooks/:id', run: () => rest('PATCH', `/api/v1/alert-webhooks/${ids.webhook}`, { capacity_threshold_percent: 20 }),
    expect: { resource: 'alert_webhook', action: 'updated', changes: { capacity_threshold_percent: { old: 10, new: 20 } } } },
  { name: 'POST /api/v1/alert-webhooks/:id/test', run: async () => (ids.delivery = (await rest('POST', `/api/v1/alert-webhooks/${ids.webhook}/test`)).body.delivery.id),
    expect: { resource: 'alert_webhook', action: 'test_queued' } },
  { name: 'POST /api/v1/alert-deliveries/:id/replay', run: () => rest('POST', `/api/v1/alert-deliveries/${ids.delivery}/replay`), expect: { resource: 'alert_webhook', action: 'delivery_replayed' } },
  { name: 'DELETE /api/v1/alert-webhooks/:id', run: () => rest('DELETE', `/api/v1/alert-webhooks/${ids.webhook}`), expect: { resource: 'alert_webhook', action: 'deleted' } },
  { name: 'DELETE /api/v1/nodes/:id/integrations/:credentialId', run: () => rest('DELETE', `/api/v1/nodes/${ids.node}/integrations/${ids.rolled.id}`),
    expect: { resource: 'node_credential', action: 'updated' } },
  { name: 'POST /api/v1/integrations/:id/reset-cooldown', run: async () => {
    const leased = (await rest('POST', '/api/v1/integrations/lease', { provider_name: 'groq' })).body.lease;
    await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 429, error_type: 'rate_limited', retry_after_seconds: 60 });
    return rest('POST', `/api/v1/integrations/${ids.key}/reset-cooldown`);
  }, expect: { resource: 'integration', action: 'cooldown_reset' } },
  { name: 'POST /api/v1/integrations/:id/reprobe', run: async () => {
    const leased = (await rest('POST', '/api/v1/integrations/lease', { provider_name: 'groq' })).body.lease;
    await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 401, error_type: 'auth_error' });
    return rest('POST', `/api/v1/integrations/${ids.key}/reprobe`);
  }, expect: { resource: 'integration', action: 'reprobe_requested' } },
  { name: 'DELETE /api/v1/integrations/:id', run: () => rest('DELETE', `/api/v1/integrations/${ids.key}`), expect: { resource: 'integration', action: 'deleted', changes: { key_label: { old: 'second', new: null } } } },
  { name: 'DELETE /api/v1/nodes/:id', run: () => rest('DELETE', `/api/v1/nodes/${ids.node}`), expect: { resource: 'node', action: 'deleted' } },
  // GraphQL
  { name: 'Mutation.createIntegration', run: async () => (ids.gqlKey = (await gql('mutation { createIntegration(input: { providerName: "cerebras", credentials: { api_key: "csk-audit-0123456789" } }) { id } }')).createIntegration.id),
    expect: { resource: 'integration', action: 'created' } },
  { name: 'Mutation.updateIntegration', run: () => gql(`mutation { updateIntegration(id: ${ids.gqlKey}, input: { dailyLimit: 9 }) { id } }`), expect: { resource: 'integration', action: 'updated', changes: { daily_limit: { old: null, new: 9 } } } },
  { name: 'Mutation.syncBilling', run: () => gql(`mutation { syncBilling(integrationId: ${ids.gqlKey}) { id } }`), expect: { resource: 'integration', action: 'billing_synced' } },
  { name: 'Mutation.resetIntegrationCooldown', run: async () => {
    const leased = (await rest('POST', '/api/v1/integrations/lease', { provider_name: 'cerebras' })).body.lease;
    await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 429, error_type: 'rate_limited', retry_after_seconds: 60 });
    return gql(`mutation { resetIntegrationCooldown(id: ${ids.gqlKey}) { id } }`);
  }, expect: { resource: 'integration', action: 'cooldown_reset' } },
  { name: 'Mutation.reprobeIntegration', run: async () => {
    const leased = (await rest('POST', '/api/v1/integrations/lease', { provider_name: 'cerebras' })).body.lease;
    await rest('POST', '/api/v1/integrations/usage', { lease_id: leased.lease_id, success: false, status_code: 403, error_type: 'auth_error' });
    return gql(`mutation { reprobeIntegration(id: ${ids.gqlKey}) { id } }`);
  }, expect: { resource: 'integration', action: 'reprobe_requested' } },
  { name: 'Mutation.deleteIntegration', run: () => gql(`mutation { deleteIntegration(id: ${ids.gqlKey}) { id } }`), expect: { resource: 'integration', action: 'deleted' } },
  { name: 'Mutation.createProvider', run: () => gql('mutation { createProvider(name: "gqlcustom", input: { customProviderConfig: { base_provider_type: "openai" }, networkConfig: { base_url: "http://127.0.0.1:9" } }) { name } }'), expect: { resource: 'provider', action: 'created' } },
  { name: 'Mutation.updateProvider', run: () => gql('mutation { updateProvider(name: "gqlcustom", input: { networkConfig: { base_url: "http://127.0.0.1:9", max_retries: 3 } }) { name } }'), expect: { resource: 'provider', action: 'updated' } },
  { name: 'Mutation.deleteProvider', run: () => gql('mutation { deleteProvider(name: "gqlcustom") { name } }'), expect: { resource: 'provider', action: 'deleted' } },
  { name: 'Mutation.createQuotaGroup', run: () => gql('mutation { createQuotaGroup(name: "gqlgroup", input: { minuteLimit: 5 }) { name } }'), expect: { resource: 'quota_group', action: 'created' } },
  { name: 'Mutation.updateQuotaGroup', run: () => gql('mutation { updateQuotaGroup(name: "gqlgroup", input: { minuteLimit: 6 }) { name } }'), expect: { resource: 'quota_group', action: 'updated', changes: { minute_limit: { old: 5, new: 6 } } } },
  { name: 'Mutation.deleteQuotaGroup', run: () => gql('mutation { deleteQuotaGroup(name: "gqlgroup") { name } }'), expect: { resource: 'quota_group', action: 'deleted' } },
  { name: 'Mutation.createNode', run: async () => (ids.gqlNode = (await gql('mutation { createNode(input: { name: "gqlnode" }) { id } }')).createNode.id), expect: { resource: 'node', action: 'created' } },
  { name: 'Mutation.updateNode', run: () => gql(`mutation { updateNode(id: "${ids.gqlNode}", input: { name: "gqlnode2" }) { id } }`), expect: { resource: 'node', action: 'updated', changes: { name: { old: 'gqlnode', new: 'gqlnode2' } } } },
  { name: 'Mutation.createNodeCredential', run: async () => (ids.gqlCredential = (await gql(`mutation { createNodeCredential(input: { nodeId: "${ids.gqlNode}", name: "gqlcred" }) { credential { id } } }`)).createNodeCredential.credential.id),
    expect: { resource: 'node_credential', action: 'created' } },
  { name: 'Mutation.rollNodeCredential', run: async () => (ids.gqlRolled = (await gql(`mutation { rollNodeCredential(nodeId: "${ids.gqlNode}", id: "${ids.gqlCredential}") { credential { id } } }`)).rollNodeCredential.credential.id),
    expect: { resource: 'node_credential', action: 'updated', changes: { secret_hash: { changed: true } } } },
  { name: 'Mutation.revokeNodeCredential', run: () => gql(`mutation { revokeNodeCredential(nodeId: "${ids.gqlNode}", id: "${ids.gqlRolled}") { id } }`), expect: { resource: 'node_credential', action: 'updated' } },
  { name: 'Mutation.deleteNode', run: () => gql(`mutation { deleteNode(id: "${ids.gqlNode}") { id } }`), expect: { resource: 'node', action: 'deleted' } },
  { name: 'Mutation.createAlertWebhook', run: async () => (ids.gqlWebhook = (await gql(`mutation { createAlertWebhook(input: { name: "gqlhook", url: "${receiver.url}" }) { webhook { id } } }`)).createAlertWebhook.webhook.id),
    expect: { resource: 'alert_webhook', action: 'created' } },
  { name: 'Mutation.updateAlertWebhook', run: () => gql(`mutation { updateAlertWebhook(id: "${ids.gqlWebhook}", input: { isActive: false }) { id } }`), expect: { resource: 'alert_webhook', action: 'updated', changes: { is_active: { old: true, new: false } } } },
  { name: 'Mutation.testAlertWebhook', run: async () => (ids.gqlDelivery = (await gql(`mutation { testAlertWebhook(id: "${ids.gqlWebhook}") { id } }`)).testAlertWebhook.id), expect: { resource: 'alert_webhook', action: 'test_queued' } },
  { name: 'Mutation.replayAlertDelivery', run: () => gql(`mutation { replayAlertDelivery(id: "${ids.gqlDelivery}") { id } }`), expect: { resource: 'alert_webhook', action: 'delivery_replayed' } },
  { name: 'Mutation.deleteAlertWebhook', run: () => gql(`mutation { deleteAlertWebhook(id: "${ids.gqlWebhook}") { id } }`), expect: { resource: 'alert_webhook', action: 'deleted' } },
];

/** Mutations that change nothing an operator configures: leases and reports (the usage ledger records them), token exchange, credential checks. */
const NOT_CHANGES = [
  'POST /api/v1/integrations/lease', 'POST /api/v1/integrations/usage', 'POST /api/v1/integrations/verify', 'POST /api/v1/auth/token',
  'Mutation.leaseKey', 'Mutation.reportKeyUsage',
];
/** The operator's own fields, checked below with the admin token. */
const ADMIN = ['Mutation.createBrand', 'Mutation.issueClientToken', 'Mutation.revokeClientToken'];

describe('the audit trail', () => {
  it('has a step for every mutating REST route under /api and every GraphQL mutation', async () => {
    const routes = t.app.routes.filter((r) => r.method !== 'GET' && r.url.startsWith('/api/')).map((r) => `${r.method} ${r.url}`);
    const mutations = Object.keys((await buildKeypoolSchema()).getMutationType()!.getFields()).map((f) => `Mutation.${f}`);
    const covered = new Set([...STEPS.map((s) => s.name.replace(/ \(.*\)$/, '')), ...NOT_CHANGES, ...ADMIN]);
    expect([...new Set([...routes, ...mutations])].filter((name) => !covered.has(name)).sort()).toEqual([]);
  });

  it.each(STEPS.map((s) => [s.name, s] as const))('%s leaves an entry with the client token, the address and the user agent', async (_name, step) => {
    await newEntries();
    await step.run();
    const entries = await newEntries();
    const entry = entries.find((e) => e.resource === step.expect.resource && e.action === step.expect.action);
    expect(entry, JSON.stringify(entries)).toMatchObject({
      ...step.expect, actor_kind: 'brand_token', actor_label: 'client token', source_ip: '127.0.0.1', user_agent: UA,
    });
    expect(JSON.stringify(entries)).not.toMatch(/gsk_audit_secret|mistral-bifrost|csk-audit|tt_secret_value|whsec_/);
  });

  it('names a node credential that made a change, by its name and public key id', async () => {
    const node = (await rest('POST', '/api/v1/nodes', { name: 'robot' })).body.node;
    const credential = (await rest('POST', '/api/v1/integrations', { node_id: node.id, name: 'deployer', permissions: ['integrations.write'] })).body;
    await newEntries();
    await rest('POST', '/api/v1/integrations', { provider_name: 'groq', credentials: { api_key: 'gsk_by_node_0123456789' } }, { authorization: basicAuth(credential) });
    const [entry] = await newEntries();
    expect(entry).toMatchObject({ resource: 'integration', action: 'created', actor_kind: 'node_credential', actor_id: credential.id, actor_label: `deployer (${credential.api_key})` });
  });

  it('records the admin\'s brand and client-token changes in that brand\'s trail', async () => {
    const created = await gql('mutation { createBrand(input: { name: "Admin made" }) { id } }', t.adminToken);
    const issued = await gql(`mutation { issueClientToken(input: { brandId: "${created.createBrand.id}", label: "dashboard" }) { id token } }`, t.adminToken);
    const other = await gql(`mutation { issueClientToken(input: { brandId: "${created.createBrand.id}", label: "spare" }) { id } }`, t.adminToken);
    await gql(`mutation { revokeClientToken(id: "${other.issueClientToken.id}") { id } }`, t.adminToken);
    const trail = await gql('{ auditLog(limit: 10) { total items { resource action actorKind actorLabel changes } } }', issued.issueClientToken.token);
    expect(trail.auditLog.items.map((e: any) => [e.resource, e.action, e.actorKind])).toEqual([
      ['client_token', 'updated', 'admin'], ['client_token', 'created', 'admin'], ['client_token', 'created', 'admin'], ['brand', 'created', 'admin'],
    ]);
    expect(trail.auditLog.items[0].changes.revoked_at.old).toBeNull();
  });

  it('filters by resource, action, actor and time, pages, and refuses bad filters with a 400 in each dialect', async () => {
    const page = await rest('GET', '/api/v1/audit-log?resource=quota_group&limit=2&offset=1');
    expect(page.body).toMatchObject({ success: true, total: 6, limit: 2, offset: 1 });
    expect(page.body.entries.map((e: any) => e.action)).toEqual(['updated', 'created']);
    const byAction = await gql('{ auditLog(filter: { resource: "integration", action: "billing_synced" }) { total } }');
    expect(byAction.auditLog.total).toBe(2);
    const future = await rest('GET', `/api/v1/audit-log?since=${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(future.body).toMatchObject({ entries: [], total: 0 });
    expect(await rest('GET', '/api/v1/audit-log?resource=keys')).toMatchObject({ status: 400, body: { success: false, error: 'resource must be one of integration, provider, quota_group, node, node_credential, client_token, brand, alert_webhook' } });
    expect(await rest('GET', '/api/v1/audit-log?since=yesterday')).toMatchObject({ status: 400, body: { error: 'since must be a time such as 2026-12-05T10:00:00Z' } });
    expect(await rest('GET', '/api/v1/audit-log?limit=500')).toMatchObject({ status: 400, body: { error: 'limit must be a whole number from 1 to 200' } });
    expect(await rest('GET', '/api/v1/audit-log?who=me')).toMatchObject({ status: 400, body: { error: 'Unknown query parameter: who (accepted: resource, resource_id, action, actor_kind, actor_id, since, until, limit, offset)' } });
    const other = await t.createBrand('Not audited here');
    expect((await t.rest('GET', '/api/v1/audit-log', { token: other.token })).body.entries.filter((e: any) => e.actor_kind !== 'system')).toEqual([]);
  });

  it('prunes entries past the retention', async () => {
    const before = (await rest('GET', '/api/v1/audit-log?limit=1')).body.total;
    expect(before).toBeGreaterThan(0);
    await t.app.services.audit.prune(new Date(Date.now() + 60_000));
    expect((await rest('GET', '/api/v1/audit-log?limit=1')).body.total).toBe(0);
  });
});
