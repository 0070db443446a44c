/**
 * Short-lived node tokens (`POST /api/v1/auth/token`): an HS256 JWT for
 * browsers and dashboards, carrying the node's permissions and its api_key, so
 * each use is checked against the live credential (revoked or expired: refused).
 */
import { SignJWT, errors, jwtVerify } from 'jose';

const ISSUER = 'keypool';
export const NODE_AUDIENCE = 'keypool:node';
export const NODE_TOKEN_SECONDS = 15 * 60;

export interface NodeTokenClaims {
  brandId: string;
  nodeId: string;
  credentialId: string;
  apiKey: string;
  permissions: string[];
  /** The generation of the secret the token was exchanged for: rolling that secret ends the token (after any grace). */
  secretGeneration: string;
  expiresAt: Date;
}

export type NodeTokenCheck = ({ kind: 'valid' } & NodeTokenClaims) | { kind: 'rejected'; reason: string };

export class NodeTokenSigner {
  private readonly keys: Uint8Array[];

  constructor(secrets: string[]) {
    this.keys = secrets.map((s) => new TextEncoder().encode(s));
  }

  async sign(claims: NodeTokenClaims, issuedAt: Date): Promise<string> {
    return new SignJWT({ nid: claims.nodeId, cid: claims.credentialId, key: claims.apiKey, perm: claims.permissions, gen: claims.secretGeneration })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.brandId)
      .setIssuer(ISSUER)
      .setAudience(NODE_AUDIENCE)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .sign(this.keys[0]);
  }

  async verify(token: string, now: Date): Promise<NodeTokenCheck> {
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: NODE_AUDIENCE, algorithms: ['HS256'], currentDate: now, requiredClaims: ['sub', 'exp'] });
        const { nid, cid, key: apiKey, perm, gen } = payload as { nid?: unknown; cid?: unknown; key?: unknown; perm?: unknown; gen?: unknown };
        if (typeof nid !== 'string' || typeof cid !== 'string' || typeof apiKey !== 'string' || !Array.isArray(perm)) return { kind: 'rejected', reason: 'token is malformed' };
        // Tokens from before secrets had generations cannot be tied to one: exchange the credential again.
        if (typeof gen !== 'string') return { kind: 'rejected', reason: 'token predates secret rolling checks: exchange the credential for a new one' };
        return { kind: 'valid', brandId: payload.sub!, nodeId: nid, credentialId: cid, apiKey, permissions: perm.map(String), secretGeneration: gen, expiresAt: new Date(payload.exp! * 1000) };
      } catch (e) {
        if (e instanceof errors.JWTExpired) return { kind: 'rejected', reason: 'token has expired' };
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) return { kind: 'rejected', reason: 'token is malformed' };
      }
    }
    return { kind: 'rejected', reason: 'token signature is invalid' };
  }
}
