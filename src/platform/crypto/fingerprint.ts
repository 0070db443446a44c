/**
 * Keyed fingerprints for duplicate detection: HMAC-SHA256 under a key derived
 * from each encryption secret, so equal credentials can be found without ever
 * comparing or storing plaintext. The first key's fingerprint is stored; the
 * others find rows not yet rotated.
 */
import { createHmac, hkdfSync } from 'node:crypto';

const deriveKey = (secret: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), Buffer.alloc(0), 'keypool/fingerprint/v1', 32));

export class Fingerprinter {
  private readonly keys: Buffer[];

  constructor(secrets: string[]) {
    this.keys = secrets.map(deriveKey);
  }

  /** The stored fingerprint of a provider's credential object; key order does not matter. */
  fingerprint(provider: string, credentials: Record<string, string>): string {
    return this.fingerprintWith(this.keys[0], provider, credentials);
  }

  /** The fingerprint under every key of the ring, current first. */
  allFingerprints(provider: string, credentials: Record<string, string>): string[] {
    return this.keys.map((key) => this.fingerprintWith(key, provider, credentials));
  }

  private fingerprintWith(key: Buffer, provider: string, credentials: Record<string, string>): string {
    const canonical = JSON.stringify(Object.keys(credentials).sort().map((k) => [k, credentials[k]]));
    return createHmac('sha256', key).update(`${provider}\n${canonical}`).digest('base64url');
  }
}
