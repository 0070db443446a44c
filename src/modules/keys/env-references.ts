/**
 * Environment references: a key's credential may name an environment
 * variable (`env.NAME`) instead of holding the secret, resolved at lease time
 * from the operator's allow-list only. The module's own settings type: the
 * configuration builds one, the module never reads the environment itself.
 */
export interface EnvReferences {
  allowlist: readonly string[];
  lookup: (name: string) => string | undefined;
}

/** keypool's own variables (and libpq's): no key may ever read them, whatever the allow-list says. */
export const isServerVariable = (name: string) => /^KEYPOOL_/i.test(name) || /^DATABASE_URL$/i.test(name) || /^PG[A-Z]/i.test(name);
