/**
 * Re-encrypts every credential with the first key of the ring, in batches of
 * one transaction each: safe to interrupt and to run again (rows already on
 * the current key are left as they are).
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { CredentialVault } from './credential-vault.js';
import { writeCanary } from './encryption-check.js';
import { IntegrationRepository } from './integration.repository.js';

export interface RotationReport {
  scanned: number;
  changed: number;
}

export async function rotateEncryption(
  pool: SqlPool,
  vault: CredentialVault,
  options: { batchSize?: number; onBatch?: (report: RotationReport) => void; now?: () => Date } = {},
): Promise<RotationReport> {
  const integrations = new IntegrationRepository(pool);
  const batchSize = options.batchSize ?? 100;
  const report: RotationReport = { scanned: 0, changed: 0 };
  let lastId = 0;
  for (;;) {
    const batch = await integrations.resealBatch(lastId, batchSize, (provider, encrypted) => vault.reseal(provider, encrypted));
    if (batch.read === 0) {
      await writeCanary(pool, vault, (options.now ?? (() => new Date()))());
      return report;
    }
    report.scanned += batch.read;
    report.changed += batch.changed;
    lastId = batch.lastId;
    options.onBatch?.({ ...report });
  }
}
