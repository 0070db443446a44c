/** The gateway calls keypool could not serve, with their routes, in the v1 dialect (beyond the documents): GET /api/v1/gateway-failures. */
import type { FastifyInstance } from 'fastify';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { queryInteger, queryString, rejectUnknownFields } from '../request-fields.js';

export function mountGatewayFailureRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.get<{ Querystring: Record<string, unknown> }>('/gateway-failures', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    const q = request.query;
    rejectUnknownFields(q, ['limit', 'offset'], 'query parameter');
    const page = await services.gatewayFailures.list(brandId, queryInteger(queryString(q.limit, 'limit'), 'limit') ?? 50, queryInteger(queryString(q.offset, 'offset'), 'offset') ?? 0);
    return {
      success: true,
      failures: page.items.map((f) => ({
        id: f.id, at: isoSeconds(f.at), endpoint: f.endpoint, provider_name: f.providerName, model: f.model, outcome: f.outcome, status: f.status, attempts: f.attempts, route: f.route,
      })),
      total: page.total, limit: page.limit, offset: page.offset,
    };
  });
}
