/** The audit trail over REST, in the v1 dialect (beyond the documents): GET /api/v1/audit-log. */
import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from '../../modules/audit/index.js';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { queryInteger, queryString, queryTime, rejectUnknownFields } from '../request-fields.js';

const PARAMS = ['resource', 'resource_id', 'action', 'actor_kind', 'actor_id', 'since', 'until', 'limit', 'offset'] as const;

export const toV1AuditEntry = (e: AuditEntry) => ({
  id: e.id, at: isoSeconds(e.at), actor_kind: e.actorKind, actor_id: e.actorId, actor_label: e.actorLabel, source_ip: e.sourceIp,
  user_agent: e.userAgent, resource: e.resource, resource_id: e.resourceId, action: e.action, changes: e.changes,
});

export function mountAuditRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.get<{ Querystring: Record<string, unknown> }>('/audit-log', { config: { permission: 'audit.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    const q = request.query;
    rejectUnknownFields(q, PARAMS, 'query parameter');
    const page = await services.audit.list(brandId, {
      resource: queryString(q.resource, 'resource'), resourceId: queryString(q.resource_id, 'resource_id'), action: queryString(q.action, 'action'),
      actorKind: queryString(q.actor_kind, 'actor_kind'), actorId: queryString(q.actor_id, 'actor_id'),
      since: queryTime(q.since, 'since'), until: queryTime(q.until, 'until'),
    }, queryInteger(queryString(q.limit, 'limit'), 'limit') ?? 50, queryInteger(queryString(q.offset, 'offset'), 'offset') ?? 0);
    return { success: true, entries: page.items.map(toV1AuditEntry), total: page.total, limit: page.limit, offset: page.offset };
  });
}
