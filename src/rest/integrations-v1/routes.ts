/**
 * Integrations v1 (docs/api/integrations-*.md): a brand's key pool over
 * REST. Each route authenticates, maps the dialect, and calls one service method.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../platform/errors/app-error.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { positiveIntegerParam, queryBoolean, queryInteger, rejectUnknownFields, requireObjectBody } from '../request-fields.js';
import { parseCreateBody, parseUpdateBody, toV1Integration } from './mapping.js';
import { isNodeCredentialBody, parseNodeCredentialBody, toV1IssuedCredential } from './node-mapping.js';
import { grantorOf } from '../../modules/nodes/index.js';

const LIST_PARAMS = ['provider_name', 'health_status', 'is_active', 'limit', 'offset'] as const;

export function mountIntegrationsV1(fastify: FastifyInstance, services: Services): void {
  // One route, two documented bodies: a provider key ("provider_name") or a node credential ("node_id").
  fastify.post('/integrations', { config: { permission: (request) => (isNodeCredentialBody(request.body) ? 'nodes.write' : 'integrations.write') } }, async (request, reply) => {
    const { brandId, principal } = accessOf(request);
    const body = requireObjectBody(request.body);
    const hasProvider = 'provider_name' in body;
    if (hasProvider === 'node_id' in body) {
      throw badRequest(
        'Body must be one of two shapes: a provider key {"provider_name", "credentials", ...} or a node credential {"node_id", "name", ...}',
      );
    }
    reply.code(201);
    if (!hasProvider) {
      const issued = await services.nodeCredentials.createCredential(brandId, grantorOf(principal), parseNodeCredentialBody(body));
      return toV1IssuedCredential(issued);
    }
    const integration = await services.integrations.createIntegration(brandId, parseCreateBody(body));
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.get<{ Querystring: Record<string, string> }>('/integrations', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    const q = request.query;
    rejectUnknownFields(q, LIST_PARAMS, 'query parameter');
    const page = await services.integrations.listIntegrations(
      brandId,
      { providerName: q.provider_name, healthStatus: q.health_status, isActive: queryBoolean(q.is_active, 'is_active') },
      queryInteger(q.limit, 'limit'),
      queryInteger(q.offset, 'offset'),
    );
    return { success: true, integrations: page.items.map(toV1Integration), total: page.total, limit: page.limit, offset: page.offset };
  });

  fastify.get<{ Params: { id: string } }>('/integrations/:id', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    const integration = await services.integrations.getIntegration(brandId, positiveIntegerParam(request.params.id, 'id'));
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.patch<{ Params: { id: string } }>('/integrations/:id', { config: { permission: 'integrations.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    const id = positiveIntegerParam(request.params.id, 'id');
    const patch = parseUpdateBody(requireObjectBody(request.body));
    const integration = await services.integrations.updateIntegration(brandId, id, patch);
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.delete<{ Params: { id: string } }>('/integrations/:id', { config: { permission: 'integrations.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    await services.integrations.deleteIntegration(brandId, positiveIntegerParam(request.params.id, 'id'));
    return { success: true };
  });

  // An operator's hand on a key's recovery (beyond the documents): end its cooldown, or probe it with the next lease.
  for (const [path, action] of [['reset-cooldown', 'cooldown_reset'], ['reprobe', 'reprobe_requested']] as const) {
    fastify.post<{ Params: { id: string } }>(`/integrations/:id/${path}`, { config: { permission: 'integrations.write' } }, async (request) => {
      const { brandId } = accessOf(request);
      const integration = await services.integrations.recover(brandId, positiveIntegerParam(request.params.id, 'id'), action);
      return { success: true, integration: toV1Integration(integration) };
    });
  }
}
