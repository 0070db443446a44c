/**
 * Reads the daily usage ledger (written by each report, in the report's own
 * statement): totals over a range of UTC days, grouped by any of day, key,
 * provider, model and node.
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import { badRequest, field } from '../../platform/errors/app-error.js';
import type { Clock } from '../../platform/time/clock.js';
import { isUuid } from '../brands/index.js';
import { normalizeDecimal, utcDay } from '../keys/index.js';

export const USAGE_GROUPS = ['day', 'integration', 'provider', 'model', 'node'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageQuery {
  from?: string;
  to?: string;
  groupBy?: UsageGroup[];
  providerName?: string;
  integrationId?: number;
  nodeId?: string;
  model?: string;
}

export interface UsageRow {
  day: string | null;
  integrationId: number | null;
  providerName: string | null;
  model: string | null;
  nodeId: string | null;
  requests: number;
  successes: number;
  failures: number;
  rateLimited: number;
  serverErrors: number;
  authErrors: number;
  clientErrors: number;
  timeouts: number;
  networkErrors: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: string;
  latencyMsAvg: number | null;
  latencyMsMax: number | null;
  /** Over the reports that gave one (streamed answers). */
  timeToFirstTokenMsAvg: number | null;
  timeToFirstTokenMsMax: number | null;
}

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageGroup[];
  rows: UsageRow[];
}

/** Each grouping: the columns it selects and the expressions it groups by. */
const GROUPS: Record<UsageGroup, { select: string[]; group: string[] }> = {
  day: { select: ["to_char(day, 'YYYY-MM-DD') as day"], group: ['day'] },
  integration: { select: ['integration_id', 'provider_name'], group: ['integration_id', 'provider_name'] },
  provider: { select: ['provider_name'], group: ['provider_name'] },
  model: { select: ['model'], group: ['model'] },
  node: { select: ['node_id'], group: ['node_id'] },
};
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 400;

function checkDay(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw badRequest(`${field(name)} must be a date (YYYY-MM-DD)`);
  }
  return value;
}

export class UsageService {
  constructor(
    private readonly pool: SqlPool,
    private readonly clock: Clock,
    /** Runs before every read of a brand's ledger (the pool folds the brand's reports it appended first, so reads show them). */
    private readonly beforeRead: (brandId: string) => Promise<void> = async () => {},
  ) {}

  async usage(brandId: string, q: UsageQuery): Promise<UsageReport> {
    const today = utcDay(this.clock.now());
    const to = checkDay(q.to, 'to') ?? today;
    const from = checkDay(q.from, 'from') ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    if (from > to) throw badRequest(`${field('from')} must not be after ${field('to')}`);
    if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_DAYS) throw badRequest(`${field('from')} to ${field('to')} must span at most ${MAX_DAYS} days`);
    const groupBy: UsageGroup[] = [...new Set<UsageGroup>(q.groupBy ?? ['day'])];
    for (const g of groupBy) if (!USAGE_GROUPS.includes(g)) throw badRequest(`${field('groupBy')} must be a list of ${USAGE_GROUPS.join(', ')}`);
    const where = ['brand_id = $1', 'day between $2::date and $3::date'];
    const values: unknown[] = [brandId, from, to];
    const filter = (column: string, value: unknown) => {
      values.push(value);
      where.push(`${column} = $${values.length}`);
    };
    if (q.providerName !== undefined) filter('provider_name', q.providerName);
    if (q.integrationId !== undefined) {
      if (!Number.isSafeInteger(q.integrationId) || q.integrationId < 1 || q.integrationId > 2_147_483_647) throw badRequest(`${field('integrationId')} must be a whole number from 1 to 2147483647`);
      filter('integration_id', q.integrationId);
    }
    if (q.nodeId !== undefined) {
      if (!isUuid(q.nodeId)) throw badRequest(`${field('nodeId')} must be a UUID`);
      filter('node_id', q.nodeId);
    }
    if (q.model !== undefined) filter('model', q.model.toLowerCase());
    const select = groupBy.flatMap((g) => GROUPS[g].select);
    const group = groupBy.flatMap((g) => GROUPS[g].group);
    await this.beforeRead(brandId);
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `select ${[...select,
        'sum(requests)::bigint as requests', 'sum(successes)::bigint as successes', 'sum(rate_limited)::bigint as rate_limited',
        'sum(server_errors)::bigint as server_errors', 'sum(auth_errors)::bigint as auth_errors', 'sum(client_errors)::bigint as client_errors',
        'sum(timeouts)::bigint as timeouts', 'sum(network_errors)::bigint as network_errors', 'sum(prompt_tokens)::bigint as prompt_tokens',
        'sum(completion_tokens)::bigint as completion_tokens', 'sum(cost_usd)::text as cost_usd', 'sum(latency_ms_sum)::bigint as latency_ms_sum',
        'max(latency_ms_max) as latency_ms_max', 'sum(latency_reports)::bigint as latency_reports',
        'sum(first_token_ms_sum)::bigint as first_token_ms_sum', 'max(first_token_ms_max) as first_token_ms_max',
        'sum(first_token_reports)::bigint as first_token_reports'].join(', ')}
       from usage_daily where ${where.join(' and ')}
       ${group.length ? `group by ${group.join(', ')} order by ${group.join(', ')}` : ''}`,
      values,
    );
    return { from, to, groupBy, rows: rows.filter((r) => Number(r.requests) > 0).map(toRow) };
  }
}

function toRow(r: Record<string, unknown>): UsageRow {
  const n = (k: string) => Number(r[k] ?? 0);
  const reports = n('latency_reports');
  const firstTokens = n('first_token_reports');
  const failures = ['rate_limited', 'server_errors', 'auth_errors', 'client_errors', 'timeouts', 'network_errors'].reduce((sum, k) => sum + n(k), 0);
  return {
    day: (r.day as string | undefined) ?? null,
    integrationId: r.integration_id === undefined ? null : Number(r.integration_id),
    providerName: (r.provider_name as string | undefined) ?? null,
    model: r.model === undefined ? null : String(r.model),
    nodeId: (r.node_id as string | null | undefined) ?? null,
    requests: n('requests'),
    successes: n('successes'),
    failures,
    rateLimited: n('rate_limited'),
    serverErrors: n('server_errors'),
    authErrors: n('auth_errors'),
    clientErrors: n('client_errors'),
    timeouts: n('timeouts'),
    networkErrors: n('network_errors'),
    promptTokens: n('prompt_tokens'),
    completionTokens: n('completion_tokens'),
    costUsd: normalizeDecimal(String(r.cost_usd ?? '0')),
    latencyMsAvg: reports > 0 ? Math.round(n('latency_ms_sum') / reports) : null,
    latencyMsMax: reports > 0 ? n('latency_ms_max') : null,
    timeToFirstTokenMsAvg: firstTokens > 0 ? Math.round(n('first_token_ms_sum') / firstTokens) : null,
    timeToFirstTokenMsMax: firstTokens > 0 ? n('first_token_ms_max') : null,
  };
}
