/** Names people give things (brands, nodes, credentials, labels): 1 to 255 characters, trimmed, no NUL. */
import { AppError } from '../errors/app-error.js';
import { findNulCharacter, nulCharacterMessage } from './nul-characters.js';

export const MAX_NAME_LENGTH = 255;

export function requireName(value: unknown, field: string): string {
  if (value === undefined || value === null) throw new AppError('request.invalid', `${field} is required`);
  if (typeof value !== 'string') throw new AppError('request.invalid', `${field} must be a string`);
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw new AppError('request.invalid', `${field} must be 1 to ${MAX_NAME_LENGTH} characters`);
  if (findNulCharacter(name)) throw new AppError('request.invalid', nulCharacterMessage(field));
  return name;
}

/**
 * A field name as an error may repeat it: identifier-like and short. Anything else sent where a
 * field name goes (a key pasted into the wrong place) is not repeated, only counted.
 */
export function sayableFieldNames(names: readonly string[]): string {
  const sayable = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(n));
  const unsaid = names.length - sayable.length;
  return [...sayable, ...(unsaid > 0 ? [`${unsaid === 1 ? 'one' : unsaid} not repeated (not a field name)`] : [])].join(', ');
}
