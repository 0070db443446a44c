import { describe, expect, it } from 'vitest';
import { ClientTokenSigner } from '../../src/modules/brands/client-token.js';

const oldSecret = 'o'.repeat(40);
const newSecret = 'n'.repeat(40);
const now = new Date('2026-03-01T00:00:00Z');
const inAnHour = new Date('2026-03-01T01:00:00Z');

describe('ClientTokenSigner', () => {
  it('accepts tokens signed by any secret of the ring, so the secret can be rotated', async () => {
    const old = await new ClientTokenSigner([oldSecret]).sign('brand-1', 'token-1', now, inAnHour);
    const rotated = new ClientTokenSigner([newSecret, oldSecret]);
    expect(await rotated.verify(old, now)).toEqual({ kind: 'valid', brandId: 'brand-1', tokenId: 'token-1', expiresAt: inAnHour });
    expect(await new ClientTokenSigner([newSecret]).verify(old, now)).toEqual({ kind: 'rejected', reason: 'token signature is invalid' });
  });

  it('rejects a token after it expires, even once it was verified and remembered', async () => {
    const signer = new ClientTokenSigner([oldSecret]);
    const token = await signer.sign('brand-1', 'token-1', now, inAnHour);
    expect((await signer.verify(token, now)).kind).toBe('valid');
    expect(await signer.verify(token, new Date('2026-03-01T01:00:01Z'))).toEqual({ kind: 'rejected', reason: 'token has expired' });
  });

  it('remembers a token only once it verified, and only within its validity (the authenticator looks there before its admin comparison)', async () => {
    const signer = new ClientTokenSigner([oldSecret]);
    const token = await signer.sign('brand-1', 'token-1', now, inAnHour);
    expect(signer.remembered(token, now)).toBeNull();
    expect(await signer.verify(`${token}x`, now)).toMatchObject({ kind: 'rejected' });
    expect(signer.remembered(`${token}x`, now)).toBeNull();
    await signer.verify(token, now);
    expect(signer.remembered(token, now)).toEqual({ kind: 'valid', brandId: 'brand-1', tokenId: 'token-1', expiresAt: inAnHour });
    expect(signer.remembered(token, inAnHour)).toBeNull();
  });
});
