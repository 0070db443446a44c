/**
 * Start-up refuses a key ring that cannot read the stored credentials, instead
 * of failing every lease. A canary (a known text sealed with the key of the
 * day, and that key's id) is written at first start and re-sealed by
 * rotation; each start opens it and a sample of the credentials. Keys flagged
 * unreadable at lease time get a recovery probe once the ring opens them again.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CredentialVault } from './credential-vault.js';

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
export async function checkEncryptionKeys(em: EntityManager, vault: CredentialVault, secretsFile: string | null, now: Date): Promise<void> {
  const fork = em.fork();
  const [row] = await fork.execute<{ value: Canary }[]>('select value from keypool_meta where key = ?', [CANARY]);
  if (row && !vault.canOpen(row.value.token)) throw refusal(vault, row.value.keyId, secretsFile, 0);
  const sample = await fork.execute<{ credentials_encrypted: string }[]>(
    `(select credentials_encrypted from integration order by id desc limit ${SAMPLE_ROWS})
     union all (select credentials_encrypted from integration order by id asc limit ${SAMPLE_ROWS})`,
  );
  const unreadable = sample.filter((r) => !vault.canOpen(r.credentials_encrypted)).length;
  if (unreadable > 0) throw refusal(vault, null, secretsFile, unreadable);
  if (!row) await writeCanary(em, vault, now);
  const flagged = await fork.execute<{ id: number; credentials_encrypted: string }[]>(
    'select id, credentials_encrypted from integration where credential_error is not null',
  );
  const readable = flagged.filter((r) => vault.canOpen(r.credentials_encrypted)).map((r) => r.id);
  if (readable.length > 0) {
    await fork.execute('update integration set credential_error = null, probe_due_at = ? where id = any(?::int[])', [now, `{${readable.join(',')}}`]);
  }
}

/** Seals the canary with the current key (first start, and after rotation). */
export async function writeCanary(em: EntityManager, vault: CredentialVault, now: Date): Promise<void> {
  const canary: Canary = { token: vault.sealText(CANARY_TEXT), keyId: vault.keyIds()[0] };
  await em.fork().execute(
    'insert into keypool_meta (key, value, updated_at) values (?, ?, ?) on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at',
    [CANARY, JSON.stringify(canary), now],
  );
}
