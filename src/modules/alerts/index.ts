/**
 * Alerts that reach people: webhooks a brand configures (signed JSON, Slack, Discord), the rules
 * that raise alerts (a key out of the pool, a provider with no key available, capacity running
 * low, a spend limit crossed, billing drift), a durable outbox written with what raised each
 * alert, and a dispatcher that delivers it at least once, off every caller's path. Above keys/
 * and pool/ (it reads their events and capacity). Callers: app.ts, graphql/, rest/.
 */
export { ALERT_RULES, WEBHOOK_FORMATS, alertOfEvent, renderDelivery, type Alert, type AlertRule, type WebhookFormat } from './alert.js';
export { AlertOutbox, DELIVERY_STATUSES, type DeliveryView } from './alert-outbox.js';
export { AlertDispatcher, retryDelayMs, type AlertSettings } from './alert-dispatcher.js';
export { AlertWatch, type CapacityReader } from './alert-watch.js';
export { AlertService } from './alert.service.js';
export { AlertWebhookService, type AlertWebhookSettings, type AlertWebhookView } from './alert-webhook.service.js';
export { AlertResolver } from './alert.resolver.js';
export { signatureHeaders, SECRET_PREFIX } from './webhook-signature.js';
