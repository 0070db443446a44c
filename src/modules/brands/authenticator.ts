/**
 * Turns an Authorization header into a principal: the operator (admin token)
 * or one brand (client token). Expected failures are values, never exceptions.
 * A revoked token is refused from the moment the revocation reaches this
 * instance; a token's use is noted (at most once a minute, off the request path).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/time/clock.js';
import type { ClientTokenSigner } from './client-token.js';
import type { RevocationList } from './revocations.js';

export type Principal =
  | { kind: 'admin' }
  /** `tokenId` is null for tokens issued before tokens were recorded. */
  | { kind: 'brand'; brandId: string; tokenId: string | null; expiresAt: Date };

export type Authentication =
  | { kind: 'authenticated'; principal: Principal }
  | { kind: 'anonymous' }
  | { kind: 'rejected'; reason: string };

const digest = (s: string) => createHash('sha256').update(s).digest();

export class Authenticator {
  private readonly adminDigest: Buffer;

  constructor(
    adminToken: string,
    private readonly tokens: ClientTokenSigner,
    private readonly revocations: RevocationList,
    private readonly clock: Clock,
    private readonly noteTokenUse: (tokenId: string, at: Date) => void = () => {},
  ) {
    this.adminDigest = digest(adminToken);
  }

  async authenticate(header: string | undefined | null): Promise<Authentication> {
    if (header === undefined || header === null || header === '') return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { kind: 'rejected', reason: 'Authorization header must be "Bearer <token>"' };
    const token = match[1];
    if (timingSafeEqual(digest(token), this.adminDigest)) {
      return { kind: 'authenticated', principal: { kind: 'admin' } };
    }
    const now = this.clock.now();
    const check = await this.tokens.verify(token, now);
    if (check.kind !== 'valid') return check;
    if (check.tokenId !== null) {
      if (this.revocations.isRevoked(check.tokenId)) return { kind: 'rejected', reason: 'token has been revoked' };
      this.noteTokenUse(check.tokenId, now);
    }
    return { kind: 'authenticated', principal: { kind: 'brand', brandId: check.brandId, tokenId: check.tokenId, expiresAt: check.expiresAt } };
  }
}
