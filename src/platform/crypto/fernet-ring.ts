/**
 * Encryption at rest: an ordered ring of Fernet keys. The first key encrypts;
 * decryption tries each key in turn, so keys can be rotated without downtime.
 */
import { createHmac } from 'node:crypto';
import { Fernet } from 'fernet-nodejs';

/** A key's public name in messages and the canary: 32 bits of an HMAC under the key, never the key. */
export const keyId = (key: string) => `kid_${createHmac('sha256', Buffer.from(key, 'base64url')).update('keypool/key-id/v1').digest('hex').slice(0, 8)}`;

export class FernetRing {
  private readonly keys: string[];

  constructor(keys: string[]) {
    if (keys.length === 0) throw new Error('a Fernet key ring needs at least one key');
    for (const key of keys) Fernet.checkKey(key);
    this.keys = [...keys];
  }

  encrypt(plaintext: string): string {
    return Fernet.encrypt(plaintext, this.keys[0]);
  }

  decrypt(token: string): string {
    return this.decryptWithIndex(token).plaintext;
  }

  /** Which key of the ring opens the token (0 = the current one), for rotation. */
  decryptWithIndex(token: string): { plaintext: string; keyIndex: number } {
    for (let i = 0; i < this.keys.length; i++) {
      try {
        return { plaintext: Fernet.decrypt(token, this.keys[i]), keyIndex: i };
      } catch {
        // not this key: try the next one
      }
    }
    throw new Error('no key of the ring can decrypt this token');
  }

  /** Ids of the ring's keys, current first: short, public, not reversible (see `keyId`). */
  keyIds(): string[] {
    return this.keys.map(keyId);
  }

  static generateKey(): string {
    return Fernet.generateKey();
  }
}
