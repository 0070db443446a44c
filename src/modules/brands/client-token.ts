/**
 * Brand client tokens: HS256 JWTs scoped to one brand. Verification accepts
 * any secret of the ring (first one signs), so the secret can be rotated.
 * Outcomes are values: a bad token is `{ kind: 'rejected', reason }`.
 */
import { SignJWT, jwtVerify, errors } from 'jose';

const ISSUER = 'keypool';
const AUDIENCE = 'keypool:client';

/** `tokenId` is the token's `jti` (null for tokens issued before tokens were recorded). */
/** `otherAudience`: a well-signed keypool token meant for another audience (a node token, say). */
export type TokenCheck =
  | { kind: 'valid'; brandId: string; tokenId: string | null; expiresAt: Date }
  | { kind: 'rejected'; reason: string; otherAudience?: boolean };

interface Verified {
  brandId: string;
  tokenId: string | null;
  expiresAtMs: number;
  notBeforeMs: number;
}

/** Verified tokens are remembered until they expire: a JWT cannot change, and verifying costs a WebCrypto round. */
const CACHE_SIZE = 10_000;

export class ClientTokenSigner {
  private readonly keys: Uint8Array[];
  private readonly verified = new Map<string, Verified>();

  constructor(secrets: string[]) {
    this.keys = secrets.map((s) => new TextEncoder().encode(s));
  }

  async sign(brandId: string, tokenId: string, issuedAt: Date, expiresAt: Date): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(brandId)
      .setJti(tokenId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.keys[0]);
  }

  /** The check of a token verified here before and still within its validity, or null (verify it). */
  remembered(token: string, now: Date): TokenCheck | null {
    const cached = this.verified.get(token);
    return cached && now.getTime() >= cached.notBeforeMs && now.getTime() < cached.expiresAtMs ? valid(cached) : null;
  }

  async verify(token: string, now: Date): Promise<TokenCheck> {
    const remembered = this.remembered(token, now);
    if (remembered) return remembered;
    const check = await this.verifySignature(token, now);
    if (check.kind === 'valid') {
      if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, check.cache);
      return valid(check.cache);
    }
    return check;
  }

  private async verifySignature(
    token: string,
    now: Date,
  ): Promise<{ kind: 'valid'; cache: Verified } | { kind: 'rejected'; reason: string; otherAudience?: boolean }> {
    if (token.split('.').length !== 3) return { kind: 'rejected', reason: 'token is malformed' };
    let lastReason = 'token signature is invalid';
    let otherAudience = false;
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: now,
          requiredClaims: ['sub', 'exp'],
        });
        const cache = { brandId: payload.sub!, tokenId: payload.jti ?? null, expiresAtMs: payload.exp! * 1000, notBeforeMs: (payload.iat ?? 0) * 1000 - 60_000 };
        return { kind: 'valid', cache };
      } catch (e) {
        if (e instanceof errors.JWTExpired) return { kind: 'rejected', reason: 'token has expired' };
        if (e instanceof errors.JWSSignatureVerificationFailed) continue;
        lastReason = e instanceof errors.JWTClaimValidationFailed ? `token claim "${e.claim}" is invalid` : 'token is malformed';
        otherAudience = e instanceof errors.JWTClaimValidationFailed && e.claim === 'aud';
        if (!(e instanceof errors.JWTClaimValidationFailed)) return { kind: 'rejected', reason: lastReason };
      }
    }
    return { kind: 'rejected', reason: lastReason, ...(otherAudience && { otherAudience }) };
  }
}

const valid = (v: Verified): TokenCheck => ({ kind: 'valid', brandId: v.brandId, tokenId: v.tokenId, expiresAt: new Date(v.expiresAtMs) });
