/**
 * Lease ids are signed tokens: they carry what a usage report needs (which
 * key, which brand, whether it was a probe, when it expires), so a lease
 * costs no insert. Only a reported lease is written, to refuse a second report.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { timeOrderedUuid } from '../../platform/crypto/time-ordered-uuid.js';
import type { Reservation } from './pool-input.js';

export interface LeaseClaims {
  /**
   * Unique id of this lease (the row a report writes): a time-ordered UUID (version 7), so the
   * at-most-once index of reported leases grows at its right edge, as a log does, rather than
   * touching a random page of ten minutes' reports with every insert.
   */
  leaseUuid: string;
  integrationId: number;
  brandId: string;
  expiresAt: Date;
  probe: boolean;
  nodeId: string | null;
  /** The model the lease asked for, for the usage ledger. */
  model: string | null;
  /** Tokens reserved of the key's token limits, and the minute and day they count in (null: none). */
  reservation?: Reservation | null;
  /** The lease is open under the key's concurrency limit until it is reported. */
  open?: boolean;
}

type Wire = { u: string; i: number; b: string; e: number; p: 0 | 1; n?: string; m?: string; r?: [number, number, string] | [number, number, string, string]; o?: 1 };

const derive = (secret: string) => Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), 'keypool/lease/v1', 32));

export class LeaseTokenSigner {
  private readonly keys: Buffer[];

  constructor(secrets: string[]) {
    this.keys = secrets.map(derive);
  }

  /** Signs a lease (its id given when the pool recorded it before signing: an open lease). */
  sign(claims: Omit<LeaseClaims, 'leaseUuid'> & { leaseUuid?: string }): { token: string; leaseUuid: string } {
    const leaseUuid = claims.leaseUuid ?? timeOrderedUuid();
    const wire: Wire = { u: leaseUuid, i: claims.integrationId, b: claims.brandId, e: claims.expiresAt.getTime(), p: claims.probe ? 1 : 0 };
    if (claims.nodeId) wire.n = claims.nodeId;
    if (claims.model) wire.m = claims.model;
    const reserved = claims.reservation;
    if (reserved) wire.r = reserved.group ? [reserved.tokens, reserved.minute.getTime(), reserved.day, reserved.group] : [reserved.tokens, reserved.minute.getTime(), reserved.day];
    if (claims.open) wire.o = 1;
    const payload = Buffer.from(JSON.stringify(wire)).toString('base64url');
    return { token: `kpl_${payload}.${this.mac(this.keys[0], payload)}`, leaseUuid };
  }

  /** The claims of a genuine token, or null for anything forged, truncated or malformed. */
  verify(token: string): LeaseClaims | null {
    const match = /^kpl_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, payload, mac] = match;
    // Compared as text: base64url's last character carries two unused bits, so comparing
    // decoded bytes would accept a second spelling of the same MAC.
    const given = Buffer.from(mac);
    if (!this.keys.some((key) => timingSafeEqual(Buffer.from(this.mac(key, payload)), given))) return null;
    try {
      const w = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Wire;
      return {
        leaseUuid: w.u, integrationId: w.i, brandId: w.b, expiresAt: new Date(w.e), probe: w.p === 1, nodeId: w.n ?? null, model: w.m ?? null,
        reservation: w.r ? { tokens: w.r[0], minute: new Date(w.r[1]), day: w.r[2], group: w.r[3] ?? null } : null, open: w.o === 1,
      };
    } catch {
      return null;
    }
  }

  private mac(key: Buffer, payload: string): string {
    return createHmac('sha256', key).update(payload).digest('base64url');
  }
}
