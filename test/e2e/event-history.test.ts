/**
 * The event history: `events(since:, types:)` pages through a brand's events in order, and a
 * subscription given `since` (the last event id it saw) first receives what it missed, then the
 * live events, each once, whichever instance the events happened on.
 */
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { startTwoInstances, type TwoInstances } from '../support/harness.js';
import { subscribe, wsClient } from '../support/subscriber.js';

let two: TwoInstances;
const CHANGED = parse('subscription ($since: ID) { integrationChanged(since: $since) { id kind integration { id keyLabel } } }') as TypedDocumentNode<any, { since?: string }>;

beforeAll(async () => {
  two = await startTwoInstances('History', new ManualClock(new Date('2026-12-05T10:00:00Z')));
});
afterAll(() => two.close());

const addKey = async (app: typeof two.a, label: string) => {
  const res = await app.rest('POST', '/api/v1/integrations', { token: two.token, body: { provider_name: 'groq', key_label: label, credentials: { api_key: `gsk_history_${label}_0123456789` } } });
  expect(res.status).toBe(201);
  return res.body.integration.id as number;
};
const gql = async (query: string) => {
  const res = await two.a.gql<any, Record<string, never>>(query, {}, two.token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
};

describe('the event history', () => {
  it('pages through the brand\'s events in order with since, and filters them by type', async () => {
    const id = await addKey(two.a, 'paged-1');
    await addKey(two.b, 'paged-2');
    await two.a.rest('PATCH', `/api/v1/integrations/${id}`, { token: two.token, body: { key_label: 'paged-1b', spend_limit_amount: 5 } });
    const seen: any[] = [];
    let since: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: any = await gql(`{ events(limit: 2${since ? `, since: "${since}"` : ''}) { lastId hasMore items { id type integrationId details } } }`);
      seen.push(...data.events.items);
      since = data.events.lastId;
      if (!data.events.hasMore) break;
    }
    expect(seen.map((e) => e.type)).toEqual(['CHANGED', 'CHANGED', 'CHANGED', 'SPEND_LIMIT_CHANGED']);
    expect(seen.map((e) => Number(e.id))).toEqual([...seen.map((e) => Number(e.id))].sort((x, y) => x - y));
    expect(seen[2].details).toMatchObject({ kind: 'UPDATED', keyLabel: 'paged-1b', providerName: 'groq' });
    const spend = await gql('{ events(types: [SPEND_LIMIT_CHANGED]) { items { type integrationId } } }');
    expect(spend.events.items).toEqual([{ type: 'SPEND_LIMIT_CHANGED', integrationId: id }]);
    const after = await gql(`{ events(since: "${since}") { items { id } lastId hasMore } }`);
    expect(after.events).toEqual({ items: [], lastId: since, hasMore: false });
  });

  it('refuses a since that is no event id and a limit out of range', async () => {
    const res = await two.a.gql<any, Record<string, never>>('{ events(since: "abc") { lastId } }', {}, two.token);
    expect(res.errors?.[0]).toMatchObject({ message: 'since must be an event id (a positive whole number, as a string)', extensions: { code: 'BAD_USER_INPUT' } });
    const big = await two.a.gql<any, Record<string, never>>('{ events(limit: 5000) { lastId } }', {}, two.token);
    expect(big.errors?.[0].message).toBe('limit must be a whole number from 1 to 1000');
  });

  it('resumes a subscription from the last id it saw: what was missed first, in order, then live events, none twice', async () => {
    const bus = two.a.app.services.events as unknown as { listenerCount(): number };
    const client = wsClient(two.a.url, two.token);
    const first = await subscribe(client, CHANGED, {}, () => bus.listenerCount() > 0);
    await addKey(two.a, 'before-disconnect');
    const [seen] = await first.waitFor(1);
    expect(seen.integrationChanged).toMatchObject({ kind: 'CREATED', integration: { keyLabel: 'before-disconnect' } });
    first.stop();
    // While the dashboard is away, changes happen on both instances, and one key is deleted.
    const gone = await addKey(two.b, 'while-away-1');
    await addKey(two.a, 'while-away-2');
    await two.b.rest('DELETE', `/api/v1/integrations/${gone}`, { token: two.token });
    const resumed = await subscribe(client, CHANGED, { since: seen.integrationChanged.id }, () => bus.listenerCount() > 0);
    await resumed.waitFor(3);
    await addKey(two.b, 'after-reconnect');
    const all = await resumed.waitFor(4);
    expect(all.map((e) => [e.integrationChanged.kind, e.integrationChanged.integration.keyLabel])).toEqual([
      ['CREATED', 'while-away-1'], ['CREATED', 'while-away-2'], ['DELETED', 'while-away-1'], ['CREATED', 'after-reconnect'],
    ]);
    const ids = all.map((e) => Number(e.integrationChanged.id));
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => id > Number(seen.integrationChanged.id))).toBe(true);
    resumed.stop();
    await client.dispose();
  });
});
