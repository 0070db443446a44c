/**
 * What node credentials look like. The api_key is a public, recognisable
 * identifier (`kpn_` + 24 base62 characters + a 4-character checksum, so
 * scanners and people can tell a keypool key from noise); the secret carries
 * 256 bits of randomness and is stored only as its SHA-256 (right for random
 * secrets: nothing to brute-force), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PREFIX = 'kpn_';
export const SECRET_PREFIX = 'kps_';
const API_KEY = /^kpn_([0-9A-Za-z]{24})([0-9A-Za-z]{4})$/;

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const byte of bytes) {
    if (byte >= 248) continue; // 248 = 62 × 4: unbiased
    out += BASE62[byte % 62];
    if (out.length === length) return out;
  }
  return out + base62(randomBytes(length), length - out.length);
}

function checksum(body: string): string {
  const digest = createHash('sha256').update(`keypool/api-key/${body}`).digest();
  return base62(digest, 4);
}

export function generateApiKey(): string {
  const body = base62(randomBytes(32), 24);
  return `${API_KEY_PREFIX}${body}${checksum(body)}`;
}

/** Whether the text is a well-formed api_key with a valid checksum (a typo never reaches the database). */
export function isWellFormedApiKey(apiKey: string): boolean {
  const match = API_KEY.exec(apiKey);
  return match !== null && checksum(match[1]) === match[2];
}

export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
