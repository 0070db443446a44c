/**
 * The pool's REST twins of leaseKey and reportKeyUsage, in the v1 dialect:
 * POST /api/v1/integrations/lease and POST /api/v1/integrations/usage.
 */
import type { FastifyInstance } from 'fastify';
import { refusalError } from '../../modules/pool/index.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { optionalBoolean, optionalDecimalOrNull, optionalStringOrNull, passThrough, rejectUnknownFields, requireObjectBody } from '../request-fields.js';
import { badRequest } from '../../platform/errors/app-error.js';
import { isoSeconds } from '../../platform/time/dates.js';
import { toV1Integration } from './mapping.js';

const LEASE_FIELDS = ['provider_name', 'model', 'node_id', 'batch', 'estimated_tokens', 'explain'] as const;
const USAGE_FIELDS = [
  'lease_id', 'success', 'status_code', 'error_type', 'latency_ms', 'time_to_first_token_ms', 'cost_usd', 'prompt_tokens', 'completion_tokens', 'retry_after_seconds',
  'response_headers', 'error_body',
] as const;

export function mountLeaseRoutesV1(fastify: FastifyInstance, services: Services): void {
  // The hot path: answers are far below the compression threshold, so no compression hooks run, and a lease or a report changes
  // no audited setting, so neither runs in an audit scope.
  fastify.post('/integrations/lease', { config: { permission: 'integrations.lease', audited: false }, compress: false }, async (request) => {
    const { brandId, principal } = accessOf(request);
    const body = requireObjectBody(request.body);
    rejectUnknownFields(body, LEASE_FIELDS);
    if (body.provider_name === undefined) throw badRequest('provider_name is required');
    if (typeof body.provider_name !== 'string') throw badRequest('provider_name must be a string');
    const outcome = await services.leases.leaseKey(
      brandId,
      {
        providerName: body.provider_name,
        model: optionalStringOrNull(body, 'model'),
        nodeId: optionalStringOrNull(body, 'node_id'),
        batch: optionalBoolean(body, 'batch'),
        estimatedTokens: passThrough<number>(body, 'estimated_tokens'),
        explain: optionalBoolean(body, 'explain'),
      },
      principal.kind === 'node' ? principal.nodeId : null,
    );
    if (outcome.kind !== 'leased') throw refusalError(outcome);
    const { lease } = outcome;
    return {
      success: true,
      lease: {
        lease_id: lease.leaseId,
        integration_id: lease.integrationId,
        provider_name: lease.providerName,
        credentials: lease.credentials,
        base_url: lease.baseUrl,
        expires_at: isoSeconds(lease.expiresAt),
        ...(lease.route && {
          route: lease.route.map((s) => ({
            integration_id: s.integrationId, outcome: s.outcome, reason: s.reason, until: s.until && isoSeconds(s.until), priority: s.priority,
            weight: Number(s.weight), health_status: s.healthStatus, headroom: s.headroom, quota_group: s.quotaGroup,
          })),
        }),
      },
    };
  });

  fastify.post('/integrations/usage', { config: { permission: 'integrations.lease', audited: false }, compress: false }, async (request) => {
    const { brandId } = accessOf(request);
    const body = requireObjectBody(request.body);
    rejectUnknownFields(body, USAGE_FIELDS);
    if (body.success === undefined) throw badRequest('success is required');
    const integration = await services.leases.reportUsage(
      brandId,
      {
        leaseId: passThrough<string>(body, 'lease_id')!,
        success: optionalBoolean(body, 'success')!,
        statusCode: passThrough<number>(body, 'status_code'),
        errorType: optionalStringOrNull(body, 'error_type'),
        latencyMs: passThrough<number>(body, 'latency_ms'),
        timeToFirstTokenMs: passThrough<number>(body, 'time_to_first_token_ms'),
        costUsd: optionalDecimalOrNull(body, 'cost_usd'),
        promptTokens: passThrough<number>(body, 'prompt_tokens'),
        completionTokens: passThrough<number>(body, 'completion_tokens'),
        retryAfterSeconds: passThrough<number>(body, 'retry_after_seconds'),
        responseHeaders: body.response_headers,
        errorBody: body.error_body,
      },
    );
    return { success: true, integration: toV1Integration(integration) };
  });
}
