/**
 * Keyed fingerprints for duplicate detection: HMAC-SHA256 under a key derived
 * from the encryption secret, so equal credentials can be found without ever
 * comparing or storing plaintext.
 */
import { createHmac, hkdfSync } from 'node:crypto';

export class Fingerprinter {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), Buffer.alloc(0), 'keypool/fingerprint/v1', 32));
  }

  /** Fingerprint of a provider's credential object; key order does not matter. */
  fingerprint(provider: string, credentials: Record<string, string>): string {
    const canonical = JSON.stringify(Object.keys(credentials).sort().map((k) => [k, credentials[k]]));
    return createHmac('sha256', this.key).update(`${provider}\n${canonical}`).digest('base64url');
  }
}
