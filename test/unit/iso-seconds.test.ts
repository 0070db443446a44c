import { describe, expect, it } from 'vitest';
import { isoSeconds } from '../../src/platform/time/dates.js';

/** What isoSeconds promises, worked out afresh for each date. */
const expected = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('isoSeconds', () => {
  it('writes a time to the second, the milliseconds cut off, the same text however often a second is written', () => {
    expect(isoSeconds(new Date('2026-02-26T15:00:00.999Z'))).toBe('2026-02-26T15:00:00Z');
    expect(isoSeconds(new Date('2026-02-26T15:00:00.000Z'))).toBe('2026-02-26T15:00:00Z');
    expect(isoSeconds(new Date('2026-02-26T15:00:01.001Z'))).toBe('2026-02-26T15:00:01Z');
  });

  it('cuts towards the earlier second before 1970 too, and writes years past 9999 as toISOString does', () => {
    expect(isoSeconds(new Date('1969-12-31T23:59:59.500Z'))).toBe('1969-12-31T23:59:59Z');
    expect(isoSeconds(new Date(-1))).toBe('1969-12-31T23:59:59Z');
    const far = new Date('+010000-01-01T00:00:00.250Z');
    expect(isoSeconds(far)).toBe('+010000-01-01T00:00:00Z');
  });

  it('agrees with toISOString for every millisecond of a run of times, more than the texts it keeps', () => {
    const start = Date.UTC(2026, 11, 5, 12, 0, 0);
    for (let ms = 0; ms < 10_000_000; ms += 997) {
      const d = new Date(start + ms);
      expect(isoSeconds(d)).toBe(expected(d));
    }
  });
});
