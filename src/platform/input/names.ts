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
