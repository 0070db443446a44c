import { describe, expect, it } from 'vitest';
import { timeOrderedUuid, timeOrderedUuidFloor } from '../../src/platform/crypto/time-ordered-uuid.js';

describe('timeOrderedUuid', () => {
  it('puts the milliseconds in the first 48 bits, then version 7, the RFC variant and random bits', () => {
    const at = Date.parse('2026-12-05T14:00:00.123Z');
    const id = timeOrderedUuid(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    expect(timeOrderedUuid(at)).not.toBe(id);
    // A later millisecond sorts after, whatever the random bits.
    for (let i = 0; i < 200; i++) expect(timeOrderedUuid(at + 1) > timeOrderedUuid(at)).toBe(true);
    // The time is padded to its 48 bits.
    expect(timeOrderedUuid(0)).toMatch(/^00000000-0000-7/);
  });

  it('has a floor per millisecond: every id of that millisecond or later sorts at or after it, every earlier one before', () => {
    const at = Date.parse('2026-12-05T14:00:00.123Z');
    for (let i = 0; i < 200; i++) {
      expect(timeOrderedUuid(at) >= timeOrderedUuidFloor(at)).toBe(true);
      expect(timeOrderedUuid(at - 1) < timeOrderedUuidFloor(at)).toBe(true);
    }
  });
});
