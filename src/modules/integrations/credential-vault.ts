/**
 * The only code that turns credentials into ciphertext and back. Plaintext
 * leaves it only through `open`, which only the lease path calls.
 */
import { FernetRing } from '../../platform/crypto/fernet-ring.js';
import { Fingerprinter } from '../../platform/crypto/fingerprint.js';
import { maskCredentials } from './masking.js';

export interface SealedCredentials {
  encrypted: string;
  fingerprint: string;
  preview: Record<string, string>;
}

export class CredentialVault {
  private readonly ring: FernetRing;
  private readonly fingerprints: Fingerprinter;

  constructor(encryptionKeys: string[]) {
    this.ring = new FernetRing(encryptionKeys);
    this.fingerprints = new Fingerprinter(encryptionKeys);
  }

  seal(provider: string, credentials: Record<string, string>): SealedCredentials {
    return {
      encrypted: this.ring.encrypt(JSON.stringify(credentials)),
      fingerprint: this.fingerprints.fingerprint(provider, credentials),
      preview: maskCredentials(credentials),
    };
  }

  open(encrypted: string): Record<string, string> {
    return JSON.parse(this.ring.decrypt(encrypted));
  }

  /** Fingerprints under every key of the ring, to find duplicates not yet rotated. */
  allFingerprints(provider: string, credentials: Record<string, string>): string[] {
    return this.fingerprints.allFingerprints(provider, credentials);
  }

  /** Whether some key of the ring opens the token. */
  canOpen(encrypted: string): boolean {
    try {
      this.ring.decrypt(encrypted);
      return true;
    } catch {
      return false;
    }
  }

  /** Seals a text that is not a credential (the encryption canary). */
  sealText(text: string): string {
    return this.ring.encrypt(text);
  }

  keyIds(): string[] {
    return this.ring.keyIds();
  }

  /** Re-seals a token with the current key if an older key made it; null when it is current. */
  reseal(provider: string, encrypted: string): SealedCredentials | null {
    const { plaintext, keyIndex } = this.ring.decryptWithIndex(encrypted);
    if (keyIndex === 0) return null;
    return this.seal(provider, JSON.parse(plaintext));
  }
}
