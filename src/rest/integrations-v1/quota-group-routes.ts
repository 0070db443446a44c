/**
 * Quota groups over REST, in the v1 dialect (beyond the documents): GET and POST
 * /api/v1/quota-groups, GET, PATCH and DELETE /api/v1/quota-groups/:name.
 */
import type { FastifyInstance } from 'fastify';
import type { QuotaGroupSettings, QuotaGroupView } from '../../modules/keys/index.js';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { passThrough, rejectUnknownFields, requireObjectBody, type JsonObject } from '../request-fields.js';
import { badRequest } from '../../platform/errors/app-error.js';

const SETTINGS = ['minute_limit', 'daily_limit', 'token_minute_limit', 'token_daily_limit', 'daily_reset_zone'] as const;

export function toV1QuotaGroup(g: QuotaGroupView) {
  return {
    name: g.name,
    minute_limit: g.minuteLimit,
    daily_limit: g.dailyLimit,
    token_minute_limit: g.tokenMinuteLimit,
    token_daily_limit: g.tokenDailyLimit,
    daily_reset_zone: g.dailyResetZone,
    minute_count: g.minuteCount,
    daily_count: g.dailyCount,
    token_minute_count: g.tokenMinuteCount,
    token_daily_count: g.tokenDailyCount,
    integration_ids: g.integrationIds,
    created_at: isoSeconds(g.createdAt),
    updated_at: isoSeconds(g.updatedAt),
  };
}

function settingsFrom(body: JsonObject): QuotaGroupSettings {
  if (body.daily_reset_zone === null) throw badRequest('daily_reset_zone must not be null');
  return {
    minuteLimit: passThrough<number | null>(body, 'minute_limit'),
    dailyLimit: passThrough<number | null>(body, 'daily_limit'),
    tokenMinuteLimit: passThrough<number | null>(body, 'token_minute_limit'),
    tokenDailyLimit: passThrough<number | null>(body, 'token_daily_limit'),
    dailyResetZone: passThrough<string>(body, 'daily_reset_zone'),
  };
}

export function mountQuotaGroupRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.get('/quota-groups', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, quota_groups: (await services.quotaGroups.list(brandId)).map(toV1QuotaGroup) };
  });

  fastify.post('/quota-groups', { config: { permission: 'integrations.write' } }, async (request, reply) => {
    const { brandId } = accessOf(request);
    const body = requireObjectBody(request.body);
    rejectUnknownFields(body, ['name', ...SETTINGS]);
    const group = await services.quotaGroups.create(brandId, { name: passThrough<string>(body, 'name')!, ...settingsFrom(body) });
    reply.code(201);
    return { success: true, quota_group: toV1QuotaGroup(group) };
  });

  fastify.get<{ Params: { name: string } }>('/quota-groups/:name', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, quota_group: toV1QuotaGroup(await services.quotaGroups.get(brandId, request.params.name)) };
  });

  fastify.patch<{ Params: { name: string } }>('/quota-groups/:name', { config: { permission: 'integrations.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    const body = requireObjectBody(request.body);
    if ('name' in body) throw badRequest('name cannot be updated: create a new group and move the keys to it');
    rejectUnknownFields(body, SETTINGS);
    return { success: true, quota_group: toV1QuotaGroup(await services.quotaGroups.update(brandId, request.params.name, settingsFrom(body))) };
  });

  fastify.delete<{ Params: { name: string } }>('/quota-groups/:name', { config: { permission: 'integrations.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, quota_group: toV1QuotaGroup(await services.quotaGroups.delete(brandId, request.params.name)) };
  });
}
