/** A graphql-ws connection spoken by hand, to see close codes, error frames and limits as a client does. */
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  messages: { id?: string; type: string; payload?: any }[];
  closed: Promise<{ code: number; reason: string }>;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  /** Resolves with the first message that matches (rejects after `timeoutMs`). */
  next(match: (m: { id?: string; type: string; payload?: any }) => boolean, timeoutMs?: number): Promise<{ id?: string; type: string; payload?: any }>;
}

/** Opens /graphql, sends connection_init with the token (or a whole "Basic …" header) and resolves on connection_ack (or on close). */
export function openSocket(url: string, token: string): Promise<RawSocket> {
  const authorization = /^(Basic|Bearer) /.test(token) ? token : `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: RawSocket['messages'] = [];
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
    const socket: RawSocket = {
      ws,
      messages,
      closed,
      subscribe: (id, query, variables) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
      next: (match, timeoutMs = 5000) =>
        new Promise((resolveMessage, rejectMessage) => {
          const check = () => {
            const found = messages.find(match);
            if (found) {
              waiters.delete(check);
              resolveMessage(found);
            }
          };
          waiters.add(check);
          check();
          setTimeout(() => rejectMessage(new Error(`no matching message in ${timeoutMs} ms: ${JSON.stringify(messages)}`)), timeoutMs);
        }),
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization } })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      messages.push(message);
      waiters.forEach((w) => w());
      if (message.type === 'connection_ack') resolve(socket);
    });
    void closed.then(() => resolve(socket));
    ws.on('error', reject);
  });
}
