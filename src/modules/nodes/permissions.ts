/**
 * Permissions are free-form dotted names (`payments.read`), so keypool can hold
 * the permissions of other systems and hand them back through verify; keypool
 * enforces its own six. A `*` segment grants everything below it:
 * `integrations.*` grants `integrations.read`, `*` grants everything. Pure.
 */
export const KEYPOOL_PERMISSIONS = [
  'integrations.read',
  'integrations.write',
  'integrations.lease',
  'events.subscribe',
  'nodes.read',
  'nodes.write',
] as const;

export type KeypoolPermission = (typeof KEYPOOL_PERMISSIONS)[number];

const SEGMENT = '(?:[a-z0-9_-]+|\\*)';
const PERMISSION = new RegExp(`^(?:\\*|${SEGMENT}(?:\\.${SEGMENT})+)$`);
export const MAX_PERMISSIONS = 64;
export const MAX_PERMISSION_LENGTH = 100;

export type PermissionCheck = { kind: 'valid'; permissions: string[] } | { kind: 'invalid'; message: string };

/** Checks a permission list as sent; duplicates are removed, order kept. */
export function validatePermissions(value: unknown, field: string): PermissionCheck {
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) {
    return { kind: 'invalid', message: `${field} must be an array of strings` };
  }
  const unique = [...new Set(value as string[])];
  if (unique.length > MAX_PERMISSIONS) return { kind: 'invalid', message: `${field} may hold at most ${MAX_PERMISSIONS} permissions` };
  const bad = unique.find((p) => p.length > MAX_PERMISSION_LENGTH || !PERMISSION.test(p));
  if (bad !== undefined) {
    return {
      kind: 'invalid',
      message: `${field} entry "${bad.slice(0, MAX_PERMISSION_LENGTH)}" is not a permission: dotted segments of lowercase letters, digits, "_" or "-" (or "*"), e.g. "payments.read", at most ${MAX_PERMISSION_LENGTH} characters`,
    };
  }
  return { kind: 'valid', permissions: unique };
}

/** Whether one held permission covers the needed one (`a.*` covers `a.b` and `a.b.c`; `*` covers all). */
function covers(held: string, needed: string): boolean {
  if (held === needed || held === '*') return true;
  const heldParts = held.split('.');
  const neededParts = needed.split('.');
  for (let i = 0; i < heldParts.length; i++) {
    if (heldParts[i] === '*') return i < neededParts.length;
    if (heldParts[i] !== neededParts[i]) return false;
  }
  return false;
}

export function grants(held: readonly string[], needed: string): boolean {
  return held.some((p) => covers(p, needed));
}

/** The first of `wanted` that `held` does not grant: a credential never hands out more than it holds. */
export function firstNotHeld(held: readonly string[], wanted: readonly string[]): string | null {
  return wanted.find((p) => !grants(held, p)) ?? null;
}
