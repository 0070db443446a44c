/**
 * Turns an Authorization header into a principal: the operator (admin token),
 * a brand (client token: every right in its brand), or a node (its
 * credential over HTTP Basic, or a node token: its permissions only).
 * Expected failures are values, never exceptions. A revoked token or
 * credential is refused from the moment the revocation reaches this instance.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/time/clock.js';
import type { ClientTokenSigner, RevocationList } from '../brands/index.js';
import { generationValidity, type CredentialLookup } from './credential-lookup.js';
import type { Grantor } from './node-credential.service.js';
import type { NodeTokenSigner } from './node-token.js';
import { grants } from './permissions.js';
import type { Authentication, Principal } from '../../platform/auth/principal.js';
import { inSpan } from '../../platform/telemetry/spans.js';

export type { Authentication, Principal };


/** One answer for unknown key, wrong secret, expired and revoked: no oracle. */
export const INVALID_CREDENTIALS = 'invalid API key or secret';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the principal may do what `permission` names (the admin token manages brands only). */
export function isAllowed(principal: Principal, permission: string): boolean {
  if (principal.kind === 'admin') return false;
  return principal.kind === 'brand' || grants(principal.permissions, permission);
}

/** What the principal may hand on to a credential it creates or rolls. */
export const grantorOf = (principal: Exclude<Principal, { kind: 'admin' }>): Grantor =>
  principal.kind === 'brand' ? { permissions: 'all', credentialId: null } : { permissions: principal.permissions, credentialId: principal.credentialId };

export class Authenticator {
  private readonly adminDigest: Buffer;

  constructor(
    adminToken: string,
    private readonly tokens: ClientTokenSigner,
    private readonly nodeTokens: NodeTokenSigner,
    private readonly credentials: CredentialLookup,
    private readonly revocations: RevocationList,
    private readonly clock: Clock,
    private readonly noteTokenUse: (tokenId: string, at: Date) => void = () => {},
  ) {
    this.adminDigest = digest(adminToken);
  }

  /**
   * `credentialAsBearer`: a node credential may also come as `Bearer <api_key>:<secret>`, the one
   * string an OpenAI SDK sends as its API key (the gateway's routes).
   */
  async authenticate(header: string | undefined | null, options: { credentialAsBearer?: boolean; clientAddress?: string | null } = {}): Promise<Authentication> {
    return inSpan('keypool.authenticate', {}, async (span) => {
      const auth = await this.authenticateHeader(header, options);
      span.setAttribute('keypool.auth.outcome', auth.kind);
      if (auth.kind === 'authenticated') span.setAttribute('keypool.principal.kind', auth.principal.kind);
      return auth;
    });
  }

  private async authenticateHeader(header: string | undefined | null, options: { credentialAsBearer?: boolean; clientAddress?: string | null }): Promise<Authentication> {
    if (header === undefined || header === null || header === '') return { kind: 'anonymous' };
    const address = options.clientAddress ?? null;
    const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
    if (basic) return this.authenticateCredential(Buffer.from(basic[1], 'base64').toString('utf8'), address);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { kind: 'rejected', reason: 'Authorization header must be "Bearer <token>" or "Basic <base64 of api_key:secret>"', scheme: 'bearer' };
    const token = match[1];
    if (options.credentialAsBearer && token.includes(':')) return this.authenticateCredential(token, address);
    const now = this.clock.now();
    // A client token verified here before is looked up first: it is never the admin token (compared below before any token is
    // verified), so the admin comparison, a hash of the token, is spared on every request of a client but its first.
    let check = this.tokens.remembered(token, now);
    if (check === null) {
      if (timingSafeEqual(digest(token), this.adminDigest)) return { kind: 'authenticated', principal: { kind: 'admin' } };
      check = await this.tokens.verify(token, now);
    }
    if (check.kind !== 'valid') return check.otherAudience ? this.authenticateNodeToken(token) : { kind: 'rejected', reason: check.reason, scheme: 'bearer' };
    if (check.tokenId !== null) {
      if (this.revocations.isRevoked(check.tokenId)) return { kind: 'rejected', reason: 'token has been revoked', scheme: 'bearer' };
      this.noteTokenUse(check.tokenId, now);
    }
    return { kind: 'authenticated', principal: { kind: 'brand', brandId: check.brandId, tokenId: check.tokenId, expiresAt: check.expiresAt } };
  }

  /** Failed secrets, and attempts refused for too many of them, since start (for /metrics). */
  get credentialFailures(): Readonly<{ failures: number; throttled: number }> {
    return this.credentials.throttle.counts;
  }

  /** `api_key:secret`, however it came. */
  private async authenticateCredential(decoded: string, clientAddress: string | null): Promise<Authentication> {
    const colon = decoded.indexOf(':');
    const result = await this.credentials.authenticate(colon < 0 ? '' : decoded.slice(0, colon), colon < 0 ? decoded : decoded.slice(colon + 1), clientAddress);
    if (result.kind === 'throttled') {
      const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
      return { kind: 'rejected', reason: `too many failed attempts for this credential or address: try again in ${retryAfterSeconds} s`, scheme: 'basic', retryAfterSeconds };
    }
    if (result.kind !== 'valid') return { kind: 'rejected', reason: INVALID_CREDENTIALS, scheme: 'basic' };
    const c = result.credential;
    return {
      kind: 'authenticated',
      principal: {
        kind: 'node', brandId: c.brandId, nodeId: c.nodeId, credentialId: c.id, permissions: c.permissions,
        expiresAt: result.validUntil, secretGeneration: result.secretGeneration, via: 'basic',
      },
    };
  }

  private async authenticateNodeToken(token: string): Promise<Authentication> {
    const check = await this.nodeTokens.verify(token, this.clock.now());
    if (check.kind !== 'valid') return { ...check, scheme: 'bearer' };
    const live = await this.credentials.findUsable(check.apiKey);
    if (!live || live.id !== check.credentialId) return { kind: 'rejected', reason: 'the credential behind this token was revoked or has expired', scheme: 'bearer' };
    const validity = generationValidity(live, check.secretGeneration, this.clock.now());
    if (!validity) return { kind: 'rejected', reason: 'the secret this token was issued for has been rolled', scheme: 'bearer' };
    const expiresAt = validity.validUntil !== null && validity.validUntil < check.expiresAt ? validity.validUntil : check.expiresAt;
    return {
      kind: 'authenticated',
      principal: {
        kind: 'node', brandId: check.brandId, nodeId: check.nodeId, credentialId: check.credentialId, permissions: check.permissions,
        expiresAt, secretGeneration: check.secretGeneration, via: 'token',
      },
    };
  }
}
