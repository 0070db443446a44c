/**
 * Spend in the v1 dialect: an on-demand billing sync of one key
 * (POST /api/v1/integrations/{id}/sync) and the daily usage ledger
 * (GET /api/v1/usage).
 */
import type { FastifyInstance } from 'fastify';
import { USAGE_GROUPS, type UsageGroup, type UsageRow } from '../../modules/spend/index.js';
import { badRequest } from '../../platform/errors/app-error.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { positiveIntegerParam, queryInteger, rejectUnknownFields } from '../request-fields.js';
import { toV1Integration } from './mapping.js';

const USAGE_PARAMS = ['from', 'to', 'group_by', 'provider_name', 'integration_id', 'node_id', 'model'] as const;

const toV1UsageRow = (r: UsageRow) => ({
  day: r.day, integration_id: r.integrationId, provider_name: r.providerName, model: r.model, node_id: r.nodeId,
  requests: r.requests, successes: r.successes, failures: r.failures, rate_limited: r.rateLimited, server_errors: r.serverErrors,
  auth_errors: r.authErrors, client_errors: r.clientErrors, timeouts: r.timeouts, network_errors: r.networkErrors,
  prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, cost_usd: Number(r.costUsd), latency_ms_avg: r.latencyMsAvg, latency_ms_max: r.latencyMsMax,
  time_to_first_token_ms_avg: r.timeToFirstTokenMsAvg, time_to_first_token_ms_max: r.timeToFirstTokenMsMax,
});

export function mountBillingRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.post<{ Params: { id: string } }>('/integrations/:id/sync', { config: { permission: 'integrations.write' } }, async (request) => {
    const integration = await services.billing.syncNow(accessOf(request).brandId, positiveIntegerParam(request.params.id, 'id'));
    return { success: true, integration: toV1Integration(integration) };
  });

  fastify.get<{ Querystring: Record<string, string> }>('/usage', { config: { permission: 'integrations.read' } }, async (request) => {
    const q = request.query;
    rejectUnknownFields(q, USAGE_PARAMS, 'query parameter');
    const groupBy = q.group_by === undefined ? undefined : q.group_by.split(',').map((g) => g.trim());
    if (groupBy?.some((g) => !USAGE_GROUPS.includes(g as UsageGroup))) throw badRequest(`group_by must be a comma-separated list of ${USAGE_GROUPS.join(', ')}`);
    const report = await services.usage.usage(
      accessOf(request).brandId,
      {
        from: q.from, to: q.to, groupBy: groupBy as UsageGroup[] | undefined, providerName: q.provider_name,
        integrationId: queryInteger(q.integration_id, 'integration_id'), nodeId: q.node_id, model: q.model,
      },
    );
    return { success: true, from: report.from, to: report.to, group_by: report.groupBy, usage: report.rows.map(toV1UsageRow) };
  });
}
