/**
 * Authentication with a node credential, without a database round trip per
 * request: a credential is loaded by its api_key and kept for at most five
 * seconds, and dropped at once, on every instance, when it is revoked or
 * rolled (the revocation event). Unknown key, wrong secret, expired and
 * revoked all get one answer. last_used_at is noted at most once a minute.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UseRecorder } from '../../platform/db/use-recorder.js';
import { AuthThrottle, type ThrottleKey } from './auth-throttle.js';
import type { Clock } from '../../platform/time/clock.js';
import type { RevocationList } from '../brands/index.js';
import { isWellFormedApiKey, secretMatches } from './credential-format.js';
import { NodeCredentialSchema, type NodeCredentialEntity } from './node.entity.js';

/** The live state of a credential, as authentication needs it. */
export interface LiveCredential {
  id: string;
  brandId: string;
  nodeId: string;
  permissions: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  secretHash: string;
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
}

export type CredentialAuthentication =
  | {
      kind: 'valid';
      credential: LiveCredential;
      /** Which secret it was (a fingerprint of its hash): node tokens minted from it carry it. */
      secretGeneration: string;
      /** When this authentication stops being valid: the credential's expiry, or the end of a rolled secret's grace. */
      validUntil: Date | null;
    }
  | { kind: 'rejected' }
  /** Too many failed secrets for this credential or from this address: refused, whatever the secret, for this long. */
  | { kind: 'throttled'; retryAfterMs: number };

const CACHE_TTL_MS = 5000;
const CACHE_SIZE = 10_000;

function liveOf(c: NodeCredentialEntity): LiveCredential {
  return {
    id: c.id,
    brandId: c.brandId,
    nodeId: c.node.id,
    permissions: [...c.permissions],
    expiresAt: c.expiresAt ?? null,
    revokedAt: c.revokedAt ?? null,
    secretHash: c.secretHash,
    previousSecretHash: c.previousSecretHash ?? null,
    previousSecretExpiresAt: c.previousSecretExpiresAt ?? null,
  };
}

const isUsable = (c: LiveCredential, now: Date) => c.revokedAt === null && (c.expiresAt === null || c.expiresAt > now);

/** A secret's generation: a fingerprint of its stored hash, which changes with every roll and says nothing of the secret. */
export const secretGeneration = (secretHash: string) => createHash('sha256').update(`keypool/secret-generation/${secretHash}`).digest('base64url').slice(0, 22);

/** Whether a rolled secret's grace period still lasts. */
const inGrace = (c: LiveCredential, now: Date): c is LiveCredential & { previousSecretHash: string; previousSecretExpiresAt: Date } =>
  c.previousSecretHash !== null && c.previousSecretExpiresAt !== null && c.previousSecretExpiresAt > now;

/** Which secret this is: the current one, the previous one while its grace period lasts, or neither. */
export function matchSecret(c: LiveCredential, secret: string, now: Date): 'current' | 'previous' | null {
  if (secretMatches(secret, c.secretHash)) return 'current';
  return inGrace(c, now) && secretMatches(secret, c.previousSecretHash) ? 'previous' : null;
}

export const secretFits = (c: LiveCredential, secret: string, now: Date): boolean => matchSecret(c, secret, now) !== null;

const earlier = (a: Date | null, b: Date | null): Date | null => (a === null ? b : b === null || a < b ? a : b);

/**
 * What a secret generation (a node token's) is worth now: valid until the credential expires
 * (the current secret), or until the grace period of a rolled one ends; null once it is neither.
 */
export function generationValidity(c: LiveCredential, generation: string, now: Date): { validUntil: Date | null } | null {
  if (generation === secretGeneration(c.secretHash)) return { validUntil: c.expiresAt };
  if (inGrace(c, now) && generation === secretGeneration(c.previousSecretHash)) return { validUntil: earlier(c.expiresAt, c.previousSecretExpiresAt) };
  return null;
}

export class CredentialLookup {
  /** api_key → the credential as loaded (or null: no such key), and when it was loaded. */
  private readonly byApiKey = new Map<string, { credential: LiveCredential | null; loadedAtMs: number }>();
  /** Bumped by every revocation, so a load that was in flight when one arrived is not cached. */
  private forgetCount = 0;
  private readonly uses = new UseRecorder((id, at) => this.em.fork().nativeUpdate(NodeCredentialSchema, { id }, { lastUsedAt: at }));

  constructor(
    private readonly em: EntityManager,
    revocations: RevocationList,
    private readonly clock: Clock,
    /** Failed secrets per credential and per client address. */
    readonly throttle: AuthThrottle = new AuthThrottle(clock),
  ) {
    revocations.subscribe((r) => {
      if (r.kind === 'node_credential') this.forget(r.id);
    });
  }

  /**
   * HTTP Basic: one answer for unknown, wrong, expired and revoked alike. Failures are throttled
   * per credential and per `clientAddress`: past a few, every attempt waits (the answer says how long).
   */
  async authenticate(apiKey: string, secret: string, clientAddress: string | null = null): Promise<CredentialAuthentication> {
    const wellFormed = isWellFormedApiKey(apiKey);
    // A malformed api_key names no credential: only its address is counted.
    const keys: ThrottleKey[] = [...(wellFormed ? [{ credential: apiKey }] : []), ...(clientAddress ? [{ address: clientAddress }] : [])];
    const waitMs = this.throttle.waitMs(keys);
    if (waitMs > 0) return { kind: 'throttled', retryAfterMs: waitMs };
    const credential = wellFormed ? await this.load(apiKey) : null;
    const now = this.clock.now();
    const which = credential && isUsable(credential, now) ? matchSecret(credential, secret, now) : null;
    if (!credential || which === null) {
      this.throttle.failed(keys);
      return { kind: 'rejected' };
    }
    this.throttle.succeeded({ credential: apiKey });
    this.uses.note(credential.id, now);
    const current = which === 'current';
    return {
      kind: 'valid',
      credential,
      secretGeneration: secretGeneration(current ? credential.secretHash : credential.previousSecretHash!),
      validUntil: current ? credential.expiresAt : earlier(credential.expiresAt, credential.previousSecretExpiresAt),
    };
  }

  /** A credential as it stands (≤ 5 s old), for node tokens; null when it is gone, revoked or expired. */
  async findUsable(apiKey: string): Promise<LiveCredential | null> {
    const credential = await this.load(apiKey);
    return credential && isUsable(credential, this.clock.now()) ? credential : null;
  }

  /** The credential behind an api_key, at most five seconds old. */
  async load(apiKey: string): Promise<LiveCredential | null> {
    const nowMs = Date.now();
    const cached = this.byApiKey.get(apiKey);
    if (cached && nowMs - cached.loadedAtMs < CACHE_TTL_MS) return cached.credential;
    const forgetCountBefore = this.forgetCount;
    const row = await this.em.fork().findOne(NodeCredentialSchema, { apiKey });
    const credential = row && liveOf(row);
    if (forgetCountBefore !== this.forgetCount) return credential; // may predate the revocation: not kept
    if (this.byApiKey.size >= CACHE_SIZE) this.byApiKey.delete(this.byApiKey.keys().next().value!);
    this.byApiKey.set(apiKey, { credential, loadedAtMs: nowMs });
    return credential;
  }

  private forget(credentialId: string): void {
    this.forgetCount += 1;
    for (const [apiKey, entry] of this.byApiKey) if (entry.credential?.id === credentialId) this.byApiKey.delete(apiKey);
  }
}
