/** Each live event end to end over a real graphql-ws connection. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IntegrationChangedDocument, IntegrationHealthChangedDocument, SpendLimitChangedDocument,
} from '../support/generated/graphql.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';
import { subscribe, wsClient } from '../support/subscriber.js';

let t: TestApp;
let token: string;
let pool: ReturnType<typeof poolClient>;
const clients: { dispose(): void | Promise<void> }[] = [];
const client = (tok: string | null = token, onClose?: (code: number, reason: string) => void) => {
  const c = wsClient(t.url, tok, onClose);
  clients.push(c);
  return c;
};

/** Subscribes and waits until the server's event bus holds one more listener. */
async function subscribeHeld<T, V extends Record<string, unknown>>(c: ReturnType<typeof client>, doc: TypedDocumentNode<T, V>, variables?: V) {
  const bus = t.app.services.events as unknown as { listenerCount(): number };
  const before = bus.listenerCount();
  return subscribe(c, doc, variables, () => bus.listenerCount() > before);
}

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await t.createBrand('Live'));
  pool = poolClient(t, token);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await t.close();
});

describe('subscriptions', () => {
  it('integrationChanged delivers CREATED, UPDATED and DELETED, never with the credential', async () => {
    const sub = await subscribeHeld(client(), IntegrationChangedDocument, { providerName: 'mistral' });
    const id = await pool.addKey('mistral', { key_label: 'live' });
    await pool.patch(id, { key_label: 'renamed' });
    await t.rest('DELETE', `/api/v1/integrations/${id}`, { token });
    const events = await sub.waitFor(3);
    expect(events.map((e) => [e.integrationChanged.kind, e.integrationChanged.integration.keyLabel])).toEqual([
      ['CREATED', 'live'], ['UPDATED', 'renamed'], ['DELETED', 'renamed'],
    ]);
    expect(events[0].integrationChanged.integration).toMatchObject({ id, providerName: 'mistral' });
    expect(JSON.stringify(events)).not.toContain('mistral-secret');
  });

  it('integrationHealthChanged delivers a transition with previous and new status and the reason', async () => {
    const sub = await subscribeHeld(client(), IntegrationHealthChangedDocument, { providerName: 'groq' });
    const id = await pool.addKey('groq');
    const lease = await pool.leaseOk('groq');
    await pool.report({ leaseId: lease.leaseId, success: false, statusCode: 403 });
    const [event] = await sub.waitFor(1);
    expect(event.integrationHealthChanged).toMatchObject({
      previousStatus: 'HEALTHY', status: 'UNHEALTHY', consecutiveFailures: 1, reason: 'provider rejected the key (HTTP 403)',
      integration: { id, healthStatus: 'UNHEALTHY' },
    });
    expect(JSON.stringify(event)).not.toContain(String(lease.credentials.api_key));
  });

  it('spendLimitChanged fires on a setting change and when the limit is crossed', async () => {
    const sub = await subscribeHeld(client(), SpendLimitChangedDocument, { providerName: 'cerebras' });
    const id = await pool.addKey('cerebras', { spend_limit_amount: 0.5, spend_limit_action: 'block' });
    const lease = await pool.leaseOk('cerebras');
    await pool.report({ leaseId: lease.leaseId, success: true, costUsd: '0.75' });
    const events = await sub.waitFor(2);
    expect(events[0].spendLimitChanged).toMatchObject({ exceeded: false, previousExceeded: false, action: 'BLOCK', amount: '0.5', period: 'MONTHLY', usage: '0', integration: { id } });
    expect(events[1].spendLimitChanged).toMatchObject({ exceeded: true, previousExceeded: false, usage: '0.75', integration: { id, spendLimitExceeded: true } });
  });

  it('applies the integrationId and providerName filters on the server', async () => {
    const watched = await pool.addKey('together');
    const other = await pool.addKey('together');
    const byId = await subscribeHeld(client(), IntegrationChangedDocument, { integrationId: watched });
    const byProvider = await subscribeHeld(client(), IntegrationChangedDocument, { providerName: 'cohere' });
    await pool.patch(other, { key_label: 'not watched' });
    await pool.patch(watched, { key_label: 'watched' });
    // Markers each subscription does match, published last: whatever slipped through would arrive before them.
    await pool.patch(watched, { key_label: 'marker' });
    const cohere = await pool.addKey('cohere');
    expect((await byId.waitFor(2)).map((e) => [e.integrationChanged.integration.id, e.integrationChanged.integration.keyLabel])).toEqual([[watched, 'watched'], [watched, 'marker']]);
    expect((await byProvider.waitFor(1)).map((e) => e.integrationChanged.integration.id)).toEqual([cohere]);
  });

  it('delivers a brand\'s events to that brand only', async () => {
    const stranger = await t.createBrand('Stranger');
    const theirs = await subscribeHeld(client(stranger.token), IntegrationChangedDocument, {});
    const ours = await subscribeHeld(client(), IntegrationChangedDocument, { providerName: 'fireworks' });
    await pool.addKey('fireworks');
    await ours.waitFor(1);
    const marker = await poolClient(t, stranger.token).addKey('fireworks');
    expect((await theirs.waitFor(1)).map((e) => e.integrationChanged.integration.id)).toEqual([marker]);
  });

  it('closes the connection with 4401 without a token and 4403 with a bad one', async () => {
    for (const [tok, code] of [[null, 4401], ['not-a-token', 4403]] as const) {
      const closed = new Promise<[number, string]>((resolve) => {
        const c = client(tok, (closeCode, reason) => resolve([closeCode, reason]));
        c.subscribe({ query: 'subscription { integrationChanged { kind } }' }, { next: () => {}, error: () => {}, complete: () => {} });
      });
      const [closeCode, reason] = await closed;
      expect(closeCode).toBe(code);
      expect(reason).toMatch(code === 4401 ? /^Unauthorized/ : /^Forbidden: token is malformed/);
    }
  });

  it('refuses the admin token on a subscription: events belong to a brand', async () => {
    const sub = await subscribe(client(t.adminToken), IntegrationChangedDocument, {});
    await expect.poll(() => sub.errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(sub.errors)).toContain('needs a brand client token');
  });

  it('cleans up after 1,000 connect/subscribe/disconnect cycles', async () => {
    const bus = t.app.services.events as unknown as { listenerCount(): number };
    const before = bus.listenerCount();
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, async () => {
        const c = wsClient(t.url, token);
        const sub = await subscribe(c, IntegrationChangedDocument, {});
        return { c, sub };
      }));
      await expect.poll(() => bus.listenerCount()).toBe(before + 50); // the server holds all 50 before they go
      for (const { c, sub } of batch) {
        sub.stop();
        await c.dispose();
      }
    }
    await expect.poll(() => bus.listenerCount(), { timeout: 5000 }).toBe(before);
  }, 120_000);
});
