/**
 * Capacity per provider of a brand (capacity.ts adds it up), read from the keys and quota groups
 * as the database holds them. The gateway's rate-limit headers read a copy at most a second old,
 * refreshed in the background (an answer never waits for it).
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { Clock } from '../../platform/time/clock.js';
import { QuotaGroupRepository, RECORD_COLUMNS, rowToRecord } from '../keys/index.js';
import { capacityOf, type ProviderCapacity } from './capacity.js';

/** How long the gateway's copy of a brand's capacity is used before it is read again. */
const FRESH_MS = 1000;

export class CapacityService {
  private readonly groups = new QuotaGroupRepository();
  private readonly copies = new Map<string, { at: number; providers: ProviderCapacity[]; reading: boolean }>();

  constructor(
    private readonly pool: SqlPool,
    private readonly clock: Clock,
    /** What must be written before a read of a brand's keys (the leases granted here). */
    private readonly beforeRead: (brandId: string) => Promise<void> = async () => {},
  ) {}

  /** Every provider of the brand with a key, by name. */
  async ofBrand(brandId: string): Promise<ProviderCapacity[]> {
    await this.beforeRead(brandId);
    const now = this.clock.now();
    const [{ rows }, groups] = await Promise.all([
      // The record's columns only: never the sealed credential (read every second per brand the gateway serves).
      this.pool.query<Record<string, unknown>>(`select ${RECORD_COLUMNS.join(', ')} from integration where brand_id = $1 and is_active and credential_error is null order by id`, [brandId]),
      this.groups.list(this.pool, brandId, now),
    ]);
    const providers = capacityOf(rows.map(rowToRecord), groups, now);
    this.copies.set(brandId, { at: performance.now(), providers, reading: false });
    return providers;
  }

  /** The provider's capacity as last read (at most about a second old), or null before the first read; never waits. */
  recent(brandId: string, providerName: string): ProviderCapacity | null {
    const copy = this.copies.get(brandId);
    if (!copy || (performance.now() - copy.at > FRESH_MS && !copy.reading)) {
      if (copy) copy.reading = true;
      else this.copies.set(brandId, { at: Number.NEGATIVE_INFINITY, providers: [], reading: true });
      this.ofBrand(brandId).catch(() => {
        const failed = this.copies.get(brandId);
        if (failed) failed.reading = false;
      });
    }
    return copy?.providers.find((p) => p.providerName === providerName) ?? null;
  }
}
