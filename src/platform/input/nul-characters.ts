/**
 * PostgreSQL text cannot hold NUL (U+0000): a string carrying one must be refused
 * as bad input, naming where it was, before it reaches a statement.
 */
const NUL = '\u0000';

/** The path of the first string (or object key) holding a NUL character, e.g. "credentials.api_key"; null when none does. */
export function findNulCharacter(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path || 'value' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulCharacter(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes(NUL)) return path || 'a field name';
      const found = findNulCharacter(child, childPath);
      if (found) return found;
    }
  }
  return null;
}

export const nulCharacterMessage = (path: string) => `${path} must not contain NUL characters (\\u0000)`;
