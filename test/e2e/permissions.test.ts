/**
 * The permission table: every REST route under /api and every GraphQL root field, with the
 * permission keypool enforces on it. A node credential holding every permission but that one is
 * refused (403 / FORBIDDEN / 4403); one holding only that one gets through. A route or field that
 * is not in the table fails the first tests, so nothing new can ship unguarded.
 */
import { getNamedType, isObjectType } from 'graphql';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYPOOL_PERMISSIONS, type KeypoolPermission } from '../../src/modules/nodes/index.js';
import { buildKeypoolSchema } from '../../src/graphql/schema.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { openSocket } from '../support/raw-socket.js';

type Needed = KeypoolPermission | 'admin' | 'public';
interface Ids {
  nodeId: string;
  credentialId: string;
  integrationId: number;
}

const NODE = '00000000-0000-4000-8000-000000000001';

/** REST: route → how to call it → what it needs. POST /api/v1/integrations needs what its body asks for. */
const REST: { route: string; needs: Needed; call: (ids: Ids) => { method: string; path: string; body?: unknown } }[] = [
  { route: 'POST /api/v1/integrations', needs: 'integrations.write', call: () => ({ method: 'POST', path: '/api/v1/integrations', body: { provider_name: 'groq', credentials: { api_key: `gsk_table_${Math.random()}` } } }) },
  { route: 'POST /api/v1/integrations', needs: 'nodes.write', call: (ids) => ({ method: 'POST', path: '/api/v1/integrations', body: { node_id: ids.nodeId, name: `c${Math.random()}` } }) },
  { route: 'GET /api/v1/integrations', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/integrations' }) },
  { route: 'GET /api/v1/integrations/:id', needs: 'integrations.read', call: (ids) => ({ method: 'GET', path: `/api/v1/integrations/${ids.integrationId}` }) },
  { route: 'PATCH /api/v1/integrations/:id', needs: 'integrations.write', call: (ids) => ({ method: 'PATCH', path: `/api/v1/integrations/${ids.integrationId}`, body: { key_label: 'x' } }) },
  { route: 'DELETE /api/v1/integrations/:id', needs: 'integrations.write', call: () => ({ method: 'DELETE', path: '/api/v1/integrations/999999' }) },
  { route: 'POST /api/v1/integrations/lease', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/api/v1/integrations/lease', body: { provider_name: 'groq' } }) },
  { route: 'POST /api/v1/integrations/usage', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/api/v1/integrations/usage', body: { lease_id: 'kpl_x.y', success: true } }) },
  { route: 'POST /v1/chat/completions', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1/chat/completions', body: { model: 'groq/llama-3.1-8b-instant', messages: [] } }) },
  { route: 'POST /v1/embeddings', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1/embeddings', body: { model: 'groq/nomic-embed', input: 'x' } }) },
  { route: 'POST /v1/responses', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1/responses', body: { model: 'groq/llama-3.1-8b-instant', input: 'x' } }) },
  { route: 'POST /v1beta/models/*', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1beta/models/gemini-2.0-flash:generateContent', body: { contents: [] } }) },
  { route: 'POST /v1/models/*', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1/models/gemini-2.0-flash:countTokens', body: { contents: [] } }) },
  { route: 'GET /v1beta/models', needs: 'integrations.lease', call: () => ({ method: 'GET', path: '/v1beta/models' }) },
  { route: 'POST /v1/messages', needs: 'integrations.lease', call: () => ({ method: 'POST', path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] } }) },
  { route: 'GET /v1/models', needs: 'integrations.lease', call: () => ({ method: 'GET', path: '/v1/models' }) },
  { route: 'POST /api/v1/integrations/verify', needs: 'nodes.read', call: () => ({ method: 'POST', path: '/api/v1/integrations/verify', body: { api_key: 'kpn_x', secret: 'x' } }) },
  { route: 'POST /api/v1/nodes', needs: 'nodes.write', call: () => ({ method: 'POST', path: '/api/v1/nodes', body: { name: `n${Math.random()}` } }) },
  { route: 'GET /api/v1/nodes', needs: 'nodes.read', call: () => ({ method: 'GET', path: '/api/v1/nodes' }) },
  { route: 'GET /api/v1/nodes/:id', needs: 'nodes.read', call: (ids) => ({ method: 'GET', path: `/api/v1/nodes/${ids.nodeId}` }) },
  { route: 'PATCH /api/v1/nodes/:id', needs: 'nodes.write', call: (ids) => ({ method: 'PATCH', path: `/api/v1/nodes/${ids.nodeId}`, body: { description: 'x' } }) },
  { route: 'DELETE /api/v1/nodes/:id', needs: 'nodes.write', call: () => ({ method: 'DELETE', path: `/api/v1/nodes/${NODE}` }) },
  { route: 'GET /api/v1/nodes/:id/integrations', needs: 'nodes.read', call: (ids) => ({ method: 'GET', path: `/api/v1/nodes/${ids.nodeId}/integrations` }) },
  { route: 'DELETE /api/v1/nodes/:id/integrations/:credentialId', needs: 'nodes.write', call: (ids) => ({ method: 'DELETE', path: `/api/v1/nodes/${ids.nodeId}/integrations/${NODE}` }) },
  { route: 'POST /api/v1/nodes/:id/integrations/:credentialId/roll', needs: 'nodes.write', call: (ids) => ({ method: 'POST', path: `/api/v1/nodes/${ids.nodeId}/integrations/${NODE}/roll` }) },
  { route: 'POST /api/v1/auth/token', needs: 'public', call: () => ({ method: 'POST', path: '/api/v1/auth/token' }) },
  { route: 'POST /api/v1/integrations/:id/sync', needs: 'integrations.write', call: (ids) => ({ method: 'POST', path: `/api/v1/integrations/${ids.integrationId}/sync` }) },
  { route: 'GET /api/v1/usage', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/usage?group_by=provider' }) },
  { route: 'GET /api/providers', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/providers' }) },
  { route: 'GET /api/providers/:provider', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/providers/groq' }) },
  { route: 'POST /api/providers', needs: 'integrations.write', call: () => ({ method: 'POST', path: '/api/providers', body: { provider: `c${Math.random()}`.replace('.', ''), custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'http://127.0.0.1:9' } } }) },
  { route: 'PUT /api/providers/:provider', needs: 'integrations.write', call: () => ({ method: 'PUT', path: '/api/providers/mistral', body: { network_config: { max_retries: 1 } } }) },
  { route: 'DELETE /api/providers/:provider', needs: 'integrations.write', call: () => ({ method: 'DELETE', path: '/api/providers/no-such-provider' }) },
  { route: 'GET /api/providers/:provider/keys', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/providers/groq/keys' }) },
  { route: 'GET /api/providers/:provider/keys/:key_id', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/providers/groq/keys/nope' }) },
  { route: 'POST /api/providers/:provider/keys', needs: 'integrations.write', call: () => ({ method: 'POST', path: '/api/providers/groq/keys', body: { value: `gsk_bifrost_${Math.random()}` } }) },
  { route: 'PUT /api/providers/:provider/keys/:key_id', needs: 'integrations.write', call: () => ({ method: 'PUT', path: '/api/providers/groq/keys/nope', body: { value: 'gsk_x' } }) },
  { route: 'DELETE /api/providers/:provider/keys/:key_id', needs: 'integrations.write', call: () => ({ method: 'DELETE', path: '/api/providers/groq/keys/nope' }) },
  { route: 'GET /api/keys', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/keys' }) },
  { route: 'GET /api/v1/capacity', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/capacity' }) },
  { route: 'GET /api/v1/quota-groups', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/quota-groups' }) },
  { route: 'POST /api/v1/quota-groups', needs: 'integrations.write', call: () => ({ method: 'POST', path: '/api/v1/quota-groups', body: { name: `g${String(Math.random()).slice(2)}` } }) },
  { route: 'GET /api/v1/quota-groups/:name', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/quota-groups/nope' }) },
  { route: 'PATCH /api/v1/quota-groups/:name', needs: 'integrations.write', call: () => ({ method: 'PATCH', path: '/api/v1/quota-groups/nope', body: { minute_limit: 5 } }) },
  { route: 'DELETE /api/v1/quota-groups/:name', needs: 'integrations.write', call: () => ({ method: 'DELETE', path: '/api/v1/quota-groups/nope' }) },
  { route: 'POST /api/v1/integrations/:id/reset-cooldown', needs: 'integrations.write', call: (ids) => ({ method: 'POST', path: `/api/v1/integrations/${ids.integrationId}/reset-cooldown` }) },
  { route: 'POST /api/v1/integrations/:id/reprobe', needs: 'integrations.write', call: (ids) => ({ method: 'POST', path: `/api/v1/integrations/${ids.integrationId}/reprobe` }) },
  { route: 'GET /api/v1/gateway-failures', needs: 'integrations.read', call: () => ({ method: 'GET', path: '/api/v1/gateway-failures' }) },
  { route: 'GET /api/v1/audit-log', needs: 'audit.read', call: () => ({ method: 'GET', path: '/api/v1/audit-log' }) },
  { route: 'GET /api/v1/alert-webhooks', needs: 'alerts.read', call: () => ({ method: 'GET', path: '/api/v1/alert-webhooks' }) },
  { route: 'POST /api/v1/alert-webhooks', needs: 'alerts.write', call: () => ({ method: 'POST', path: '/api/v1/alert-webhooks', body: { name: `w${Math.random()}`, url: 'https://example.com/hook' } }) },
  { route: 'GET /api/v1/alert-webhooks/:id', needs: 'alerts.read', call: () => ({ method: 'GET', path: `/api/v1/alert-webhooks/${NODE}` }) },
  { route: 'PATCH /api/v1/alert-webhooks/:id', needs: 'alerts.write', call: () => ({ method: 'PATCH', path: `/api/v1/alert-webhooks/${NODE}`, body: { is_active: false } }) },
  { route: 'DELETE /api/v1/alert-webhooks/:id', needs: 'alerts.write', call: () => ({ method: 'DELETE', path: `/api/v1/alert-webhooks/${NODE}` }) },
  { route: 'POST /api/v1/alert-webhooks/:id/test', needs: 'alerts.write', call: () => ({ method: 'POST', path: `/api/v1/alert-webhooks/${NODE}/test` }) },
  { route: 'GET /api/v1/alert-deliveries', needs: 'alerts.read', call: () => ({ method: 'GET', path: '/api/v1/alert-deliveries' }) },
  { route: 'POST /api/v1/alert-deliveries/:id/replay', needs: 'alerts.write', call: () => ({ method: 'POST', path: `/api/v1/alert-deliveries/${NODE}/replay` }) },
];

/** GraphQL: root field → an operation using it → what it needs. */
const GRAPHQL: Record<string, { needs: Needed; query: (ids: Ids) => string }> = {
  'Query.providers': { needs: 'integrations.read', query: () => '{ providers { name } }' },
  'Query.integrations': { needs: 'integrations.read', query: () => '{ integrations { total } }' },
  'Query.integration': { needs: 'integrations.read', query: (ids) => `{ integration(id: ${ids.integrationId}) { id } }` },
  'Query.nodes': { needs: 'nodes.read', query: () => '{ nodes { total } }' },
  'Query.node': { needs: 'nodes.read', query: (ids) => `{ node(id: "${ids.nodeId}") { id credentials { id } } }` },
  'Query.verifyNodeCredential': { needs: 'nodes.read', query: () => '{ verifyNodeCredential(input: { apiKey: "kpn_x", secret: "x" }) { code } }' },
  'Query.brands': { needs: 'admin', query: () => '{ brands { id } }' },
  'Query.clientTokens': { needs: 'admin', query: () => '{ clientTokens { id } }' },
  'Query.integrationEvents': { needs: 'integrations.read', query: (ids) => `{ integrationEvents(integrationId: ${ids.integrationId}) { id } }` },
  'Query.usage': { needs: 'integrations.read', query: () => '{ usage(groupBy: [PROVIDER]) { rows { requests } } }' },
  'Mutation.syncBilling': { needs: 'integrations.write', query: (ids) => `mutation { syncBilling(integrationId: ${ids.integrationId}) { id } }` },
  'Mutation.createProvider': { needs: 'integrations.write', query: () => `mutation { createProvider(name: "g${String(Math.random()).slice(2)}", input: { customProviderConfig: { base_provider_type: "openai" }, networkConfig: { base_url: "http://127.0.0.1:9" } }) { name } }` },
  'Mutation.updateProvider': { needs: 'integrations.write', query: () => 'mutation { updateProvider(name: "mistral", input: { networkConfig: { max_retries: 2 } }) { name } }' },
  'Mutation.deleteProvider': { needs: 'integrations.write', query: () => 'mutation { deleteProvider(name: "no-such-provider") { name } }' },
  'Mutation.createIntegration': { needs: 'integrations.write', query: () => `mutation { createIntegration(input: { providerName: "groq", credentials: { api_key: "gsk_gql_${Math.random()}" } }) { id } }` },
  'Mutation.updateIntegration': { needs: 'integrations.write', query: (ids) => `mutation { updateIntegration(id: ${ids.integrationId}, input: { keyLabel: "y" }) { id } }` },
  'Mutation.deleteIntegration': { needs: 'integrations.write', query: () => 'mutation { deleteIntegration(id: 999999) { id } }' },
  'Query.capacity': { needs: 'integrations.read', query: () => '{ capacity { providerName } }' },
  'Query.quotaGroups': { needs: 'integrations.read', query: () => '{ quotaGroups { name } }' },
  'Mutation.createQuotaGroup': { needs: 'integrations.write', query: () => `mutation { createQuotaGroup(name: "g${String(Math.random()).slice(2)}") { name } }` },
  'Mutation.updateQuotaGroup': { needs: 'integrations.write', query: () => 'mutation { updateQuotaGroup(name: "nope", input: { minuteLimit: 5 }) { name } }' },
  'Mutation.deleteQuotaGroup': { needs: 'integrations.write', query: () => 'mutation { deleteQuotaGroup(name: "nope") { name } }' },
  'Mutation.resetIntegrationCooldown': { needs: 'integrations.write', query: (ids) => `mutation { resetIntegrationCooldown(id: ${ids.integrationId}) { id } }` },
  'Mutation.reprobeIntegration': { needs: 'integrations.write', query: (ids) => `mutation { reprobeIntegration(id: ${ids.integrationId}) { id } }` },
  'Query.gatewayFailures': { needs: 'integrations.read', query: () => '{ gatewayFailures { total } }' },
  'Query.latestEventId': { needs: 'integrations.read', query: () => '{ latestEventId }' },
  'Query.events': { needs: 'integrations.read', query: () => '{ events { lastId } }' },
  'Query.auditLog': { needs: 'audit.read', query: () => '{ auditLog { total } }' },
  'Query.alertWebhooks': { needs: 'alerts.read', query: () => '{ alertWebhooks { id } }' },
  'Query.alertDeliveries': { needs: 'alerts.read', query: () => '{ alertDeliveries { total } }' },
  'Mutation.createAlertWebhook': { needs: 'alerts.write', query: () => `mutation { createAlertWebhook(input: { name: "g${String(Math.random()).slice(2)}", url: "https://example.com/hook" }) { secret } }` },
  'Mutation.updateAlertWebhook': { needs: 'alerts.write', query: () => `mutation { updateAlertWebhook(id: "${NODE}", input: { isActive: false }) { id } }` },
  'Mutation.deleteAlertWebhook': { needs: 'alerts.write', query: () => `mutation { deleteAlertWebhook(id: "${NODE}") { id } }` },
  'Mutation.replayAlertDelivery': { needs: 'alerts.write', query: () => `mutation { replayAlertDelivery(id: "${NODE}") { id } }` },
  'Mutation.testAlertWebhook': { needs: 'alerts.write', query: () => `mutation { testAlertWebhook(id: "${NODE}") { id } }` },
  'Mutation.leaseKey': { needs: 'integrations.lease', query: () => 'mutation { leaseKey(input: { providerName: "groq" }) { leaseId } }' },
  'Mutation.reportKeyUsage': { needs: 'integrations.lease', query: () => 'mutation { reportKeyUsage(input: { leaseId: "kpl_x.y", success: true }) { id } }' },
  'Mutation.createNode': { needs: 'nodes.write', query: () => `mutation { createNode(input: { name: "g${Math.random()}" }) { id } }` },
  'Mutation.updateNode': { needs: 'nodes.write', query: (ids) => `mutation { updateNode(id: "${ids.nodeId}", input: { description: "z" }) { id } }` },
  'Mutation.deleteNode': { needs: 'nodes.write', query: () => `mutation { deleteNode(id: "${NODE}") { id } }` },
  'Mutation.createNodeCredential': { needs: 'nodes.write', query: (ids) => `mutation { createNodeCredential(input: { nodeId: "${ids.nodeId}", name: "g${Math.random()}" }) { secret } }` },
  'Mutation.revokeNodeCredential': { needs: 'nodes.write', query: (ids) => `mutation { revokeNodeCredential(nodeId: "${ids.nodeId}", id: "${NODE}") { id } }` },
  'Mutation.rollNodeCredential': { needs: 'nodes.write', query: (ids) => `mutation { rollNodeCredential(nodeId: "${ids.nodeId}", id: "${NODE}") { secret } }` },
  'Mutation.createBrand': { needs: 'admin', query: () => 'mutation { createBrand(input: { name: "x" }) { id } }' },
  'Mutation.issueClientToken': { needs: 'admin', query: () => `mutation { issueClientToken(input: { brandId: "${NODE}" }) { id } }` },
  'Mutation.revokeClientToken': { needs: 'admin', query: () => `mutation { revokeClientToken(id: "${NODE}") { id } }` },
  'Subscription.integrationHealthChanged': { needs: 'events.subscribe', query: () => 'subscription { integrationHealthChanged { status } }' },
  'Subscription.spendLimitChanged': { needs: 'events.subscribe', query: () => 'subscription { spendLimitChanged { exceeded } }' },
  'Subscription.integrationChanged': { needs: 'events.subscribe', query: () => 'subscription { integrationChanged { kind } }' },
  'Subscription.integrationUsageChanged': { needs: 'events.subscribe', query: () => 'subscription { integrationUsageChanged { minuteCount } }' },
};

let t: TestApp;
let brand: { brandId: string; token: string };
let ids: Ids;
const credentials = new Map<string, string>();

/** A Basic header for a credential holding exactly `permissions` (made once per set). */
async function holding(permissions: string[]): Promise<string> {
  const key = permissions.join(',');
  if (!credentials.has(key)) {
    const res = await t.rest('POST', '/api/v1/integrations', { body: { node_id: ids.nodeId, name: `holds ${key || 'nothing'}`, permissions }, token: brand.token });
    credentials.set(key, `Basic ${Buffer.from(`${res.body.api_key}:${res.body.secret}`).toString('base64')}`);
  }
  return credentials.get(key)!;
}
const allBut = (p: KeypoolPermission) => KEYPOOL_PERMISSIONS.filter((x) => x !== p);

beforeAll(async () => {
  t = await createTestApp();
  brand = await t.createBrand('Table');
  const node = await t.rest('POST', '/api/v1/nodes', { body: { name: 'table' }, token: brand.token });
  const integration = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'mistral', credentials: { api_key: 'mistral-table-0123456789' } }, token: brand.token });
  ids = { nodeId: node.body.node.id, credentialId: '', integrationId: integration.body.integration.id };
});
afterAll(() => t.close());

describe('the permission table', () => {
  it('lists every REST route under /api and every gateway route under /v1', () => {
    const registered = t.app.routes.map((r) => `${r.method} ${r.url}`).sort();
    expect([...new Set(REST.map((r) => r.route))].sort()).toEqual([...new Set(registered)]);
  });

  it('lists every GraphQL root field', async () => {
    const schema = await buildKeypoolSchema();
    const fields = ['Query', 'Mutation', 'Subscription'].flatMap((type) => Object.keys(schema.getType(type) && isObjectType(getNamedType(schema.getType(type)!)) ? (schema.getType(type) as any).getFields() : {}).map((f) => `${type}.${f}`));
    expect(Object.keys(GRAPHQL).sort()).toEqual(fields.sort());
  });
});

describe.each(REST.map((r) => [`${r.route} (${r.needs})`, r] as const))('REST %s', (_name, entry) => {
  it('refuses a credential without the permission and lets one with only it through', async () => {
    if (entry.needs === 'public' || entry.needs === 'admin') return;
    const call = entry.call(ids);
    const refused = await t.rest(call.method, call.path, { body: call.body, headers: { authorization: await holding(allBut(entry.needs)) } });
    const message = `Forbidden: needs ${entry.needs}`;
    const body = (call.path.startsWith('/api/') && !call.path.startsWith('/api/v1/'))
      ? { is_bifrost_error: false, status_code: 403, error: { message }, extra_fields: {} }
      : call.path === '/v1/messages'
        ? { type: 'error', error: { type: 'permission_error', message } }
        : call.path.startsWith('/v1beta/') || call.path.startsWith('/v1/models/')
          ? { error: { code: 403, message, status: 'PERMISSION_DENIED' } }
        : call.path.startsWith('/v1/')
          ? { error: { message, type: 'permission_error', param: null, code: 'insufficient_permissions' } }
          : { success: false, error: message };
    expect(refused, JSON.stringify(refused.body)).toMatchObject({ status: 403, body });
    const allowed = await t.rest(call.method, call.path, { body: entry.call(ids).body, headers: { authorization: await holding([entry.needs]) } });
    expect([401, 403], JSON.stringify(allowed.body)).not.toContain(allowed.status);
  });
});

describe.each(Object.entries(GRAPHQL).filter(([f]) => !f.startsWith('Subscription')))('GraphQL %s', (_field, entry) => {
  const gql = async (authorization: string, query: string) => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query }) });
    return (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it('refuses a credential without the permission and lets one with only it through', async () => {
    if (entry.needs === 'admin') {
      const refused = await gql(await holding(['*']), entry.query(ids));
      expect(refused.errors?.[0]).toMatchObject({ message: 'Forbidden: this field needs the admin token', extensions: { code: 'FORBIDDEN' } });
      return;
    }
    const needs = entry.needs as KeypoolPermission;
    const refused = await gql(await holding(allBut(needs)), entry.query(ids));
    expect(refused.errors?.[0], JSON.stringify(refused)).toMatchObject({ message: `Forbidden: needs ${needs}`, extensions: { code: 'FORBIDDEN' } });
    const allowed = await gql(await holding([needs]), entry.query(ids));
    expect((allowed.errors ?? []).map((e) => e.extensions?.code)).not.toContain('FORBIDDEN');
    expect((allowed.errors ?? []).map((e) => e.extensions?.code)).not.toContain('UNAUTHENTICATED');
  });
});

describe.each(Object.entries(GRAPHQL).filter(([f]) => f.startsWith('Subscription')))('GraphQL %s', (_field, entry) => {
  it('closes the socket with 4403 without events.subscribe, and subscribes with it', async () => {
    const without = await holding(allBut('events.subscribe'));
    const refusedSocket = await openSocketWith(without);
    refusedSocket.subscribe('1', entry.query(ids));
    expect(await refusedSocket.closed).toEqual({ code: 4403, reason: 'Forbidden: needs events.subscribe' });
    const count = (bus: unknown) => (bus as { listenerCount(): number }).listenerCount();
    const listeners = () => count(t.app.services.events) + count(t.app.services.usageChanges);
    const before = listeners();
    const allowedSocket = await openSocketWith(await holding(['events.subscribe']));
    allowedSocket.subscribe('1', entry.query(ids));
    await expect.poll(listeners).toBe(before + 1); // the server holds the subscription
    expect(allowedSocket.messages.filter((m) => m.type === 'error')).toEqual([]);
    allowedSocket.ws.close();
  });
});

describe('a body nested 100,000 levels deep', () => {
  const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  it.each(REST.map((r) => [r.route, r] as const))('is a 400 in the dialect\'s body on %s', async (_route, entry) => {
    const call = entry.call(ids);
    const headers = { authorization: await holding(['*']), 'content-type': 'application/json', 'content-length': String(deep.length) };
    // node:http rather than fetch, which sends no body with a GET.
    const res = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = httpRequest(`${t.url}${call.path}`, { method: call.method, headers }, (answer) => {
        let text = '';
        answer.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: answer.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
      req.end(deep);
    });
    if (call.method === 'GET') {
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500); // a GET's body is not read
      return;
    }
    const message = 'The JSON body nests deeper than 64 levels of objects and arrays';
    const body = (call.path.startsWith('/api/') && !call.path.startsWith('/api/v1/'))
      ? { is_bifrost_error: false, status_code: 400, error: { message }, extra_fields: {} }
      : call.path.startsWith('/v1beta/') || call.path.startsWith('/v1/models/')
        ? { error: { code: 400, message, status: 'INVALID_ARGUMENT' } }
        : call.path.startsWith('/v1/')
          ? { error: { message, type: 'invalid_request_error' } }
          : { success: false, error: message };
    expect(res, JSON.stringify(res.body)).toMatchObject({ status: 400, body });
  });
});

function openSocketWith(authorization: string) {
  return openSocket(t.url, authorization);
}
