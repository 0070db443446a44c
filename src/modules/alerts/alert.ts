/**
 * What an alert is and says, and the rules that raise one, as values: pure. An event-driven rule
 * (a key turned unhealthy, a spend limit was crossed) is read off the event; a timed rule
 * (capacity, a provider with no key available, billing drift) is judged by alert-watch.ts.
 */
import type { IntegrationEvent } from '../keys/index.js';

export const ALERT_RULES = ['key_unavailable', 'provider_unavailable', 'capacity_low', 'spend_limit', 'billing_drift'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];
/** Judged on a timer (key_unavailable too, for a key parked: out of credits, or resting past PARKED_AFTER_MS). */
export const TIMED_RULES: readonly AlertRule[] = ['key_unavailable', 'provider_unavailable', 'capacity_low', 'billing_drift'];

/** A rest longer than this is a parked key (a spent daily quota, a long Retry-After), not a passing 429. */
export const PARKED_AFTER_MS = 10 * 60_000;

export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** One alert, as every webhook of the brand that wants its rule receives it. Never a credential. */
export interface Alert {
  rule: AlertRule;
  /** firing: the condition began; resolved: it ended. */
  state: 'firing' | 'resolved';
  providerName: string | null;
  integrationId: number | null;
  keyLabel: string | null;
  /** One line for people (Slack, Discord). */
  title: string;
  details: Record<string, unknown>;
  at: string;
}

const keyName = (e: { integration: { providerName: string; keyLabel: string | null; id: number } }) =>
  `${e.integration.providerName} key ${e.integration.keyLabel ? `"${e.integration.keyLabel}"` : `#${e.integration.id}`}`;

/** The alert an event raises, or null. */
export function alertOfEvent(event: IntegrationEvent): Alert | null {
  const base = { providerName: event.integration.providerName, integrationId: event.integration.id, keyLabel: event.integration.keyLabel, at: event.at.toISOString() };
  if (event.type === 'integration.health_changed') {
    const details = { status: event.status, previousStatus: event.previousStatus, reason: event.reason, lastError: event.integration.lastError, consecutiveFailures: event.consecutiveFailures };
    if (event.status === 'unhealthy' && event.previousStatus !== 'unhealthy') {
      return { ...base, rule: 'key_unavailable', state: 'firing', title: `${keyName(event)} is out of the pool: ${event.reason}`, details };
    }
    if (event.previousStatus === 'unhealthy' && event.status !== 'unhealthy') {
      return { ...base, rule: 'key_unavailable', state: 'resolved', title: `${keyName(event)} is back in the pool (${event.status})`, details };
    }
    return null;
  }
  if (event.type === 'integration.spend_limit_changed' && event.exceeded !== event.previousExceeded) {
    const verb = event.action === 'block' ? 'blocked' : 'warned';
    const details = { action: event.action, amount: event.amount, usage: event.usage, period: event.period, outcome: verb };
    return event.exceeded
      ? { ...base, rule: 'spend_limit', state: 'firing', title: `${keyName(event)} spent ${event.usage} USD of its ${event.period} limit of ${event.amount} USD (${verb})`, details }
      : { ...base, rule: 'spend_limit', state: 'resolved', title: `${keyName(event)} is under its ${event.period} spend limit again`, details };
  }
  return null;
}

/** The body a webhook of `format` receives for one delivery. */
export function renderDelivery(format: WebhookFormat, deliveryId: string, alert: Alert): string {
  const line = `${alert.state === 'firing' ? '[keypool alert]' : '[keypool resolved]'} ${alert.title}`;
  switch (format) {
    case 'slack': return JSON.stringify({ text: line });
    case 'discord': return JSON.stringify({ content: line.slice(0, 2000), allowed_mentions: { parse: [] } });
    case 'json': return JSON.stringify({
      id: deliveryId, type: `alert.${alert.rule}`, state: alert.state, title: alert.title, provider_name: alert.providerName,
      integration_id: alert.integrationId, key_label: alert.keyLabel, details: alert.details, at: alert.at,
    });
  }
}
