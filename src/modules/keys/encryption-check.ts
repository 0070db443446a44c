/**
 * Start-up refuses a key ring that cannot read the stored credentials, instead
 * of failing every lease. A canary (a known text sealed with the key of the
 * day, and that key's id) is written at first start and re-sealed by
 * rotation; each start opens it and a sample of the credentials. Keys flagged
 * unreadable at lease time get a recovery probe once the ring opens them again.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { CredentialVault } from './credential-vault.js';
import { IntegrationRepository } from './integration.repository.js';

const CANARY = 'encryption_canary';
const CANARY_TEXT = 'keypool encryption canary v1';
const SAMPLE_ROWS = 25;

interface Canary {
  token: string;
  keyId: string;
}

export class EncryptionKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeysError';
  }
}

function refusal(vault: CredentialVault, sealedWith: string | null, secretsFile: string | null, unreadableRows: number): EncryptionKeysError {
  const what = sealedWith
    ? `they were encrypted with key ${sealedWith}, which is not in the ring (it holds ${vault.keyIds().join(', ')})`
    : `${unreadableRows} sampled credential${unreadableRows === 1 ? '' : 's'} open with none of its keys (${vault.keyIds().join(', ')})`;
  const generated = secretsFile ? ` On the embedded default the key generated at first start is "encryptionKey" in ${secretsFile}.` : '';
  return new EncryptionKeysError(
    `KEYPOOL_ENCRYPTION_KEYS cannot decrypt the credentials stored in this database: ${what}. ` +
      'To change keys, list the new key first and the old one after it (KEYPOOL_ENCRYPTION_KEYS=<new>,<old>), start keypool, ' +
      `run \`npm run keypool -- rotate-encryption\`, then drop the old key.${generated}`,
  );
}

/** Throws EncryptionKeysError when the ring cannot read what is stored. */
export async function checkEncryptionKeys(pool: SqlPool, vault: CredentialVault, secretsFile: string | null, now: Date): Promise<void> {
  const integrations = new IntegrationRepository(pool);
  const { rows: [row] } = await pool.query<{ value: Canary }>('select value from keypool_meta where key = $1', [CANARY]);
  if (row && !vault.canOpen(row.value.token)) throw refusal(vault, row.value.keyId, secretsFile, 0);
  const unreadable = (await integrations.sampleCredentials(SAMPLE_ROWS)).filter((sealed) => !vault.canOpen(sealed)).length;
  if (unreadable > 0) throw refusal(vault, null, secretsFile, unreadable);
  if (!row) await writeCanary(pool, vault, now);
  const readable = (await integrations.unreadableCredentials()).filter((k) => vault.canOpen(k.encrypted)).map((k) => k.id);
  await integrations.clearCredentialErrors(readable, now);
}

/** Seals the canary with the current key (first start, and after rotation). */
export async function writeCanary(pool: SqlPool, vault: CredentialVault, now: Date): Promise<void> {
  const canary: Canary = { token: vault.sealText(CANARY_TEXT), keyId: vault.keyIds()[0] };
  await pool.query(
    'insert into keypool_meta (key, value, updated_at) values ($1, $2, $3) on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at',
    [CANARY, JSON.stringify(canary), now],
  );
}
