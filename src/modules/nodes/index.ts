/**
 * Nodes (a brand's services, worker pools, environments) and their
 * credentials: api_key + secret shown once (stored as a hash), permissions,
 * expiry, revoke and roll; authentication of every request (client tokens,
 * node credentials, node tokens) and the permissions keypool enforces; verify
 * for other services. Invariants: a secret is never stored or shown after
 * create/roll; a credential never grants more than its creator holds.
 * Callers: app.ts, graphql/, rest/, leases (attribution).
 */
export { NodeSchema, NodeCredentialSchema } from './node.entity.js';
export { NodeService, DEFAULT_NODE_PAGE, type NodeView, type NodePage, type NodeUsage, type NodeInput } from './node.service.js';
export {
  NodeCredentialService, type NodeCredentialView, type IssuedNodeCredential, type CreateNodeCredentialInput, type Grantor, type VerifyResult,
} from './node-credential.service.js';
export { NodeTokenSigner } from './node-token.js';
export { CredentialLookup } from './credential-lookup.js';
export { Authenticator, INVALID_CREDENTIALS, grantorOf, isAllowed, type Authentication, type Principal } from './authenticator.js';
export { KEYPOOL_PERMISSIONS, grants, type KeypoolPermission } from './permissions.js';
export { isWellFormedApiKey } from './credential-format.js';
export { NodeResolver } from './node.resolver.js';
