/**
 * Brand client tokens: HS256 JWTs scoped to one brand. Verification accepts
 * any secret of the ring (first one signs), so the secret can be rotated.
 * Outcomes are values: a bad token is `{ kind: 'rejected', reason }`.
 */
import { SignJWT, jwtVerify, errors } from 'jose';

const ISSUER = 'keypool';
const AUDIENCE = 'keypool:client';

export type TokenCheck = { kind: 'valid'; brandId: string } | { kind: 'rejected'; reason: string };

export class ClientTokenSigner {
  private readonly keys: Uint8Array[];

  constructor(secrets: string[]) {
    this.keys = secrets.map((s) => new TextEncoder().encode(s));
  }

  async sign(brandId: string, issuedAt: Date, expiresAt: Date): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(brandId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.keys[0]);
  }

  async verify(token: string, now: Date): Promise<TokenCheck> {
    if (token.split('.').length !== 3) return { kind: 'rejected', reason: 'token is malformed' };
    let lastReason = 'token signature is invalid';
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: now,
          requiredClaims: ['sub', 'exp'],
        });
        return { kind: 'valid', brandId: payload.sub! };
      } catch (e) {
        if (e instanceof errors.JWTExpired) return { kind: 'rejected', reason: 'token has expired' };
        if (e instanceof errors.JWSSignatureVerificationFailed) continue;
        lastReason = e instanceof errors.JWTClaimValidationFailed ? `token claim "${e.claim}" is invalid` : 'token is malformed';
        if (!(e instanceof errors.JWTClaimValidationFailed)) return { kind: 'rejected', reason: lastReason };
      }
    }
    return { kind: 'rejected', reason: lastReason };
  }
}
