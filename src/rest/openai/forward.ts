/**
 * One gateway call over HTTP, for every wire format's route: the caller's body and passed headers
 * to GatewayService.call, the answer back as the upstream sent it (a stream unbuffered), with
 * keypool's headers: the key that served (x-keypool-integration-id), the keys tried
 * (x-keypool-attempts), keypool's own time (x-keypool-overhead-ms) and the pool's remaining
 * allowance for the provider (x-ratelimit-*).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { keypoolMsOf, type GatewayEndpoint } from '../../modules/gateway/index.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { requireObjectBody } from '../request-fields.js';
import { poolRateLimitHeaders } from './rate-limit-headers.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request arrived (performance.now()), for x-keypool-overhead-ms. */
    receivedAt?: number;
  }
}

/** What a route makes of a request beyond its body: the endpoint, and (Gemini) the model, API version and stream kind from the URL. */
export interface RouteCall {
  endpoint: GatewayEndpoint;
  route?: { model: string; apiVersion: string; sse: boolean };
}

export const forwarder = (services: Services) =>
  (callOf: RouteCall | ((request: FastifyRequest) => RouteCall), passHeaders: readonly string[] = []) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { brandId, principal } = accessOf(request);
      const call = typeof callOf === 'function' ? callOf(request) : callOf;
      const body = requireObjectBody(request.body);
      const headers = Object.fromEntries(passHeaders.map((name) => [name, request.headers[name]]).filter((h): h is [string, string] => typeof h[1] === 'string'));
      // keypool's time before the gateway's own (authentication, the body read and checked).
      const before = performance.now() - (request.receivedAt ?? performance.now());
      // The caller went away before the answer ended: the upstream request is cancelled.
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const start = performance.now();
      const nodeId = principal.kind === 'node' ? principal.nodeId : null;
      const answer = await services.gateway.call({ brandId, nodeId, ...call, body, headers, signal: gone.signal }).catch((e: unknown) => {
        const details = (e as { details?: { attempts?: unknown; integrationId?: unknown } }).details;
        if (typeof details?.attempts === 'number') reply.header('x-keypool-attempts', String(details.attempts));
        if (typeof details?.integrationId === 'number') reply.header('x-keypool-integration-id', String(details.integrationId));
        // An error after upstream attempts says keypool's part of the time; any other error was keypool's time alone.
        reply.header('x-keypool-overhead-ms', (before + (keypoolMsOf(e) ?? performance.now() - start)).toFixed(2));
        throw e;
      });
      reply
        .code(answer.status)
        .header('content-type', answer.contentType)
        .header('x-keypool-integration-id', String(answer.integrationId))
        .header('x-keypool-attempts', String(answer.attempts))
        .header('x-keypool-overhead-ms', (before + answer.keypoolMs).toFixed(2))
        .header('x-keypool-route', answer.route);
      // The pool's remaining allowance for the provider (the upstream's own rate-limit headers are not passed on: they speak for one key).
      reply.headers(poolRateLimitHeaders(services.capacity.recent(brandId, answer.provider), services.clock.now()));
      if (answer.retryAfter !== null) reply.header('retry-after', answer.retryAfter);
      if (!Buffer.isBuffer(answer.body)) reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
      return reply.send(answer.body);
    };
