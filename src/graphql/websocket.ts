/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the same port
 * and path as HTTP. The token travels in connection_init:
 * `{ "authorization": "Bearer …" }`. None: close 4401; a bad one: close 4403.
 */
import type { Server } from 'node:http';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Authentication } from '../modules/brands/authenticator.js';
import type { Services } from '../services.js';
import type { GraphQLContext } from './context.js';
import { formatGraphQLError } from './errors.js';

export interface GraphQLWebSocket {
  /** Closes every socket with 1001 (going away) and stops accepting new ones. */
  close(): Promise<void>;
  clientCount(): number;
}

function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

export function mountGraphQLWebSocket(
  server: Server,
  schema: GraphQLSchema,
  services: Services,
  log: (error: unknown) => void,
): GraphQLWebSocket {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const disposable = useServer<Record<string, unknown> | undefined, { auth?: Authentication }>(
    {
      schema,
      context: (ctx): GraphQLContext => ({ auth: ctx.extra.auth ?? { kind: 'anonymous' }, services }),
      onConnect: async (ctx) => {
        const header = authorizationOf(ctx.connectionParams);
        if (!header) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: connection_init must carry {"authorization": "Bearer <token>"}');
          return false;
        }
        const auth = await services.authenticator.authenticate(header);
        if (auth.kind !== 'authenticated') {
          ctx.extra.socket.close(CloseCode.Forbidden, `Forbidden: ${auth.kind === 'rejected' ? auth.reason : 'no token'}`);
          return false;
        }
        ctx.extra.auth = auth;
        return true;
      },
      onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) => formatResult(result, log),
    },
    wss,
  );
  return {
    clientCount: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function formatResult(result: ExecutionResult, log: (error: unknown) => void): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((e) => {
    const formatted = formatGraphQLError(e.toJSON(), e, log);
    return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
  });
  return { ...result, errors };
}
