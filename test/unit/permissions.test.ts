import { describe, expect, it } from 'vitest';
import { generateApiKey, generateSecret, hashSecret, isWellFormedApiKey, secretMatches } from '../../src/modules/nodes/credential-format.js';
import { firstNotHeld, grants, validatePermissions } from '../../src/modules/nodes/permissions.js';

describe('permissions', () => {
  it.each([
    [['integrations.read'], 'integrations.read', true],
    [['integrations.read'], 'integrations.write', false],
    [['integrations.*'], 'integrations.write', true],
    [['integrations.*'], 'nodes.read', false],
    [['*'], 'nodes.write', true],
    [['payments.*'], 'payments.refunds.create', true],
    [['payments.read'], 'payments', false],
    [[], 'integrations.read', false],
    [['integrations.*'], 'integrations.read.own', true],
    [['a.*'], 'a.b.*', true],
    // A "*" anywhere but as the whole last segment matches only its own literal name.
    [['*.read'], 'payments.write', false],
    [['*.read'], 'payments.read', false],
    [['*.read'], 'integrations.write', false],
    [['integrations.*.view'], 'integrations.write', false],
    [['*.*'], 'nodes.write', false],
    [['integrations.*'], 'integrations', false],
  ])('%j grants %s: %s', (held, needed, expected) => {
    expect(grants(held, needed)).toBe(expected);
  });

  it('never lets a credential hand on more than it holds', () => {
    expect(firstNotHeld(['integrations.*'], ['integrations.read', 'integrations.lease'])).toBeNull();
    expect(firstNotHeld(['integrations.read'], ['integrations.*'])).toBe('integrations.*');
    expect(firstNotHeld(['integrations.read'], ['payments.read'])).toBe('payments.read');
  });

  it('accepts the document\'s own example and dotted names with "*" segments, removing duplicates', () => {
    expect(validatePermissions(['payments.read', 'payments.create', 'payments.read'], 'permissions')).toEqual({ kind: 'valid', permissions: ['payments.read', 'payments.create'] });
    expect(validatePermissions(['*', 'integrations.*', 'a-b.c_d.9'], 'permissions').kind).toBe('valid');
  });

  it.each([['Payments.read'], ['payments'], ['payments..read'], ['payments.read '], ['x'.repeat(50) + '.' + 'y'.repeat(50)], ['*.read'], ['a.*.b'], ['a.b*']])('refuses %s', (bad) => {
    expect(validatePermissions([bad], 'permissions')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('is not a permission') });
  });

  it('names a misplaced "*" and says where it may go; names any other bad entry only by its place', () => {
    expect(validatePermissions(['payments.read', '*.read'], 'permissions')).toEqual({ kind: 'invalid', message: 'permissions entry 2 ("*.read") is not a permission: "*" may only be a whole last segment ("*", "integrations.*")' });
    expect(validatePermissions(['sk-Secret Value'], 'permissions')).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^permissions entry 1 is not a permission: /) });
  });

  it('refuses non-arrays and more than 64 entries', () => {
    expect(validatePermissions('payments.read', 'permissions')).toEqual({ kind: 'invalid', message: 'permissions must be an array of strings' });
    expect(validatePermissions([1], 'permissions')).toEqual({ kind: 'invalid', message: 'permissions must be an array of strings' });
    expect(validatePermissions(Array.from({ length: 65 }, (_, i) => `p.n${i}`), 'permissions')).toEqual({ kind: 'invalid', message: 'permissions may hold at most 64 permissions' });
  });
});

describe('credential format', () => {
  it('makes recognisable api_keys with a checksum that catches a typo', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^kpn_[0-9A-Za-z]{28}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    const typo = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    expect(isWellFormedApiKey(typo)).toBe(false);
    expect(new Set(Array.from({ length: 1000 }, generateApiKey)).size).toBe(1000);
  });

  it('makes secrets of 256 random bits, stored only as a hash that matches in constant time', () => {
    const secret = generateSecret();
    expect(Buffer.from(secret.slice(4), 'base64url')).toHaveLength(32);
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret}x`, hash)).toBe(false);
  });
});
