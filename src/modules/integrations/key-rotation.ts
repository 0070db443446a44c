/**
 * Re-encrypts every credential with the first key of the ring, in batches of
 * one transaction each: safe to interrupt and to run again (rows already on
 * the current key are left as they are).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CredentialVault } from './credential-vault.js';
import { writeCanary } from './encryption-check.js';

export interface RotationReport {
  scanned: number;
  changed: number;
}

interface Row {
  id: number;
  provider_name: string;
  credentials_encrypted: string;
}

export async function rotateEncryption(
  em: EntityManager,
  vault: CredentialVault,
  options: { batchSize?: number; onBatch?: (report: RotationReport) => void } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 100;
  const report: RotationReport = { scanned: 0, changed: 0 };
  let lastId = 0;
  for (;;) {
    const rows = await em.fork().transactional(async (tx) => {
      const batch = await tx.execute<Row[]>(
        'select id, provider_name, credentials_encrypted from integration where id > ? order by id limit ? for update',
        [lastId, batchSize],
      );
      for (const row of batch) {
        const sealed = vault.reseal(row.provider_name, row.credentials_encrypted);
        if (!sealed) continue;
        await tx.execute('update integration set credentials_encrypted = ?, credential_fingerprint = ? where id = ?', [
          sealed.encrypted,
          sealed.fingerprint,
          row.id,
        ]);
        report.changed++;
      }
      return batch;
    });
    if (rows.length === 0) {
      await writeCanary(em, vault, new Date());
      return report;
    }
    report.scanned += rows.length;
    lastId = rows[rows.length - 1].id;
    options.onBatch?.({ ...report });
  }
}
