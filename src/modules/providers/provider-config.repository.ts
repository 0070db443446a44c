/**
 * Every statement on the `provider_config` table (a brand's settings of one
 * provider), inside the caller's transaction where there is one: a provider's
 * change and what it does to the provider's keys commit together. (The ORM
 * entity only describes the table, for migrations.)
 */
import { inTransaction, type Queryable, type SqlPool } from '../../platform/db/sql-pool.js';

/** One stored row, as toBrandProvider reads it. */
export interface ProviderConfigRow {
  brandId: string;
  name: string;
  custom: boolean;
  baseProviderType: string;
  isKeyLess: boolean;
  allowedRequests: Record<string, boolean> | null;
  requestPathOverrides: Record<string, string> | null;
  networkConfig: Record<string, unknown> | null;
  concurrencyAndBufferSize: Record<string, number> | null;
  /** A standard provider the brand deleted: Bifrost's list leaves it out. */
  unlisted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `brand_id, name, custom, base_provider_type, is_key_less, allowed_requests, request_path_overrides, network_config,
  concurrency_and_buffer_size, unlisted, created_at, updated_at`;

const toRow = (r: Record<string, unknown>): ProviderConfigRow => ({
  brandId: r.brand_id as string,
  name: r.name as string,
  custom: r.custom as boolean,
  baseProviderType: r.base_provider_type as string,
  isKeyLess: r.is_key_less as boolean,
  allowedRequests: (r.allowed_requests as ProviderConfigRow['allowedRequests']) ?? null,
  requestPathOverrides: (r.request_path_overrides as ProviderConfigRow['requestPathOverrides']) ?? null,
  networkConfig: (r.network_config as ProviderConfigRow['networkConfig']) ?? null,
  concurrencyAndBufferSize: (r.concurrency_and_buffer_size as ProviderConfigRow['concurrencyAndBufferSize']) ?? null,
  unlisted: r.unlisted === true,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export class ProviderConfigRepository {
  /** Statements outside a transaction run on the pool. */
  constructor(readonly pool: SqlPool) {}

  /** Runs `work` in one transaction; its statements take the client as `db`. */
  transaction<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** The brand's rows (`customOnly`: its custom providers), by name. */
  async list(brandId: string, options: { customOnly?: boolean } = {}): Promise<ProviderConfigRow[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `select ${COLUMNS} from provider_config where brand_id = $1${options.customOnly ? ' and custom' : ''} order by name`,
      [brandId],
    );
    return rows.map(toRow);
  }

  /** The brand's row for one provider; `lock` holds it (or, when there is none, nothing) for the caller's transaction. */
  async find(db: Queryable, brandId: string, name: string, options: { lock?: boolean } = {}): Promise<ProviderConfigRow | null> {
    const { rows } = await db.query<Record<string, unknown>>(
      `select ${COLUMNS} from provider_config where brand_id = $1 and name = $2${options.lock ? ' for update' : ''}`,
      [brandId, name],
    );
    return rows.length === 0 ? null : toRow(rows[0]);
  }

  /** Writes the row whole: inserted, or replacing the brand's row of that name. */
  async save(db: Queryable, row: ProviderConfigRow, options: { insertOnly?: boolean } = {}): Promise<ProviderConfigRow> {
    const { rows } = await db.query<Record<string, unknown>>(
      `insert into provider_config (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ${options.insertOnly ? '' : `on conflict (brand_id, name) do update set custom = excluded.custom, base_provider_type = excluded.base_provider_type,
         is_key_less = excluded.is_key_less, allowed_requests = excluded.allowed_requests, request_path_overrides = excluded.request_path_overrides,
         network_config = excluded.network_config, concurrency_and_buffer_size = excluded.concurrency_and_buffer_size, unlisted = excluded.unlisted,
         updated_at = excluded.updated_at`}
       returning ${COLUMNS}`,
      [row.brandId, row.name, row.custom, row.baseProviderType, row.isKeyLess, json(row.allowedRequests), json(row.requestPathOverrides),
        json(row.networkConfig), json(row.concurrencyAndBufferSize), row.unlisted, row.createdAt, row.updatedAt],
    );
    return toRow(rows[0]);
  }

  async delete(db: Queryable, brandId: string, name: string): Promise<void> {
    await db.query('delete from provider_config where brand_id = $1 and name = $2', [brandId, name]);
  }
}
