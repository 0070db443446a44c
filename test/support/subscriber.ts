/** A real graphql-ws client: subscribe, collect what arrives, wait for a count. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  received: T[];
  errors: unknown[];
  /** Resolves once `count` payloads have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export function wsClient(url: string, token: string | null, onClose?: (code: number, reason: string) => void): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => onClose?.((event as { code: number }).code, String((event as { reason: string }).reason)) },
  });
}

/**
 * Subscribes and resolves once connected; with `registered` (e.g. the in-process bus's listener
 * count went up), once the server says it holds the subscription. Never a fixed pause.
 */
export async function subscribe<T, V extends Record<string, unknown>>(
  client: Client,
  doc: TypedDocumentNode<T, V>,
  variables?: V,
  registered?: () => boolean,
): Promise<Subscription<T>> {
  const received: T[] = [];
  const errors: unknown[] = [];
  const waiters: (() => void)[] = [];
  let connected: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const off = client.on('connected', () => connected());
  const stop = client.subscribe<T>(
    { query: print(doc), variables },
    {
      next: (value) => {
        if (value.data) received.push(value.data as T);
        if (value.errors) errors.push(...value.errors);
        waiters.forEach((w) => w());
      },
      error: (e) => {
        errors.push(e);
        waiters.forEach((w) => w());
      },
      complete: () => {},
    },
  );
  await ready;
  off();
  if (registered) {
    const deadline = Date.now() + 10_000;
    while (!registered() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
  return {
    received,
    errors,
    stop,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) resolve(received);
        };
        waiters.push(check);
        check();
        setTimeout(() => reject(new Error(`expected ${count} events, got ${received.length}: ${JSON.stringify(received)} ${JSON.stringify(errors)}`)), timeoutMs);
      });
    },
  };
}
