/**
 * The provider catalog: which providers exist, their labels, credential
 * fields and Bifrost key configs; and each brand's own providers (custom
 * providers, network settings), and how to read what a provider says in an
 * error body. The catalog is pure data, no I/O; every module may read it.
 */
export * from './catalog.js';
export * from './key-configs.js';
export * from './brand-provider.js';
export { parseProviderBody, providerError, providerMessage } from './provider-errors.js';
export { ProviderConfigSchema } from './provider-config.entity.js';
export { ProviderConfigRepository } from './provider-config.repository.js';
export { ProviderService, providerNotFound, type ProviderInput, type ProviderKeys } from './provider.service.js';
export { ProviderResolver } from './provider.resolver.js';
