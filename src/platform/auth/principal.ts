/**
 * Who a request is: the operator (admin token), a brand (client token), or
 * one of a brand's nodes (credential or node token). The authenticator in
 * modules/nodes decides; everything else reads these shapes.
 */
export type Principal =
  | { kind: 'admin' }
  /** `tokenId` is null for tokens issued before tokens were recorded. */
  | { kind: 'brand'; brandId: string; tokenId: string | null; expiresAt: Date }
  | { kind: 'node'; brandId: string; nodeId: string; credentialId: string; permissions: string[]; expiresAt: Date | null; via: 'basic' | 'token' };

export type Authentication =
  | { kind: 'authenticated'; principal: Principal }
  | { kind: 'anonymous' }
  | { kind: 'rejected'; reason: string; scheme: 'bearer' | 'basic' };
