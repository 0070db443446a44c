/**
 * Integration events on the wire (PostgreSQL NOTIFY, under 8,000 bytes): the
 * event with its integration snapshot when it fits; otherwise without it, and
 * each instance loads the integration once, not once per subscriber.
 */
import type { IntegrationEvent } from './integration.events.js';
import type { IntegrationView } from './integration.view.js';

const VIEW_DATES = ['cooldownUntil', 'probeDueAt', 'lastUsedAt', 'billingSyncedAt', 'billingErrorAt', 'outOfCreditsUntil', 'createdAt', 'updatedAt', 'asOf', 'lastErrorAt'] as const;

type Wire = Omit<IntegrationEvent, 'integration' | 'at'> & { at: string; integration?: IntegrationView; integrationId: number };

export function createIntegrationEventCodec(
  maxBytes: number,
  load: (brandId: string, integrationId: number) => Promise<IntegrationView | null>,
) {
  return {
    encode(event: IntegrationEvent): string {
      const full = JSON.stringify({ ...event, integrationId: event.integration.id });
      if (Buffer.byteLength(full) <= maxBytes) return full;
      const { integration, ...rest } = event;
      if (event.type === 'integration.changed' && event.kind === 'DELETED') {
        // The row is gone, so nothing can be loaded: keep the snapshot, without its long lists.
        return JSON.stringify({ ...rest, integrationId: integration.id, integration: { ...integration, models: null, blacklistedModels: [], keyView: { value: integration.keyView.value, config: null } } });
      }
      return JSON.stringify({ ...rest, integrationId: integration.id });
    },

    async decode(payload: string): Promise<IntegrationEvent | null> {
      const wire = JSON.parse(payload) as Wire;
      const { integrationId, ...rest } = wire;
      const integration = wire.integration ? reviveView(wire.integration) : await load(wire.brandId, integrationId);
      if (!integration) return null;
      return { ...rest, integration, at: new Date(wire.at) } as IntegrationEvent;
    },
  };
}

/** A view that went through JSON, with its dates as Dates again. */
export function reviveView(view: IntegrationView): IntegrationView {
  const revived = { ...view } as Record<string, unknown>;
  for (const key of VIEW_DATES) {
    const value = revived[key];
    if (typeof value === 'string') revived[key] = new Date(value);
  }
  return revived as unknown as IntegrationView;
}
