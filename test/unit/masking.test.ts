import { describe, expect, it } from 'vitest';
import { maskCredentials, maskValue } from '../../src/modules/keys/masking.js';

describe('key_preview masking', () => {
  it('shows four leading and three trailing characters of a long key, as documented', () => {
    expect(maskValue('sk-or-v1-abc123def456abc123')).toBe('sk-o...123');
  });

  it('shows less of a medium value and nothing of a short one', () => {
    expect(maskValue('abcdefghijk')).toBe('ab...jk');
    expect(maskValue('abc123')).toBe('****');
  });

  it('never shows more than 7 characters of any value', () => {
    for (let n = 1; n < 80; n++) {
      const value = 'x'.repeat(n);
      expect(maskValue(value).replace(/\.\.\.|\*/g, '').length).toBeLessThanOrEqual(Math.min(7, Math.floor(n / 2)));
    }
  });

  it('masks every credential field', () => {
    expect(maskCredentials({ api_key: 'cf-0123456789abcdef', account_id: 'acct-0123456789' })).toEqual({
      api_key: 'cf-0...def',
      account_id: 'ac...89',
    });
  });
});
