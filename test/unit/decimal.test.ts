import { describe, expect, it } from 'vitest';
import { decimalText } from '../../src/platform/numbers/decimal.js';

describe('decimalText', () => {
  it.each([
    [1e-7, '0.0000001'],
    [0.0000001, '0.0000001'],
    [0.00000001, '0.00000001'],
    [1.5e-10, '0.00000000015'],
    [2.5e21, '2500000000000000000000'],
    [500, '500'],
    [0.1, '0.1'],
    ['1e-7', '0.0000001'],
    ['2.50E+2', '250'],
    ['-3.25e1', '-32.5'],
    ['12.50', '12.50'],
    ['0e5', '0'],
  ])('writes %s as %s, exactly', (input, expected) => {
    expect(decimalText(input)).toBe(expected);
  });

  it.each([[Number.NaN], [Infinity], ['abc'], ['1e'], ['0x10'], [''], ['1.'], ['1e99999']])('refuses %s', (input) => {
    expect(decimalText(input)).toBeNull();
  });
});
