/**
 * Secrets for the embedded default: generated once, kept in the data dir with
 * mode 0600, and reused on every later start so tokens and ciphertexts stay valid.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirSecrets {
  file: string;
  adminToken: string;
  encryptionKey: string;
  jwtSecret: string;
  pgPassword: string;
}

const FIELDS = ['adminToken', 'encryptionKey', 'jwtSecret', 'pgPassword'] as const;

export function loadOrCreateDataDirSecrets(dataDir: string): DataDirSecrets {
  const file = join(dataDir, 'secrets.json');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const existing: Partial<Record<(typeof FIELDS)[number], string>> = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : {};
  const secrets = {
    adminToken: existing.adminToken ?? `kp_admin_${randomBytes(24).toString('base64url')}`,
    encryptionKey: existing.encryptionKey ?? randomBytes(32).toString('base64url'),
    jwtSecret: existing.jwtSecret ?? randomBytes(48).toString('base64url'),
    pgPassword: existing.pgPassword ?? randomBytes(18).toString('base64url'),
  };
  if (FIELDS.some((f) => existing[f] === undefined)) {
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return { file, ...secrets };
}
