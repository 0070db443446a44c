import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FernetRing } from '../../src/platform/crypto/fernet-ring.js';

const spec = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/fernet-spec/${name}.json`, import.meta.url), 'utf8'));
const generate: { token: string; src: string; secret: string; iv: number[]; now: string }[] = spec('generate');
const verify: { token: string; src: string; secret: string }[] = spec('verify');
const invalid: { desc: string; token: string; secret: string }[] = spec('invalid');
// The `fernet` package (kept as a dev dependency only) proves interoperability.
const legacyFernet = createRequire(import.meta.url)('fernet');

describe('FernetRing against the official Fernet spec vectors', () => {
  it.each(verify)('decrypts the verify vector to "$src"', ({ token, secret, src }) => {
    expect(new FernetRing([secret]).decrypt(token)).toBe(src);
  });

  it.each(generate)('decrypts the generate vector and produces tokens of the same layout', ({ token, secret, src }) => {
    const ring = new FernetRing([secret]);
    expect(ring.decrypt(token)).toBe(src);
    const made = Buffer.from(ring.encrypt(src), 'base64url');
    expect(made[0]).toBe(0x80);
    expect(made.length).toBe(Buffer.from(token, 'base64url').length);
    expect(ring.decrypt(made.toString('base64url'))).toBe(src);
  });

  // At rest there is no TTL: the TTL-only vectors do not apply (see fernet-spec/README.md).
  const ttlOnly = ['expired TTL', 'far-future TS (unacceptable clock skew)'];
  it.each(invalid.filter((v) => !ttlOnly.includes(v.desc)))('rejects the invalid vector "$desc"', ({ token, secret }) => {
    expect(() => new FernetRing([secret]).decrypt(token)).toThrow('no key of the ring can decrypt this token');
  });
});

describe('FernetRing as a key ring', () => {
  const [oldKey, newKey] = [FernetRing.generateKey(), FernetRing.generateKey()];

  it('encrypts with the first key and decrypts with whichever key fits', () => {
    const old = new FernetRing([oldKey]).encrypt('sk-secret');
    const ring = new FernetRing([newKey, oldKey]);
    expect(ring.decryptWithIndex(old)).toEqual({ plaintext: 'sk-secret', keyIndex: 1 });
    expect(ring.decryptWithIndex(ring.encrypt('sk-secret'))).toEqual({ plaintext: 'sk-secret', keyIndex: 0 });
    expect(() => new FernetRing([newKey]).decrypt(old)).toThrow();
  });

  it('refuses an empty ring or a malformed key', () => {
    expect(() => new FernetRing([])).toThrow(/at least one key/);
    expect(() => new FernetRing(['short'])).toThrow();
  });
});

describe('interoperability with the `fernet` package', () => {
  const key = FernetRing.generateKey();

  it('decrypts tokens that `fernet` made', () => {
    const secret = new legacyFernet.Secret(key);
    const token = new legacyFernet.Token({ secret }).encode('{"api_key":"sk-interop"}');
    expect(new FernetRing([key]).decrypt(token)).toBe('{"api_key":"sk-interop"}');
  });

  it('makes tokens that `fernet` decrypts', () => {
    const token = new FernetRing([key]).encrypt('{"api_key":"sk-interop"}');
    const secret = new legacyFernet.Secret(key);
    expect(new legacyFernet.Token({ secret, token, ttl: 0 }).decode()).toBe('{"api_key":"sk-interop"}');
  });
});
