import { expect } from 'vitest';

/** An error message is either exactly as documented (string) or of a documented shape (RegExp). */
export function expectMessage(actual: unknown, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(actual).toBe(expected);
  else expect(actual).toMatch(expected);
}
