/**
 * Bifrost-compatible provider management (docs/api/bifrost-provider-keys-create.md):
 * /api/providers, /api/providers/{provider}/keys and /api/keys on the one shared
 * pool, in Bifrost's shapes and error envelope, as tolerant as Bifrost of what its
 * clients send: any Content-Type is read as JSON, an empty body is no body, unknown
 * fields are ignored (and named in a response header). Each route authenticates,
 * maps the dialect, and calls one service method.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { assertKeysAllowed, type BrandProvider } from '../../modules/providers/index.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { installErrorHandlers } from '../error-handler.js';
import { installAnyTypeJsonParser } from '../json-body.js';
import { requireObjectBody } from '../request-fields.js';
import { BIFROST_DIALECT, namedAs } from './errors.js';
import { knownFields, type Shape } from './lenient-body.js';
import {
  bifrostNames, KEY_SHAPE, parseKeyBody, parseProviderBody, PROVIDER_SHAPE, toBifrostKey, toBifrostKeySummary, toBifrostProvider,
} from './mapping.js';

type ProviderParams = { Params: { provider: string } };
type KeyParams = { Params: { provider: string; key_id: string } };

/** The Bifrost dialect as a plugin: register it at BIFROST_DIALECT.prefix; its errors are Bifrost's envelope. */
export const bifrostPlugin = (services: Services): FastifyPluginAsync => async (fastify) => {
  installErrorHandlers(fastify, BIFROST_DIALECT.errorBody);
  installAnyTypeJsonParser(fastify);
  mountBifrostProviderRoutes(fastify, services);
};

/** A JSON object body with the fields `shape` does not know dropped. */
const bodyOf = (body: unknown, shape: Shape, reply: FastifyReply) => knownFields(requireObjectBody(body), shape, reply);

function mountBifrostProviderRoutes(fastify: FastifyInstance, services: Services): void {
  const read = { config: { permission: 'integrations.read' as const } };
  const write = { config: { permission: 'integrations.write' as const } };
  const provider = (brandId: string, name: string): Promise<BrandProvider> => services.providers.getProvider(brandId, name);

  fastify.get('/providers', read, async (request) => {
    const providers = await services.providers.listBifrostProviders(accessOf(request).brandId);
    return { providers: providers.map(toBifrostProvider), total: providers.length };
  });

  fastify.get<ProviderParams>('/providers/:provider', read, async (request) =>
    toBifrostProvider(await provider(accessOf(request).brandId, request.params.provider)));

  fastify.post('/providers', write, async (request, reply) => {
    const { provider: name, input } = parseProviderBody(bodyOf(request.body, PROVIDER_SHAPE, reply));
    return toBifrostProvider(await services.providers.createProvider(accessOf(request).brandId, name, input));
  });

  // Bifrost's upsert: a custom provider that does not exist yet is created.
  fastify.put<ProviderParams>('/providers/:provider', write, async (request, reply) => {
    const { input } = parseProviderBody(bodyOf(request.body, PROVIDER_SHAPE, reply), request.params.provider);
    return toBifrostProvider(await services.providers.updateProvider(accessOf(request).brandId, request.params.provider, input, { upsert: true }));
  });

  fastify.delete<ProviderParams>('/providers/:provider', write, async (request) =>
    toBifrostProvider(await services.providers.deleteProvider(accessOf(request).brandId, request.params.provider)));

  // Every key of the brand, as Bifrost's UI (virtual keys) lists them: an array, no secrets.
  fastify.get('/keys', read, async (request) =>
    (await services.integrations.listKeySummaries(accessOf(request).brandId)).map(toBifrostKeySummary));

  fastify.get<ProviderParams>('/providers/:provider/keys', read, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const keys = p.keyless ? [] : await services.integrations.listProviderKeys(brandId, p.name);
    return { keys: keys.map((k) => toBifrostKey(k, p)), total: keys.length };
  });

  fastify.get<KeyParams>('/providers/:provider/keys/:key_id', read, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const key = await services.integrations.findProviderKey(brandId, p.name, request.params.key_id);
    if (!key) throw new AppError('integration.not_found', 'Integration not found');
    return toBifrostKey(key, p);
  });

  // 200 with the stored key, as Bifrost answers.
  fastify.post<ProviderParams>('/providers/:provider/keys', write, async (request, reply) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const body = bodyOf(request.body, KEY_SHAPE, reply);
    assertKeysAllowed(p, 'add'); // before the body is judged, as Bifrost does
    const { keyId, ...key } = parseKeyBody(body, p);
    const created = await namedAs(bifrostNames(p), () =>
      services.integrations.createIntegration(brandId, { providerName: p.name, keyId, ...key }, { uniqueName: true }));
    return toBifrostKey(created, p);
  });

  // Changes what the body carries; what it leaves out keeps its value (IntegrationService.updateProviderKey).
  fastify.put<KeyParams>('/providers/:provider/keys/:key_id', write, async (request, reply) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const body = bodyOf(request.body, KEY_SHAPE, reply);
    assertKeysAllowed(p, 'update');
    const { keyId: _ignoredId, ...key } = parseKeyBody(body, p);
    const updated = await namedAs(bifrostNames(p), () =>
      services.integrations.updateProviderKey(brandId, p.name, request.params.key_id, key, { uniqueName: true }));
    return toBifrostKey(updated, p);
  });

  fastify.delete<KeyParams>('/providers/:provider/keys/:key_id', write, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    return toBifrostKey(await services.integrations.deleteProviderKey(brandId, p.name, request.params.key_id), p);
  });
}
