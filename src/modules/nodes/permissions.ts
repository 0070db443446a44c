/**
 * Permissions are free-form dotted names (`payments.read`), so keypool can hold
 * the permissions of other systems and hand them back through verify; keypool
 * enforces its own nine. `*` is only ever a whole last segment and grants
 * everything below what comes before it: `integrations.*` grants
 * `integrations.read`, `*` grants everything. Matching is segment by segment,
 * so a `*` anywhere else (as a credential stored before this rule may hold)
 * grants only its own literal name. Pure.
 */
export const KEYPOOL_PERMISSIONS = [
  'integrations.read',
  'integrations.write',
  'integrations.lease',
  'events.subscribe',
  'nodes.read',
  'nodes.write',
  'alerts.read',
  'alerts.write',
  'audit.read',
] as const;

export type KeypoolPermission = (typeof KEYPOOL_PERMISSIONS)[number];

const SEGMENT = '[a-z0-9_-]+';
/** `*`, or two or more dotted segments of which only the last may be `*`. */
const PERMISSION = new RegExp(`^(?:\\*|${SEGMENT}(?:\\.${SEGMENT})*\\.(?:${SEGMENT}|\\*))$`);
/** What a permission may be made of: an entry of these characters is named in a refusal, any other only by its place. */
const PERMISSION_CHARACTERS = /^[a-z0-9_.*-]{1,100}$/;
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
  const at = (value as string[]).findIndex((p) => p.length > MAX_PERMISSION_LENGTH || !PERMISSION.test(p));
  if (at >= 0) {
    const bad = (value as string[])[at];
    const plain = PERMISSION_CHARACTERS.test(bad);
    const named = plain ? `${at + 1} ("${bad}")` : `${at + 1}`;
    const why = plain && bad.includes('*')
      ? '"*" may only be a whole last segment ("*", "integrations.*")'
      : `dotted segments of lowercase letters, digits, "_" or "-", the last of which may be "*", e.g. "payments.read", at most ${MAX_PERMISSION_LENGTH} characters`;
    return { kind: 'invalid', message: `${field} entry ${named} is not a permission: ${why}` };
  }
  return { kind: 'valid', permissions: unique };
}

/**
 * Whether one held permission covers the needed one, segment by segment: equal names, `*`, or
 * `a.*` for any name below `a` (`a.b`, `a.b.c`, `a.b.*`). A `*` that is not the whole last
 * segment matches nothing but itself.
 */
function covers(held: string, needed: string): boolean {
  if (held === needed || held === '*') return true;
  if (!held.endsWith('.*')) return false;
  const prefix = held.slice(0, -1); // "a.b." of "a.b.*"
  return !prefix.includes('*') && needed.length > prefix.length && needed.startsWith(prefix);
}

export function grants(held: readonly string[], needed: string): boolean {
  return held.some((p) => covers(p, needed));
}

/** The first of `wanted` that `held` does not grant: a credential never hands out more than it holds. */
export function firstNotHeld(held: readonly string[], wanted: readonly string[]): string | null {
  return wanted.find((p) => !grants(held, p)) ?? null;
}
