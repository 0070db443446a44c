/**
 * How the dashboard talks to keypool: GraphQL over HTTP for reads and actions,
 * graphql-ws for live updates (reconnecting with backoff), and the REST token
 * exchange for node credentials. The session lives in sessionStorage only.
 */
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql';

export interface Session {
  token: string;
  /** What signed in, for the header ("brand token", "node credential kpn_…"). */
  label: string;
}

const SESSION_KEY = 'keypool.dashboard.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

export class ApiError extends Error {
  constructor(message: string, readonly code: string | null = null) {
    super(message);
  }
}

export const isAuthError = (e: unknown) => e instanceof ApiError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN');

export async function gql<R, V>(session: Session, doc: TypedDocumentString<R, V>, variables?: V): Promise<R> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ query: doc.toString(), variables }),
    });
  } catch {
    throw new ApiError('keypool cannot be reached (network error)');
  }
  let body: { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`keypool answered HTTP ${res.status} without a GraphQL body`);
  }
  if (body.errors?.length) throw new ApiError(body.errors[0].message, body.errors[0].extensions?.code ?? null);
  return body.data as R;
}

/** A node credential for a short-lived token (POST /api/v1/auth/token). */
export async function exchangeCredential(apiKey: string, secret: string): Promise<Session> {
  const res = await fetch('/api/v1/auth/token', { method: 'POST', headers: { authorization: `Basic ${btoa(`${apiKey}:${secret}`)}` } });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new ApiError(body.error ?? `keypool answered HTTP ${res.status}`, 'UNAUTHENTICATED');
  return { token: body.token, label: `node credential ${apiKey.slice(0, 8)}…` };
}

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/** Close codes keypool uses for a missing or refused token: retrying cannot help. */
const REFUSED = new Set([4401, 4403]);

export interface LiveHandlers {
  onState(state: ConnectionState, detail?: string): void;
  /** Every (re)connection: fetch what may have been missed. */
  onConnected(): void;
}

/** The subscriptions' socket: reconnects with exponential backoff (1 s doubling to 30 s, with jitter) unless the token is refused. */
export function openLive(session: Session, handlers: LiveHandlers): Client {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  let connectedOnce = false;
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${session.token}` },
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: async (retries) => {
      const ms = Math.min(30_000, 1000 * 2 ** retries) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && REFUSED.has((event as CloseEvent).code)),
    on: {
      connecting: () => handlers.onState(connectedOnce ? 'reconnecting' : 'connecting'),
      connected: () => {
        connectedOnce = true;
        handlers.onState('live');
        handlers.onConnected();
      },
      closed: (event) => {
        const close = event as CloseEvent;
        if (close && REFUSED.has(close.code)) handlers.onState('refused', close.reason || 'the token was refused');
        else handlers.onState('reconnecting');
      },
    },
  });
}

export function subscribe<R, V>(client: Client, doc: TypedDocumentString<R, V>, next: (data: R) => void): () => void {
  return client.subscribe<R>({ query: doc.toString() }, {
    next: (result) => result.data && next(result.data as R),
    error: () => {},
    complete: () => {},
  });
}
