/**
 * GraphQL over WebSocket (graphql-ws protocol) on the same port and path as
 * HTTP. The token travels in connection_init: `{ "authorization": "Bearer …" }`.
 * None: close 4401; a bad one: close 4403.
 *
 * A socket lives no longer than its token: the token is checked again on every
 * subscribe message, a timer closes the socket (4403 "token expired") when the
 * token expires, and a revocation closes it on every instance. Every operation
 * passes the same limits as over HTTP, a socket holds at most
 * `maxSubscriptions` operations, and a frame over `maxPayloadBytes` is refused
 * before it is buffered.
 */
import type { Server } from 'node:http';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GraphQLLimits } from '../config/config.js';
import { isAllowed, type Authentication } from '../modules/nodes/authenticator.js';
import type { Services } from '../services.js';
import type { GraphQLContext } from './context.js';
import { formatGraphQLError } from './errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/errors/database-errors.js';
import { checkOperationInput, limitError, operationLimitRules, parseOptions, tokenLimitMessage } from './operation-limits.js';

export interface GraphQLWebSocket {
  /** Closes every socket with 1001 (going away) and stops accepting new ones. */
  close(): Promise<void>;
  clientCount(): number;
}

export interface WebSocketSettings {
  maxSubscriptions: number;
  maxPayloadBytes: number;
  limits: GraphQLLimits;
}

type SocketState = {
  auth?: Authentication;
  header?: string;
  expiryTimer?: NodeJS.Timeout;
};

/** WebSocket close code 1013: try again later. */
const TRY_AGAIN_LATER = 1013;
/** keypool's close code for a connection_init refused after too many failed secrets (HTTP's 429, in graphql-ws's 4xxx range). */
const TOO_MANY_FAILED_ATTEMPTS = 4429;

/** setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

const rejectionReason = (auth: Authentication) => (auth.kind === 'rejected' ? auth.reason : 'no token');

/** What revokes a socket: its client token's jti, or its node credential. */
function trackingKey(auth: Authentication | undefined): string | null {
  if (auth?.kind !== 'authenticated') return null;
  const p = auth.principal;
  return p.kind === 'brand' ? p.tokenId : p.kind === 'node' ? p.credentialId : null;
}

export function mountGraphQLWebSocket(
  server: Server,
  schema: GraphQLSchema,
  services: Services,
  settings: WebSocketSettings,
  log: (error: unknown) => void,
): GraphQLWebSocket {
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: settings.maxPayloadBytes });
  /** Open sockets by the client token (jti) or node credential they authenticated with. */
  const socketsByToken = new Map<string, Map<WebSocket, SocketState>>();
  const rules = [...specifiedRules, ...operationLimitRules(settings.limits)];

  const forget = (socket: WebSocket, state: SocketState) => {
    clearTimeout(state.expiryTimer);
    const key = trackingKey(state.auth);
    if (key) {
      const sockets = socketsByToken.get(key);
      sockets?.delete(socket);
      if (sockets?.size === 0) socketsByToken.delete(key);
    }
  };
  const close = (socket: WebSocket, auth: Authentication) =>
    auth.kind === 'rejected' && auth.retryAfterSeconds !== undefined
      ? socket.close(TOO_MANY_FAILED_ATTEMPTS, `Too many failed attempts: ${auth.reason}`)
      : socket.close(CloseCode.Forbidden, `Forbidden: ${rejectionReason(auth)}`);
  /** Authentication that may need the database: unreachable, the socket is closed with 1013 (try again later). */
  const authenticate = async (socket: WebSocket, header: string | undefined, clientAddress: string | null = null): Promise<Authentication | null> => {
    try {
      return await services.authenticator.authenticate(header, { clientAddress });
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      socket.close(TRY_AGAIN_LATER, databaseUnavailable().message);
      return null;
    }
  };

  // ws reports a client's protocol faults (a frame over maxPayload, bad UTF-8, …) as 'error' events
  // with a WS_ERR_* code and closes the socket itself (1009, 1007, …); graphql-ws would print each
  // one as an internal error with a stack, so a client could flood the log. Registered before
  // useServer's listener, so it sees every socket first.
  wss.on('connection', (socket) => {
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string | symbol, ...args: unknown[]) =>
      event === 'error' && isClientFault(args[0]) ? true : emit(event, ...args)) as typeof socket.emit;
  });

  /** Checks the socket's authentication again: closes it when it is no longer valid, else re-arms the expiry timer for what it is worth now. */
  const recheck = (socket: WebSocket, state: SocketState) =>
    void authenticate(socket, state.header).then((auth) => {
      if (auth === null) return; // closed: the database is away
      if (auth.kind !== 'authenticated') return close(socket, auth);
      state.auth = auth;
      armExpiry(socket, state, auth);
    }, log);

  /**
   * Closes the socket when its authentication expires (a token's expiry, a credential's, or the end
   * of a rolled secret's grace); re-checks with the clock, since timers only approximate it.
   */
  const armExpiry = (socket: WebSocket, state: SocketState, auth: Extract<Authentication, { kind: 'authenticated' }>) => {
    clearTimeout(state.expiryTimer);
    const principal = auth.principal;
    if (principal.kind === 'admin' || !principal.expiresAt) return;
    const waitMs = Math.max(0, principal.expiresAt.getTime() - services.clock.now().getTime());
    state.expiryTimer = setTimeout(() => recheck(socket, state), Math.min(waitMs + 50, MAX_TIMER_MS));
    state.expiryTimer.unref();
  };

  const stopRevocations = services.revocations.subscribe((revocation) => {
    const sockets = socketsByToken.get(revocation.id) ?? new Map<WebSocket, SocketState>();
    if (revocation.kind === 'node_credential' && revocation.reason === 'rolled') {
      // A rolled secret may still be in its grace period: each socket is checked again, and closes when the grace ends.
      for (const [socket, state] of sockets) recheck(socket, state);
      return;
    }
    const reason = revocation.kind === 'client_token' ? 'token has been revoked' : 'credential has been revoked';
    for (const socket of sockets.keys()) socket.close(CloseCode.Forbidden, `Forbidden: ${reason}`);
  });

  const disposable = useServer<Record<string, unknown> | undefined, SocketState>(
    {
      // An unexpected error closes its socket as "Internal server error", never with its own message: graphql-ws would send the
      // message wherever NODE_ENV is not "production" (as under npm start).
      isProd: true,
      schema,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const header = authorizationOf(ctx.connectionParams);
        if (!header) {
          socket.close(CloseCode.Unauthorized, 'Unauthorized: connection_init must carry {"authorization": "Bearer <token>"} (or "Basic <api_key:secret>")');
          return false;
        }
        const auth = await authenticate(socket, header, ctx.extra.request.socket.remoteAddress ?? null);
        if (!auth) return false;
        if (auth.kind !== 'authenticated') {
          close(socket, auth);
          return false;
        }
        Object.assign(ctx.extra, { auth, header });
        socket.once('close', () => forget(socket, ctx.extra));
        armExpiry(socket, ctx.extra, auth);
        const key = trackingKey(auth);
        if (key) socketsByToken.set(key, (socketsByToken.get(key) ?? new Map()).set(socket, ctx.extra));
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const auth = await authenticate(ctx.extra.socket, ctx.extra.header);
        if (!auth) return [new GraphQLError(databaseUnavailable().message, { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        if (auth.kind !== 'authenticated') {
          close(ctx.extra.socket, auth);
          return [new GraphQLError(`Forbidden: ${rejectionReason(auth)}`, { extensions: { code: 'FORBIDDEN' } })];
        }
        // The operation being subscribed is already counted.
        if (Object.keys(ctx.subscriptions).length > settings.maxSubscriptions) {
          return [limitReached(settings.maxSubscriptions)];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, parseOptions(settings.limits));
        } catch (e) {
          const tooLong = e instanceof GraphQLError ? tokenLimitMessage(e.message, settings.limits) : null;
          if (tooLong) return [limitError(tooLong)];
          return [e instanceof GraphQLError ? e : new GraphQLError('Malformed query')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors;
        // A node credential without events.subscribe may query over the socket, but not subscribe.
        const principal = auth.principal;
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription' && principal.kind === 'node' && !isAllowed(principal, 'events.subscribe')) {
          ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: needs events.subscribe');
          return [new GraphQLError('Forbidden: needs events.subscribe', { extensions: { code: 'FORBIDDEN' } })];
        }
        const variables = payload.variables ?? undefined;
        const refusal = checkOperationInput(schema, document, payload.operationName ?? undefined, variables, settings.limits);
        if (refusal) return [refusal];
        const contextValue: GraphQLContext = { auth, services };
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
      },
      onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) => formatResult(result, log),
    },
    wss,
  );
  return {
    clientCount: () => wss.clients.size,
    close: async () => {
      stopRevocations();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const isClientFault = (error: unknown) => typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('WS_ERR_');

const limitReached = (max: number) =>
  new GraphQLError(`Too many operations on this socket: at most ${max} at once (KEYPOOL_WS_MAX_SUBSCRIPTIONS); complete one or open another socket`, {
    extensions: { code: 'OPERATION_LIMIT_EXCEEDED' },
  });

function formatResult(result: ExecutionResult, log: (error: unknown) => void): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((e) => {
    const formatted = formatGraphQLError(e.toJSON(), e, log);
    return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
  });
  return { ...result, errors };
}
