/**
 * Integrations v1 (docs/api/integrations-*.md): a brand's key pool over
 * REST. Each route authenticates, maps the dialect, and calls one service method.
 */
import type { FastifyInstance } from 'fastify';
import { snakeNames } from '../../modules/integrations/index.js';
import { badRequest } from '../../platform/errors/app-error.js';
import type { Services } from '../../services.js';
import { requireBrandId } from '../auth.js';
import { positiveIntegerParam, queryBoolean, queryInteger, rejectUnknownFields, requireObjectBody } from '../request-fields.js';
import { parseCreateBody, parseUpdateBody, toV1Integration } from './mapping.js';

const LIST_PARAMS = ['provider_name', 'health_status', 'is_active', 'limit', 'offset'] as const;

export function mountIntegrationsV1(fastify: FastifyInstance, services: Services): void {
  fastify.post('/api/v1/integrations', async (request, reply) => {
    const brandId = await requireBrandId(request, services);
    const body = requireObjectBody(request.body);
    const hasProvider = 'provider_name' in body;
    if (hasProvider === 'node_id' in body) {
      throw badRequest(
        'Body must be one of two shapes: a provider key {"provider_name", "credentials", ...} or a node credential {"node_id", "name", ...}',
      );
    }
    if (!hasProvider) throw badRequest('Node credentials ({"node_id", ...}) are not available on this server yet');
    const integration = await services.integrations.createIntegration(brandId, parseCreateBody(body), snakeNames);
    reply.code(201);
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.get<{ Querystring: Record<string, string> }>('/api/v1/integrations', async (request) => {
    const brandId = await requireBrandId(request, services);
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

  fastify.get<{ Params: { id: string } }>('/api/v1/integrations/:id', async (request) => {
    const brandId = await requireBrandId(request, services);
    const integration = await services.integrations.getIntegration(brandId, positiveIntegerParam(request.params.id, 'id'));
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.patch<{ Params: { id: string } }>('/api/v1/integrations/:id', async (request) => {
    const brandId = await requireBrandId(request, services);
    const id = positiveIntegerParam(request.params.id, 'id');
    const patch = parseUpdateBody(requireObjectBody(request.body));
    const integration = await services.integrations.updateIntegration(brandId, id, patch, snakeNames);
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.delete<{ Params: { id: string } }>('/api/v1/integrations/:id', async (request) => {
    const brandId = await requireBrandId(request, services);
    await services.integrations.deleteIntegration(brandId, positiveIntegerParam(request.params.id, 'id'));
    return { success: true };
  });
}
