import { describe, expect, it } from 'vitest';
import { LeaseTokenSigner } from '../../src/modules/pool/lease-token.js';

const claims = { integrationId: 7, brandId: '0b7e7d52-5b55-4f43-9c1c-2f1e0c1a2b3c', expiresAt: new Date('2026-12-05T12:05:00Z'), probe: false, nodeId: null, model: 'm' };

describe('LeaseTokenSigner', () => {
  it('reads back what it signed, and nothing signed with another secret or altered', () => {
    const signer = new LeaseTokenSigner(['secret-one']);
    const { token, leaseUuid } = signer.sign(claims);
    expect(signer.verify(token)).toMatchObject({ ...claims, leaseUuid, reservation: null, open: false });
    expect(new LeaseTokenSigner(['secret-two']).verify(token)).toBeNull();
    // A rolled secret still reads the tokens of the one before.
    expect(new LeaseTokenSigner(['secret-two', 'secret-one']).verify(token)).not.toBeNull();
    const [payload, mac] = token.slice(4).split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), i: 8 })).toString('base64url');
    expect(signer.verify(`kpl_${altered}.${mac}`)).toBeNull();
  });

  it('gives leases time-ordered ids (UUID version 7), so the reported leases\' index grows at its right edge', async () => {
    const signer = new LeaseTokenSigner(['secret-one']);
    // Five rounds of ids, each round in a later millisecond than the one before.
    const rounds: string[][] = [];
    for (let round = 0; round < 5; round++) {
      const started = Date.now();
      while (Date.now() === started) await new Promise((resolve) => setTimeout(resolve, 1));
      rounds.push(Array.from({ length: 400 }, () => signer.sign(claims).leaseUuid));
    }
    const ids = rounds.flat();
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // As PostgreSQL compares uuids (bytewise, which is how their text sorts): every id of a later millisecond after every earlier one.
    for (let round = 1; round < rounds.length; round++) expect(rounds[round].reduce((a, b) => (a < b ? a : b)) > rounds[round - 1].reduce((a, b) => (a > b ? a : b))).toBe(true);
    // Their leading 48 bits are the time of issue in milliseconds.
    expect(Math.abs(parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });
});
