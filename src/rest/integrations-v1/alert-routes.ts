/**
 * Alert webhooks and their deliveries over REST, in the v1 dialect (beyond the documents):
 * /api/v1/alert-webhooks (list, create; get, patch, delete by id; POST …/:id/test) and
 * /api/v1/alert-deliveries (list; POST …/:id/replay).
 */
import type { FastifyInstance } from 'fastify';
import type { AlertWebhookSettings, AlertWebhookView, DeliveryView } from '../../modules/alerts/index.js';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { passThrough, queryInteger, queryString, rejectUnknownFields, requireObjectBody, type JsonObject } from '../request-fields.js';

const SETTINGS = ['name', 'url', 'format', 'rules', 'provider_names', 'capacity_threshold_percent', 'billing_drift_usd', 'is_active'] as const;

export const toV1Webhook = (w: AlertWebhookView) => ({
  id: w.id, name: w.name, url_preview: w.urlPreview, format: w.format, rules: w.rules, provider_names: w.providerNames,
  capacity_threshold_percent: w.capacityThresholdPercent, billing_drift_usd: w.billingDriftUsd, is_active: w.isActive,
  created_at: isoSeconds(w.createdAt), updated_at: isoSeconds(w.updatedAt),
});

export const toV1Delivery = (d: DeliveryView) => ({
  id: d.id, webhook_id: d.webhookId, rule: d.rule, alert: d.alert, status: d.status, attempts: d.attempts,
  next_attempt_at: d.nextAttemptAt && isoSeconds(d.nextAttemptAt), last_status: d.lastStatus, last_error: d.lastError,
  created_at: isoSeconds(d.createdAt), delivered_at: d.deliveredAt && isoSeconds(d.deliveredAt),
});

function settingsFrom(body: JsonObject): AlertWebhookSettings {
  rejectUnknownFields(body, SETTINGS);
  const drift = body.billing_drift_usd;
  return {
    name: passThrough(body, 'name'), url: passThrough(body, 'url'), format: passThrough(body, 'format'), rules: passThrough(body, 'rules'),
    providerNames: passThrough(body, 'provider_names'), capacityThresholdPercent: passThrough(body, 'capacity_threshold_percent'),
    // A number is taken as the decimal it spells.
    billingDriftUsd: typeof drift === 'number' && Number.isFinite(drift) ? String(drift) : (drift as string | undefined), isActive: passThrough(body, 'is_active'),
  };
}

export function mountAlertRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.get('/alert-webhooks', { config: { permission: 'alerts.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, webhooks: (await services.alertWebhooks.list(brandId)).map(toV1Webhook) };
  });

  fastify.post('/alert-webhooks', { config: { permission: 'alerts.write' } }, async (request, reply) => {
    const { brandId } = accessOf(request);
    const created = await services.alertWebhooks.create(brandId, settingsFrom(requireObjectBody(request.body)));
    reply.code(201);
    return { success: true, webhook: toV1Webhook(created.webhook), secret: created.secret };
  });

  fastify.get<{ Params: { id: string } }>('/alert-webhooks/:id', { config: { permission: 'alerts.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, webhook: toV1Webhook(await services.alertWebhooks.get(brandId, request.params.id)) };
  });

  fastify.patch<{ Params: { id: string } }>('/alert-webhooks/:id', { config: { permission: 'alerts.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    const webhook = await services.alertWebhooks.update(brandId, request.params.id, settingsFrom(requireObjectBody(request.body)));
    return { success: true, webhook: toV1Webhook(webhook) };
  });

  fastify.delete<{ Params: { id: string } }>('/alert-webhooks/:id', { config: { permission: 'alerts.write' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, webhook: toV1Webhook(await services.alertWebhooks.delete(brandId, request.params.id)) };
  });

  fastify.post<{ Params: { id: string } }>('/alert-webhooks/:id/test', { config: { permission: 'alerts.write' } }, async (request, reply) => {
    const { brandId } = accessOf(request);
    reply.code(202);
    return { success: true, delivery: toV1Delivery(await services.alerts.test(brandId, request.params.id)) };
  });

  fastify.get<{ Querystring: Record<string, unknown> }>('/alert-deliveries', { config: { permission: 'alerts.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    const q = request.query;
    rejectUnknownFields(q, ['webhook_id', 'status', 'limit', 'offset'], 'query parameter');
    const page = await services.alerts.deliveries(
      brandId, { webhookId: queryString(q.webhook_id, 'webhook_id'), status: queryString(q.status, 'status') },
      queryInteger(queryString(q.limit, 'limit'), 'limit') ?? 50, queryInteger(queryString(q.offset, 'offset'), 'offset') ?? 0,
    );
    return { success: true, deliveries: page.items.map(toV1Delivery), total: page.total, limit: page.limit, offset: page.offset };
  });

  fastify.post<{ Params: { id: string } }>('/alert-deliveries/:id/replay', { config: { permission: 'alerts.write' } }, async (request, reply) => {
    const { brandId } = accessOf(request);
    reply.code(202);
    return { success: true, delivery: toV1Delivery(await services.alerts.replay(brandId, request.params.id)) };
  });
}
