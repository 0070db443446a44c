/**
 * Reads of the audit trail (written by the triggers of audit-triggers.sql.ts, and by `record`
 * for an operator's actions that change no audited column), newest first, one brand at a time.
 */
import { AppError } from '../../platform/errors/app-error.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { Queryable } from '../../platform/db/sql-pool.js';
import { currentActor } from '../../platform/auth/request-actor.js';

export const AUDIT_RESOURCES = ['integration', 'provider', 'quota_group', 'node', 'node_credential', 'client_token', 'brand', 'alert_webhook'] as const;
export const AUDIT_ACTOR_KINDS = ['admin', 'brand_token', 'node_credential', 'system'] as const;
export const MAX_AUDIT_PAGE = 200;

/** One change: who, what, when, from where. `changes`: field → `{ old, new }`, or `{ changed: true }` for a secret. */
export interface AuditEntry {
  id: string;
  at: Date;
  actorKind: (typeof AUDIT_ACTOR_KINDS)[number];
  actorId: string | null;
  actorLabel: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  resource: string;
  resourceId: string;
  action: string;
  changes: Record<string, unknown>;
}

export interface AuditFilter {
  resource?: string | null;
  resourceId?: string | null;
  action?: string | null;
  actorKind?: string | null;
  actorId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/** An operator's action on a resource that no audited column shows (a cooldown reset, a re-probe, a replayed delivery). */
export interface AuditAction {
  brandId: string;
  resource: (typeof AUDIT_RESOURCES)[number];
  resourceId: string;
  action: string;
  changes?: Record<string, unknown>;
}

interface AuditRow {
  id: string; at: Date; actor_kind: AuditEntry['actorKind']; actor_id: string | null; actor_label: string | null; source_ip: string | null;
  user_agent: string | null; resource: string; resource_id: string; action: string; changes: Record<string, unknown>;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id, at: r.at, actorKind: r.actor_kind, actorId: r.actor_id, actorLabel: r.actor_label, sourceIp: r.source_ip, userAgent: r.user_agent,
  resource: r.resource, resourceId: r.resource_id, action: r.action, changes: r.changes,
});

function checkFilter(filter: AuditFilter): void {
  if (filter.resource != null && !(AUDIT_RESOURCES as readonly string[]).includes(filter.resource)) {
    throw new AppError('request.invalid', `resource must be one of ${AUDIT_RESOURCES.join(', ')}`);
  }
  if (filter.actorKind != null && !(AUDIT_ACTOR_KINDS as readonly string[]).includes(filter.actorKind)) {
    throw new AppError('request.invalid', `actor_kind must be one of ${AUDIT_ACTOR_KINDS.join(', ')}`);
  }
  if (filter.since && filter.until && filter.since > filter.until) throw new AppError('request.invalid', 'since must not be after until');
}

export class AuditLog {
  constructor(private readonly db: Queryable) {}

  /** A brand's entries matching `filter`, newest first. */
  async list(brandId: string, filter: AuditFilter, limit = 50, offset = 0): Promise<Page<AuditEntry>> {
    checkPage(limit, offset, MAX_AUDIT_PAGE);
    checkFilter(filter);
    const where = ['brand_id = $1'];
    const params: unknown[] = [brandId];
    const add = (column: string, value: unknown, op = '=') => {
      if (value === null || value === undefined) return;
      params.push(value);
      where.push(`${column} ${op} $${params.length}`);
    };
    add('resource', filter.resource);
    add('resource_id', filter.resourceId);
    add('action', filter.action);
    add('actor_kind', filter.actorKind);
    add('actor_id', filter.actorId);
    add('at', filter.since, '>=');
    add('at', filter.until, '<=');
    const { rows } = await this.db.query<AuditRow & { total: string }>(
      `select id::text as id, at, actor_kind, actor_id, actor_label, source_ip, user_agent, resource, resource_id, action, changes, count(*) over () as total
       from audit_entry where ${where.join(' and ')} order by id desc limit ${limit} offset ${offset}`,
      params,
    );
    const total = rows.length > 0 ? Number(rows[0].total) : offset === 0 ? 0 : await this.count(where, params);
    return { items: rows.map(toEntry), total, limit, offset };
  }

  private async count(where: string[], params: unknown[]): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`select count(*) as n from audit_entry where ${where.join(' and ')}`, params);
    return Number(rows[0].n);
  }

  /** Records an operator's action as the request in scope's (`db`: the transaction that does it, or the pool). */
  async record(db: Queryable, action: AuditAction): Promise<void> {
    const actor = currentActor();
    await db.query('select keypool_audit_record($1, $2, $3, $4, $5, $6)', [
      action.brandId, action.resource, action.resourceId, action.action, JSON.stringify(action.changes ?? {}), actor && JSON.stringify(actor),
    ]);
  }

  async prune(olderThan: Date): Promise<void> {
    await this.db.query('delete from audit_entry where at < $1', [olderThan]);
  }
}
