/**
 * Who a request is: the operator (admin token), a brand (client token), or
 * one of a brand's nodes (credential or node token). The authenticator in
 * modules/nodes decides; everything else reads these shapes.
 */
export type Principal =
  | { kind: 'admin' }
  /** `tokenId` is null for tokens issued before tokens were recorded. */
  | { kind: 'brand'; brandId: string; tokenId: string | null; expiresAt: Date }
  | {
      kind: 'node'; brandId: string; nodeId: string; credentialId: string; permissions: string[];
      /** When this authentication stops: the credential's (or token's) expiry, or the end of a rolled secret's grace. */
      expiresAt: Date | null;
      /** The secret it was made with (a fingerprint, not the secret): node tokens are bound to it. */
      secretGeneration: string;
      via: 'basic' | 'token';
    };

export type Authentication =
  | { kind: 'authenticated'; principal: Principal }
  | { kind: 'anonymous' }
  /** `retryAfterSeconds`: refused for too many failed secrets, whatever this one is, for that long. */
  | { kind: 'rejected'; reason: string; scheme: 'bearer' | 'basic'; retryAfterSeconds?: number };
