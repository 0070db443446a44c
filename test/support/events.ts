/** Collects the events an app publishes, and waits until every event of an action has arrived. */
import { expect } from 'vitest';
import type { IntegrationEvent } from '../../src/modules/keys/index.js';
import type { TestApp } from './harness.js';

let markers = 0;

export function collectEvents(t: TestApp) {
  const events: IntegrationEvent[] = [];
  t.app.services.events.subscribe((e) => events.push(e));
  return {
    events,
    /**
     * Events travel through PostgreSQL NOTIFY in commit order: once a marker key created
     * after the action has been announced, every event of the action has arrived too.
     * Returns the events without the marker's.
     */
    async settled(brandId: string): Promise<IntegrationEvent[]> {
      const marker = await t.app.services.integrations.createIntegration(brandId, {
        providerName: 'ai21',
        credentials: { api_key: `event-marker-${process.pid}-${++markers}-0000` },
      });
      await expect.poll(() => events.some((e) => e.type === 'integration.changed' && e.integration.id === marker.id)).toBe(true);
      return events.filter((e) => e.integration.id !== marker.id);
    },
  };
}
