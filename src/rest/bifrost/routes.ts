/**
 * Bifrost-compatible provider management (docs/api/bifrost-provider-keys-create.md):
 * /api/providers and /api/providers/{provider}/keys on the one shared pool, in
 * Bifrost's shapes and error envelope. Each route authenticates, maps the
 * dialect, and calls one service method.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { assertKeysAllowed, type BrandProvider } from '../../modules/providers/index.js';
import { AppError, badRequest } from '../../platform/errors/app-error.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';
import { requireObjectBody } from '../request-fields.js';
import { bifrostNames, parseKeyBody, parseProviderBody, toBifrostKey, toBifrostProvider } from './mapping.js';
import { installErrorHandlers } from '../error-handler.js';
import { BIFROST_DIALECT, namedAs } from './errors.js';

type ProviderParams = { Params: { provider: string } };
type KeyParams = { Params: { provider: string; key_id: string } };

/** The Bifrost dialect as a plugin: register it at BIFROST_DIALECT.prefix; its errors are Bifrost's envelope. */
export const bifrostPlugin = (services: Services): FastifyPluginAsync => async (fastify) => {
  installErrorHandlers(fastify, BIFROST_DIALECT.errorBody);
  mountBifrostProviderRoutes(fastify, services);
};

function mountBifrostProviderRoutes(fastify: FastifyInstance, services: Services): void {
  const read = { config: { permission: 'integrations.read' as const } };
  const write = { config: { permission: 'integrations.write' as const } };
  const provider = (brandId: string, name: string): Promise<BrandProvider> => services.providers.getProvider(brandId, name);

  fastify.get('', read, async (request) => {
    const providers = await services.providers.listProviders(accessOf(request).brandId);
    return { providers: providers.map(toBifrostProvider), total: providers.length };
  });

  fastify.get<ProviderParams>(`/:provider`, read, async (request) =>
    toBifrostProvider(await provider(accessOf(request).brandId, request.params.provider)));

  fastify.post('', write, async (request) => {
    const { provider: name, input } = parseProviderBody(requireObjectBody(request.body));
    return toBifrostProvider(await services.providers.createProvider(accessOf(request).brandId, name, input));
  });

  fastify.put<ProviderParams>(`/:provider`, write, async (request) => {
    const { provider: name, input } = parseProviderBody(requireObjectBody(request.body));
    if (name !== undefined && name !== request.params.provider) throw badRequest('provider in the body must match the provider in the path');
    return toBifrostProvider(await services.providers.updateProvider(accessOf(request).brandId, request.params.provider, input));
  });

  fastify.delete<ProviderParams>(`/:provider`, write, async (request) =>
    toBifrostProvider(await services.providers.deleteProvider(accessOf(request).brandId, request.params.provider)));

  fastify.get<ProviderParams>(`/:provider/keys`, read, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const keys = p.keyless ? [] : await services.integrations.listProviderKeys(brandId, p.name);
    return { keys: keys.map((k) => toBifrostKey(k, p)), total: keys.length };
  });

  fastify.get<KeyParams>(`/:provider/keys/:key_id`, read, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const key = await services.integrations.findProviderKey(brandId, p.name, request.params.key_id);
    if (!key) throw new AppError('integration.not_found', 'Integration not found');
    return toBifrostKey(key, p);
  });

  // 200 with the stored key, as Bifrost answers.
  fastify.post<ProviderParams>(`/:provider/keys`, write, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const body = requireObjectBody(request.body);
    assertKeysAllowed(p, 'add'); // before the body is judged, as Bifrost does
    const { keyId, ...key } = parseKeyBody(body, p);
    const created = await namedAs(bifrostNames(p), () =>
      services.integrations.createIntegration(brandId, { providerName: p.name, keyId, ...key }, { dialect: 'bifrost', uniqueName: true }));
    return toBifrostKey(created, p);
  });

  fastify.put<KeyParams>(`/:provider/keys/:key_id`, write, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    const body = requireObjectBody(request.body);
    assertKeysAllowed(p, 'update');
    const { keyId: _ignoredId, ...key } = parseKeyBody(body, p);
    const replaced = await namedAs(bifrostNames(p), () =>
      services.integrations.replaceProviderKey(brandId, p.name, request.params.key_id, key, { dialect: 'bifrost', uniqueName: true }));
    return toBifrostKey(replaced, p);
  });

  fastify.delete<KeyParams>(`/:provider/keys/:key_id`, write, async (request) => {
    const { brandId } = accessOf(request);
    const p = await provider(brandId, request.params.provider);
    return toBifrostKey(await services.integrations.deleteProviderKey(brandId, p.name, request.params.key_id), p);
  });
}
