/**
 * What a key's ciphertext holds: its credential fields and, for providers
 * that have one, its Bifrost key config. Every secret is a plain string or a
 * reference "env.NAME", resolved only at lease time. Outside the ciphertext a
 * key is known only by its renderings: the v1 `key_preview` and the Bifrost
 * `{ value, env_var, from_env }` views, redacted by Bifrost's rule.
 */
import { badRequest } from '../../platform/errors/app-error.js';
import { sayableFieldNames } from '../../platform/input/names.js';
import { isEnvVarField, KEY_CONFIGS, type KeyConfigKind } from '../providers/index.js';

export interface KeyConfigValue {
  kind: KeyConfigKind;
  /** The config's fields: secrets as strings (plain or "env.NAME"), settings as given. */
  fields: Record<string, unknown>;
}

export interface KeyDocument {
  credentials: Record<string, string>;
  keyConfig: KeyConfigValue | null;
}

/** A secret as Bifrost renders it. */
export interface SecretView {
  value: string;
  env_var: string;
  from_env: boolean;
}

/** The stored, plaintext-free rendering of a key's secrets and config settings. */
export interface KeyView {
  value: SecretView;
  /** The key config with each secret as a SecretView; null when the key has none. */
  config: Record<string, unknown> | null;
}

const ENV_PREFIX = 'env.';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_SECRET = 8192;

export const isEnvReference = (secret: string) => secret.startsWith(ENV_PREFIX);
export const envNameOf = (secret: string) => secret.slice(ENV_PREFIX.length);

/** Bifrost's redaction: up to 8 characters become as many `*`; longer values keep 4 at each end around 24 `*`. */
export function redact(value: string): string {
  if (value.length <= 8) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}${'*'.repeat(24)}${value.slice(-4)}`;
}

/** A value that looks like a redacted rendering rather than a secret. */
export const isMaskedPlaceholder = (value: string) => /^\*+$/.test(value) || /^[^*]{0,4}\*{24}[^*]{0,4}$/s.test(value);

export function secretView(secret: string | undefined): SecretView {
  if (secret === undefined) return { value: '', env_var: '', from_env: false };
  if (isEnvReference(secret)) return { value: '', env_var: secret, from_env: true };
  return { value: redact(secret), env_var: '', from_env: false };
}

/**
 * A secret as a caller may send it: a plain string, "env.NAME", or { value, env_var, from_env }.
 * Returns the stored form (the string, or "env.NAME"); undefined for null/absent/empty.
 */
export function parseSecret(input: unknown, path: string): string | undefined {
  if (input === undefined || input === null) return undefined;
  let text: unknown = input;
  if (typeof input === 'object' && !Array.isArray(input)) {
    const { value, env_var: envVar, from_env: fromEnv, ...rest } = input as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw badRequest(`${path} has unknown field${extra.length > 1 ? 's' : ''} ${sayableFieldNames(extra)} (accepted: value, env_var, from_env)`);
    if (fromEnv !== undefined && typeof fromEnv !== 'boolean') throw badRequest(`${path}.from_env must be a boolean`);
    if (envVar !== undefined && envVar !== null && typeof envVar !== 'string') throw badRequest(`${path}.env_var must be a string`);
    if (fromEnv === true) {
      if (typeof envVar !== 'string' || envVar === '') throw badRequest(`${path}.env_var is required when from_env is true`);
      text = envVar.startsWith(ENV_PREFIX) ? envVar : `${ENV_PREFIX}${envVar}`;
    } else {
      text = value ?? '';
    }
  }
  if (typeof text !== 'string') throw badRequest(`${path} must be a string, "env.NAME", or {"value", "env_var", "from_env"}`);
  if (text.length > MAX_SECRET) throw badRequest(`${path} must be at most ${MAX_SECRET} characters`);
  if (text === '') return undefined;
  if (isEnvReference(text) && !ENV_NAME.test(envNameOf(text))) {
    throw badRequest(`${path} does not name a valid environment variable ("env.NAME": a letter or "_", then letters, digits or "_")`);
  }
  return text;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a Bifrost key config of one kind; returns its fields with secrets in stored form. */
export function parseKeyConfig(kind: KeyConfigKind, input: unknown): KeyConfigValue | null {
  const schema = KEY_CONFIGS[kind];
  if (input === undefined || input === null) return null;
  if (!isPlainObject(input)) throw badRequest(`${schema.field} must be an object`);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const type = schema.fields[name];
    const path = `${schema.field}.${name}`;
    if (type === undefined) throw badRequest(`${schema.field} has unknown field ${sayableFieldNames([name])} (accepted: ${Object.keys(schema.fields).join(', ')})`);
    if (value === null || value === undefined) continue;
    if (isEnvVarField(type)) {
      const secret = parseSecret(value, path);
      if (secret !== undefined) fields[name] = secret;
    } else if (type === 'boolean') {
      if (typeof value !== 'boolean') throw badRequest(`${path} must be a boolean`);
      fields[name] = value;
    } else if (type === 'string') {
      if (typeof value !== 'string') throw badRequest(`${path} must be a string`);
      if (value !== '') fields[name] = value;
    } else if (type === 'stringList') {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${path} must be a list of strings`);
      fields[name] = value;
    } else if (type === 'stringMap') {
      if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw badRequest(`${path} must be an object of strings`);
      fields[name] = value;
    } else {
      if (!isPlainObject(value)) throw badRequest(`${path} must be an object`);
      fields[name] = value;
    }
  }
  return { kind, fields };
}

/** The key config's fields that take a secret's forms (secrets and settings), with their stored values. */
function secretsOf(config: KeyConfigValue | null): [string, string][] {
  if (!config) return [];
  const schema = KEY_CONFIGS[config.kind];
  return Object.entries(config.fields).filter(([name]) => isEnvVarField(schema.fields[name])) as [string, string][];
}

/** A setting as Bifrost renders it: like a secret, but its value shown. */
function settingView(value: string): SecretView {
  return isEnvReference(value) ? { value: '', env_var: value, from_env: true } : { value, env_var: '', from_env: false };
}

const viewOfField = (type: string | undefined, value: unknown) =>
  type === 'secret' ? secretView(value as string) : type === 'setting' ? settingView(value as string) : value;

export function keyViewOf(doc: KeyDocument): KeyView {
  const config = doc.keyConfig && Object.fromEntries(
    Object.entries(doc.keyConfig.fields).map(([name, value]) =>
      [name, viewOfField(KEY_CONFIGS[doc.keyConfig!.kind].fields[name], value)]),
  );
  return { value: secretView(doc.credentials.api_key), config };
}

/** The names of every environment variable the document refers to. */
export function envReferencesOf(doc: KeyDocument): string[] {
  const secrets = [...Object.values(doc.credentials), ...secretsOf(doc.keyConfig).map(([, v]) => v)];
  return [...new Set(secrets.filter(isEnvReference).map(envNameOf))].sort();
}

/**
 * What a masked placeholder that is not the stored rendering means: `refuse` (it would store the
 * asterisks as the secret), or `keep` the stored secret, as Bifrost does with a stale rendering
 * (a value redacted by an older rule, or read before the secret was rolled).
 */
export type StaleMask = 'refuse' | 'keep';

/**
 * Replaces each secret that was sent back exactly as its stored rendering with the stored
 * secret; any other masked placeholder is refused, or (`staleMask: 'keep'`) the stored secret kept.
 * Without a stored secret a placeholder is always refused.
 */
export function keepStoredSecrets(incoming: KeyDocument, stored: KeyDocument | null, storedView: KeyView | null, staleMask: StaleMask = 'refuse'): KeyDocument {
  const keep = (value: string | undefined, storedValue: string | undefined, rendered: SecretView | undefined, path: string) => {
    if (value === undefined || isEnvReference(value)) return value;
    if (storedValue !== undefined && rendered !== undefined && !rendered.from_env && rendered.value === value) return storedValue;
    if (!isMaskedPlaceholder(value)) return value;
    if (storedValue === undefined) throw badRequest(`masked preview cannot be used for ${path} without a stored value`);
    if (staleMask === 'keep') return storedValue;
    throw badRequest(`masked preview cannot be used for ${path}: it is not the stored value's rendering (send the value itself)`);
  };
  const credentials = { ...incoming.credentials };
  const apiKey = keep(credentials.api_key, stored?.credentials.api_key, storedView?.value, 'value');
  if (apiKey === undefined) delete credentials.api_key;
  else credentials.api_key = apiKey;
  let keyConfig = incoming.keyConfig;
  if (keyConfig) {
    const schema = KEY_CONFIGS[keyConfig.kind];
    const sameKind = stored?.keyConfig?.kind === keyConfig.kind;
    const fields = { ...keyConfig.fields };
    for (const [name, value] of secretsOf(keyConfig)) {
      const storedValue = sameKind ? (stored!.keyConfig!.fields[name] as string | undefined) : undefined;
      const rendered = sameKind ? (storedView?.config?.[name] as SecretView | undefined) : undefined;
      fields[name] = keep(value, storedValue, rendered, `${schema.field}.${name}`);
    }
    keyConfig = { kind: keyConfig.kind, fields };
  }
  return { credentials, keyConfig };
}

/**
 * The document with every reference replaced by its variable's value, as a lease hands it out:
 * the credential fields, plus the key config under its Bifrost name. `unset` names the first
 * variable that has no value.
 */
export function resolveDocument(
  doc: KeyDocument,
  lookup: (name: string) => string | undefined,
): { credentials: Record<string, unknown> } | { unset: string } {
  const resolve = (secret: string): string | { unset: string } => {
    if (!isEnvReference(secret)) return secret;
    const value = lookup(envNameOf(secret));
    return value === undefined ? { unset: envNameOf(secret) } : value;
  };
  const credentials: Record<string, unknown> = {};
  for (const [name, secret] of Object.entries(doc.credentials)) {
    const value = resolve(secret);
    if (typeof value !== 'string') return value;
    credentials[name] = value;
  }
  if (doc.keyConfig) {
    const schema = KEY_CONFIGS[doc.keyConfig.kind];
    const fields: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(doc.keyConfig.fields)) {
      if (!isEnvVarField(schema.fields[name])) {
        fields[name] = raw;
        continue;
      }
      const value = resolve(raw as string);
      if (typeof value !== 'string') return value;
      fields[name] = value;
    }
    credentials[schema.field] = fields;
  }
  return { credentials };
}
