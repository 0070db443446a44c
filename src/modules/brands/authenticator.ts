/**
 * Turns an Authorization header into a principal: the operator (admin token)
 * or one brand (client token). Expected failures are values, never exceptions.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/time/clock.js';
import type { ClientTokenSigner } from './client-token.js';

export type Principal = { kind: 'admin' } | { kind: 'brand'; brandId: string };

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
    private readonly clock: Clock,
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
    const check = await this.tokens.verify(token, this.clock.now());
    return check.kind === 'valid'
      ? { kind: 'authenticated', principal: { kind: 'brand', brandId: check.brandId } }
      : check;
  }
}
