/**
 * The gateway calls keypool could not serve, with their routing story (x-keypool-route's words:
 * the keys tried, and why each other key was skipped), so an operator can see afterwards why a
 * call failed. Written off the caller's path; read newest first, one brand at a time.
 */
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { Queryable } from '../../platform/db/sql-pool.js';

export interface GatewayFailure {
  id: string;
  at: Date;
  endpoint: string;
  providerName: string;
  model: string;
  /** no_key (nothing could be leased), upstream_error (the last attempt's answer was an error), timeout, network. */
  outcome: string;
  /** The last upstream answer's status, when there was one. */
  status: number | null;
  attempts: number;
  route: string;
}

export const MAX_FAILURE_PAGE = 200;

export class GatewayFailureLog {
  constructor(private readonly db: Queryable) {}

  async record(brandId: string, failure: Omit<GatewayFailure, 'id'>): Promise<void> {
    await this.db.query(
      'insert into gateway_failure (brand_id, at, endpoint, provider_name, model, outcome, status, attempts, route) values ($1, $2, $3, $4, left($5, 255), $6, $7, $8, $9)',
      [brandId, failure.at, failure.endpoint, failure.providerName, failure.model, failure.outcome, failure.status, failure.attempts, failure.route],
    );
  }

  async list(brandId: string, limit = 50, offset = 0): Promise<Page<GatewayFailure>> {
    checkPage(limit, offset, MAX_FAILURE_PAGE);
    const { rows } = await this.db.query<{ id: string; at: Date; endpoint: string; provider_name: string; model: string; outcome: string; status: number | null; attempts: number; route: string; total: string }>(
      `select id::text as id, at, endpoint, provider_name, model, outcome, status, attempts, route, count(*) over () as total
       from gateway_failure where brand_id = $1 order by id desc limit $2 offset $3`,
      [brandId, limit, offset],
    );
    return {
      items: rows.map((r) => ({ id: r.id, at: r.at, endpoint: r.endpoint, providerName: r.provider_name, model: r.model, outcome: r.outcome, status: r.status, attempts: r.attempts, route: r.route })),
      total: rows.length > 0 ? Number(rows[0].total) : 0, limit, offset,
    };
  }

  async prune(olderThan: Date): Promise<void> {
    await this.db.query('delete from gateway_failure where at < $1', [olderThan]);
  }
}
