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
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { errorHandler, installErrorHandlers } from '../error-handler.js';
import { ANTHROPIC_DIALECT } from './anthropic-errors.js';
import { OPENAI_DIALECT } from './errors.js';
import { forwarder } from './forward.js';
import { GEMINI_DIALECT, mountGeminiRoutes } from './gemini-routes.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;


/** The caller's own request id when it sent a sane one, else a new one; answered in x-request-id. */
function requestId(request: FastifyRequest): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** What every gateway URL space answers with: a request id, when it arrived, and the keys tried on a failure. */
function gatewayHooks(scope: FastifyInstance): void {
  scope.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', requestId(request));
    request.receivedAt = performance.now();
  });
  // Failures that come before an answer (a refusal, every attempt failed) say how many keys were tried.
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && !reply.hasHeader('x-keypool-attempts')) reply.header('x-keypool-attempts', '0');
    return payload;
  });
}

/** Gemini's own API version's URL space, /v1beta (GEMINI_DIALECT.prefix). */
export const geminiGatewayPlugin = (services: Services, maxRequestBytes: number): FastifyPluginAsync => async (v1beta) => {
  installErrorHandlers(v1beta, GEMINI_DIALECT.errorBody, maxRequestBytes);
  gatewayHooks(v1beta);
  mountGeminiRoutes(v1beta, services, 'v1beta', maxRequestBytes);
};

export const openAiGatewayPlugin = (services: Services, maxRequestBytes: number): FastifyPluginAsync => async (v1) => {
  installErrorHandlers(v1, OPENAI_DIALECT.errorBody, maxRequestBytes);
  gatewayHooks(v1);

  const forward = forwarder(services);

  // Answers pass through as the upstream sent them: no compression (a stream must not be buffered).
  const options = { config: { permission: 'integrations.lease' as const, credentialAsBearer: true }, compress: false as const, bodyLimit: maxRequestBytes };
  v1.post('/chat/completions', options, forward({ endpoint: 'chat/completions' }));
  v1.post('/embeddings', options, forward({ endpoint: 'embeddings' }));
  v1.post('/responses', options, forward({ endpoint: 'responses' }));
  // Anthropic's route answers its errors in Anthropic's body, and takes the credential in x-api-key too.
  await v1.register(async (anthropic) => {
    anthropic.setErrorHandler(errorHandler(ANTHROPIC_DIALECT.errorBody, maxRequestBytes));
    anthropic.post('/messages', { ...options, config: { ...options.config, apiKeyHeader: 'x-api-key' } }, forward({ endpoint: 'messages' }, ['anthropic-version', 'anthropic-beta']));
  });
  // Gemini's routes under /v1 (an SDK set to API version v1), in Gemini's error body.
  await v1.register(async (gemini) => {
    gemini.setErrorHandler(errorHandler(GEMINI_DIALECT.errorBody, maxRequestBytes));
    mountGeminiRoutes(gemini, services, 'v1', maxRequestBytes);
  });
  v1.get('/models', { config: { permission: 'integrations.lease', credentialAsBearer: true } }, async (request) => {
    const { brandId } = accessOf(request);
    const models = await services.gateway.models(brandId);
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
  });
};
