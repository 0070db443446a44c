/** Writes that race each other: exactly one delete wins, and an update never lands on a deleted key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents } from '../support/events.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let brand: { brandId: string; token: string };
let collected: ReturnType<typeof collectEvents>;
let counter = 0;

beforeAll(async () => {
  t = await createTestApp();
  brand = await t.createBrand('Races');
  collected = collectEvents(t);
});
afterAll(() => t.close());

async function addKey(): Promise<number> {
  const res = await t.rest('POST', '/api/v1/integrations', {
    body: { provider_name: 'groq', credentials: { api_key: `gsk_race_${++counter}_0123456789` } },
    token: brand.token,
  });
  return res.body.integration.id;
}

describe('concurrent writes to one key', () => {
  it('lets exactly one of 20 concurrent deletes succeed; the others are 404 and only one DELETED event is published', async () => {
    const id = await addKey();
    const results = await Promise.all(Array.from({ length: 20 }, () => t.rest('DELETE', `/api/v1/integrations/${id}`, { token: brand.token })));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(404)]);
    expect(results.filter((r) => r.status === 404).every((r) => r.body.error === 'Integration not found')).toBe(true);
    const deleted = (await collected.settled(brand.brandId)).filter((e) => e.type === 'integration.changed' && e.kind === 'DELETED' && e.integration.id === id);
    expect(deleted).toHaveLength(1);
  });

  it('never acknowledges an update that a concurrent delete erased: the update lands first or is a 404', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 15; round++) {
      const id = await addKey();
      const label = `round ${round}`;
      const [patch, removed] = await Promise.all([
        t.rest('PATCH', `/api/v1/integrations/${id}`, { body: { key_label: label }, token: brand.token }),
        t.gql<any, any>(`mutation { deleteIntegration(id: ${id}) { keyLabel } }`, {}, brand.token),
      ]);
      expect(removed.errors).toBeUndefined();
      if (patch.status === 200) {
        // The update was acknowledged, so it happened before the delete: the deleted key carried it.
        expect(removed.data.deleteIntegration.keyLabel).toBe(label);
        outcomes.add('update first');
      } else {
        expect(patch).toMatchObject({ status: 404, body: { success: false, error: 'Integration not found' } });
        expect(removed.data.deleteIntegration.keyLabel).toBeNull();
        outcomes.add('delete first');
      }
      expect((await t.rest('GET', `/api/v1/integrations/${id}`, { token: brand.token })).status).toBe(404);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
