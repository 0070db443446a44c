/**
 * Gemini's own API through the gateway, as `@google/genai` and the Gemini CLI call it:
 * POST `models/{model}:generateContent`, `:streamGenerateContent` (SSE with `alt=sse`, else one
 * JSON array written piece by piece), `:countTokens`, `:embedContent` and `:batchEmbedContents`, under `/v1beta/` and
 * `/v1/` (whichever API version the client is set to), and GET `/v1beta/models`. The caller's
 * keypool credential comes in `x-goog-api-key` or `?key=`, as the SDK sends its API key. Errors
 * are Gemini's body: `{ "error": { "code", "message", "status" } }`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, snakeKeys, snakeNames, type AppError } from '../../platform/errors/app-error.js';
import type { GatewayEndpoint } from '../../modules/gateway/index.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import type { Dialect } from '../dialects.js';
import { forwarder, type RouteCall } from './forward.js';

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

export const GEMINI_DIALECT: Dialect = {
  prefix: '/v1beta',
  errorBody: (error: AppError) => {
    const { param: _param, ...details } = error.details ?? {};
    return { error: { code: error.httpStatus, message: error.messageIn(snakeNames), status: STATUS[error.httpStatus] ?? 'UNKNOWN', ...(snakeKeys(details) as object) } };
  },
};

const METHODS: Record<string, GatewayEndpoint> = {
  generateContent: 'gemini:generateContent',
  streamGenerateContent: 'gemini:streamGenerateContent',
  countTokens: 'gemini:countTokens',
  embedContent: 'gemini:embedContent',
  batchEmbedContents: 'gemini:batchEmbedContents',
};

/** `gemini-2.0-flash:generateContent` (the path after models/) → the call. */
function routeCall(request: FastifyRequest, apiVersion: string): RouteCall {
  const rest = (request.params as { '*': string })['*'];
  const colon = rest.lastIndexOf(':');
  const endpoint = colon > 0 ? METHODS[rest.slice(colon + 1)] : undefined;
  if (!endpoint) throw badRequest(`The method must be one of ${Object.keys(METHODS).map((m) => `models/{model}:${m}`).join(', ')}`);
  const query = request.query as Record<string, unknown>;
  // The router has decoded the path already (decoding it again would fail on a "%" the model name holds).
  return { endpoint, route: { model: rest.slice(0, colon), apiVersion, sse: query.alt === 'sse' } };
}

/** The routes, on a context whose URLs start with the API version (`/v1beta`, or the gateway's `/v1`) and that renders errors in GEMINI_DIALECT's body. */
export function mountGeminiRoutes(scope: FastifyInstance, services: Services, apiVersion: 'v1' | 'v1beta', maxRequestBytes: number): void {
  const forward = forwarder(services);
  const config = { permission: 'integrations.lease' as const, credentialAsBearer: true, apiKeyHeader: 'x-goog-api-key', apiKeyQuery: 'key' };
  scope.post('/models/*', { config, compress: false, bodyLimit: maxRequestBytes }, forward((request) => routeCall(request, apiVersion)));
  if (apiVersion === 'v1beta') {
    scope.get('/models', { config }, async (request) => {
      const { brandId } = accessOf(request);
      const models = (await services.gateway.models(brandId, ['google_ai', 'gemini'])).filter((m) => !m.id.endsWith('/*'));
      return {
        models: models.map((m) => {
          const name = m.id.slice(m.id.indexOf('/') + 1);
          return { name: `models/${name}`, displayName: name, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent'] };
        }),
      };
    });
  }
}
