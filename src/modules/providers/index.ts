/**
 * The provider catalog: which providers exist, their labels and credential
 * fields. Pure data, no I/O; every module may read it.
 */
export * from './catalog.js';
export { ProviderResolver } from './provider.resolver.js';
