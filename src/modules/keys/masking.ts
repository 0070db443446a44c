/**
 * key_preview: each credential field masked as the documents show
 * ("sk-or-v1-abc123..." → "sk-o...123"). Never more than 7 characters of a
 * value are shown, and short values are masked whole.
 */
const FULL_MASK = '****';

export function maskValue(value: string): string {
  if (value.length >= 16) return `${value.slice(0, 4)}...${value.slice(-3)}`;
  if (value.length >= 10) return `${value.slice(0, 2)}...${value.slice(-2)}`;
  return FULL_MASK;
}

/** An environment reference ("env.NAME") is not a secret: it is shown as it is. */
export function maskCredentials(credentials: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(credentials).map(([field, value]) => [field, value.startsWith('env.') ? value : maskValue(value)]));
}
