/**
 * The only code that turns credentials into ciphertext and back. Plaintext
 * leaves it only through `open`, which the lease path calls (and a full
 * replacement of a key, to keep the secrets sent back as their redacted
 * rendering).
 */
import { FernetRing } from '../../platform/crypto/fernet-ring.js';
import { Fingerprinter } from '../../platform/crypto/fingerprint.js';
import { keyViewOf, type KeyDocument, type KeyView } from './key-document.js';
import { maskCredentials } from './masking.js';

export interface SealedCredentials {
  encrypted: string;
  fingerprint: string;
  preview: Record<string, string>;
  view: KeyView;
}

/**
 * A document without a key config is sealed as its bare credential object (the format of every
 * key written before key configs existed), one with a key config as { credentials, key_config }.
 */
function serialize(doc: KeyDocument): string {
  return JSON.stringify(doc.keyConfig === null ? doc.credentials : { credentials: doc.credentials, key_config: doc.keyConfig });
}

function deserialize(plaintext: string): KeyDocument {
  const parsed = JSON.parse(plaintext) as Record<string, unknown>;
  if (typeof parsed.credentials === 'object' && parsed.credentials !== null) {
    return { credentials: parsed.credentials as Record<string, string>, keyConfig: (parsed.key_config ?? null) as KeyDocument['keyConfig'] };
  }
  return { credentials: parsed as Record<string, string>, keyConfig: null };
}

/** What duplicate detection compares: the credential fields, and the key config when there is one. */
function fingerprinted(doc: KeyDocument): Record<string, string> {
  if (doc.keyConfig === null) return doc.credentials;
  const config = JSON.stringify(Object.keys(doc.keyConfig.fields).sort().map((k) => [k, doc.keyConfig!.fields[k]]));
  return { ...doc.credentials, '\u0000key_config': `${doc.keyConfig.kind}:${config}` };
}

export class CredentialVault {
  private readonly ring: FernetRing;
  private readonly fingerprints: Fingerprinter;

  constructor(encryptionKeys: string[]) {
    this.ring = new FernetRing(encryptionKeys);
    this.fingerprints = new Fingerprinter(encryptionKeys);
  }

  seal(provider: string, doc: KeyDocument): SealedCredentials {
    return {
      encrypted: this.ring.encrypt(serialize(doc)),
      fingerprint: this.fingerprints.fingerprint(provider, fingerprinted(doc)),
      preview: maskCredentials(doc.credentials),
      view: keyViewOf(doc),
    };
  }

  open(encrypted: string): KeyDocument {
    return deserialize(this.ring.decrypt(encrypted));
  }

  /** Fingerprints under every key of the ring, to find duplicates not yet rotated. */
  allFingerprints(provider: string, doc: KeyDocument): string[] {
    return this.fingerprints.allFingerprints(provider, fingerprinted(doc));
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
    return this.seal(provider, deserialize(plaintext));
  }
}
