/**
 * The gateway as one Fastify plugin, registered at OPENAI_DIALECT.prefix (/v1):
 * POST /v1/chat/completions (streamed or not), POST /v1/embeddings, POST
 * /v1/responses and GET /v1/models in OpenAI's wire format and error body, and
 * POST /v1/messages in Anthropic's (its own error body; the credential also in
 * x-api-key, where the Anthropic SDK sends its key). Point an OpenAI or
 * Anthropic SDK at keypool with a client token, a node token or
 * `<api_key>:<secret>` as its API key.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { keypoolMsOf, type GatewayEndpoint } from '../../modules/gateway/index.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { errorHandler, installErrorHandlers } from '../error-handler.js';
import { requireObjectBody } from '../request-fields.js';
import { ANTHROPIC_DIALECT } from './anthropic-errors.js';
import { OPENAI_DIALECT } from './errors.js';
import { rateLimitHeaders } from './rate-limit-headers.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request arrived (performance.now()), for x-keypool-overhead-ms. */
    receivedAt?: number;
  }
}

/** The caller's own request id when it sent a sane one, else a new one; answered in x-request-id. */
function requestId(request: FastifyRequest): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export const openAiGatewayPlugin = (services: Services, maxRequestBytes: number): FastifyPluginAsync => async (v1) => {
  installErrorHandlers(v1, OPENAI_DIALECT.errorBody, maxRequestBytes);
  v1.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', requestId(request));
    request.receivedAt = performance.now();
  });
  // Failures that come before an answer (a refusal, every attempt failed) say how many keys were tried.
  v1.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && !reply.hasHeader('x-keypool-attempts')) reply.header('x-keypool-attempts', '0');
    return payload;
  });

  const forward = (endpoint: GatewayEndpoint, passHeaders: readonly string[] = []) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { brandId, principal } = accessOf(request);
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
    const answer = await services.gateway.call({ brandId, nodeId: principal.kind === 'node' ? principal.nodeId : null, endpoint, body, headers, signal: gone.signal }).catch((e: unknown) => {
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
      .header('x-keypool-overhead-ms', (before + answer.keypoolMs).toFixed(2));
    // The pool's remaining allowance for the provider (the upstream's own rate-limit headers are not passed on: they speak for one key).
    const provider = typeof body.model !== 'string' ? '' : body.model.includes('/') ? body.model.slice(0, body.model.indexOf('/')) : endpoint === 'messages' ? 'anthropic' : '';
    reply.headers(rateLimitHeaders(services.capacity.recent(brandId, provider), services.clock.now()));
    if (answer.retryAfter !== null) reply.header('retry-after', answer.retryAfter);
    if (!Buffer.isBuffer(answer.body)) reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
    return reply.send(answer.body);
  };

  // Answers pass through as the upstream sent them: no compression (a stream must not be buffered).
  const options = { config: { permission: 'integrations.lease' as const, credentialAsBearer: true }, compress: false as const, bodyLimit: maxRequestBytes };
  v1.post('/chat/completions', options, forward('chat/completions'));
  v1.post('/embeddings', options, forward('embeddings'));
  v1.post('/responses', options, forward('responses'));
  // Anthropic's route answers its errors in Anthropic's body, and takes the credential in x-api-key too.
  await v1.register(async (anthropic) => {
    anthropic.setErrorHandler(errorHandler(ANTHROPIC_DIALECT.errorBody, maxRequestBytes));
    anthropic.post('/messages', { ...options, config: { ...options.config, apiKeyHeader: 'x-api-key' } }, forward('messages', ['anthropic-version', 'anthropic-beta']));
  });
  v1.get('/models', { config: { permission: 'integrations.lease', credentialAsBearer: true } }, async (request) => {
    const { brandId } = accessOf(request);
    const models = await services.gateway.models(brandId);
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
  });
};
