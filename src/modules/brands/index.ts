/**
 * Brands are the tenants; client tokens are brand-scoped JWTs; the
 * authenticator maps a bearer token to the operator or to one brand.
 * Invariant: a client token only ever grants access to its own brand.
 * Callers: app.ts (wiring), graphql/ and rest/ (authentication), the CLI.
 */
export { BrandSchema, type Brand } from './brand.entity.js';
export { BrandService, isUuid, type BrandView, type ClientTokenInfo, type ClientTokenView } from './brand.service.js';
export { ClientTokenSigner } from './client-token.js';
export { ClientTokenSchema } from './client-token.entity.js';
export { RevocationList, REVOCATIONS_CHANNEL, type Revocation } from './revocations.js';
export { BrandResolver } from './brand.resolver.js';
