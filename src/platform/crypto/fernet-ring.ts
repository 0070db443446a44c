/**
 * Encryption at rest: an ordered ring of Fernet keys. The first key encrypts;
 * decryption tries each key in turn, so keys can be rotated without downtime.
 */
import { Fernet } from 'fernet-nodejs';

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

  /** The current (first) key; used to derive other keys, never exposed. */
  get primaryKey(): string {
    return this.keys[0];
  }

  static generateKey(): string {
    return Fernet.generateKey();
  }
}
