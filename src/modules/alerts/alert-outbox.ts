/**
 * The outbox of alert deliveries: one row per alert and webhook that wants it, written in the
 * same statement as what raised it (the event's record, or the timed rule's change of state), so
 * an alert recorded is an alert delivered, at least once. Its id is the receiver's idempotency
 * key. The dispatcher claims due rows (any instance; a claim expires, so a crashed instance's
 * rows are taken again) and records each attempt: delivered, or retried later, or given up.
 */
import { AppError } from '../../platform/errors/app-error.js';
import { isUuid } from '../brands/index.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { Queryable } from '../../platform/db/sql-pool.js';
import type { Alert, AlertRule, WebhookFormat } from './alert.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const MAX_DELIVERY_PAGE = 200;

export interface DeliveryView {
  id: string;
  webhookId: string;
  rule: AlertRule;
  alert: Alert;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A claimed delivery, with what sending it needs. */
export interface DueDelivery {
  id: string;
  brandId: string;
  alert: Alert;
  attempts: number;
  url: string;
  format: WebhookFormat;
  secretEncrypted: string;
}

export const deliveryNotFound = () => new AppError('alert_delivery.not_found', 'Alert delivery not found');

/** The webhooks of the brand that want an alert: active, of its rule, of its provider (or of every provider). */
const WANTING = `w.brand_id = $1 and w.is_active and $2::text = any(w.rules) and (w.provider_names is null or $3::text is null or $3::text = any(w.provider_names))`;

interface DeliveryRow {
  id: string; webhook_id: string; rule: AlertRule; payload: Alert; status: DeliveryStatus; attempts: number; next_attempt_at: Date;
  last_status: number | null; last_error: string | null; created_at: Date; delivered_at: Date | null;
}

const toView = (r: DeliveryRow): DeliveryView => ({
  id: r.id, webhookId: r.webhook_id, rule: r.rule, alert: r.payload, status: r.status, attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null, lastStatus: r.last_status, lastError: r.last_error, createdAt: r.created_at, deliveredAt: r.delivered_at,
});

export class AlertOutbox {
  /** Queues `alert` for every webhook of the brand that wants it, inside the caller's statement order (`db`: its transaction). */
  async enqueue(db: Queryable, brandId: string, alert: Alert, now: Date): Promise<number> {
    const { rowCount } = await db.query(
      `insert into alert_delivery (id, webhook_id, brand_id, rule, payload, next_attempt_at, created_at)
       select gen_random_uuid(), w.id, w.brand_id, $2::text, $4::jsonb, $5, $5 from alert_webhook w where ${WANTING}`,
      [brandId, alert.rule, alert.providerName, JSON.stringify(alert), now],
    );
    return rowCount ?? 0;
  }

  /** Queues `alert` for one webhook of the brand (a test delivery); false when the brand has no such webhook. */
  async enqueueTo(db: Queryable, brandId: string, webhookId: string, alert: Alert, now: Date): Promise<boolean> {
    if (!isUuid(webhookId)) return false;
    const { rowCount } = await db.query(
      `insert into alert_delivery (id, webhook_id, brand_id, rule, payload, next_attempt_at, created_at)
       select gen_random_uuid(), w.id, w.brand_id, $3, $4, $5, $5 from alert_webhook w where w.brand_id = $1 and w.id = $2`,
      [brandId, webhookId, alert.rule, JSON.stringify(alert), now],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * A timed rule's condition for one webhook and subject: when it changes (firing, or resolved
   * after firing), the state and the delivery are written in one statement. Instances judging
   * the same change at once write it once: only the one whose state update lands queues it. A
   * webhook paused, or no longer wanting the rule, gets the state's change but no delivery.
   */
  async judge(db: Queryable, brandId: string, webhookId: string, subject: string, firing: boolean, alert: Alert, now: Date): Promise<boolean> {
    const { rowCount } = await db.query(
      `with flipped as (
         insert into alert_state (brand_id, rule, subject, firing, changed_at) values ($1, $2, $3, $4, $5)
         on conflict (brand_id, rule, subject) do update set firing = excluded.firing, changed_at = excluded.changed_at
           where alert_state.firing is distinct from excluded.firing
         returning firing, (xmax = 0) as inserted)
       insert into alert_delivery (id, webhook_id, brand_id, rule, payload, next_attempt_at, created_at)
       select gen_random_uuid(), $6, $1, $2, $7, $5, $5 from flipped
       where (flipped.firing or not flipped.inserted) and exists (select 1 from alert_webhook w where w.id = $6 and w.is_active and $2 = any(w.rules))`,
      [brandId, alert.rule, `${webhookId}/${subject}`, firing, now, webhookId, JSON.stringify(alert)],
    );
    return (rowCount ?? 0) > 0;
  }

  /** The states of the brand's timed rules now firing, as `rule webhookId/subject`. */
  async firing(db: Queryable, brandId: string): Promise<Set<string>> {
    const { rows } = await db.query<{ rule: string; subject: string }>('select rule, subject from alert_state where brand_id = $1 and firing', [brandId]);
    return new Set(rows.map((r) => `${r.rule} ${r.subject}`));
  }

  /**
   * Claims up to `limit` due deliveries for `claimMs`, counting the attempt; at most
   * `perWebhook` of one webhook are in flight at once (across instances), so a receiver that
   * hangs holds that many places, not every place.
   */
  async claimDue(db: Queryable, now: Date, limit: number, claimMs: number, perWebhook: number): Promise<DueDelivery[]> {
    const { rows } = await db.query<{ id: string; brand_id: string; payload: Alert; attempts: number; url: string; format: WebhookFormat; secret_encrypted: string }>(
      `with candidates as (
         select d.id, d.next_attempt_at, row_number() over (partition by d.webhook_id order by d.next_attempt_at) as place,
           (select count(*) from alert_delivery c where c.webhook_id = d.webhook_id and c.status = 'pending' and c.claimed_until > $1) as busy
         from alert_delivery d
         where d.status = 'pending' and d.next_attempt_at <= $1 and (d.claimed_until is null or d.claimed_until <= $1)),
       due as (
         select d.id from alert_delivery d join candidates c on c.id = d.id
         where c.place + c.busy <= $4
         order by c.next_attempt_at limit $2 for update of d skip locked)
       update alert_delivery d set claimed_until = $3, attempts = d.attempts + 1
       from due, alert_webhook w where d.id = due.id and w.id = d.webhook_id
       returning d.id, d.brand_id, d.payload, d.attempts, w.url, w.format, w.secret_encrypted`,
      [now, limit, new Date(now.getTime() + claimMs), perWebhook],
    );
    return rows.map((r) => ({ id: r.id, brandId: r.brand_id, alert: r.payload, attempts: r.attempts, url: r.url, format: r.format, secretEncrypted: r.secret_encrypted }));
  }

  async delivered(db: Queryable, id: string, httpStatus: number, now: Date): Promise<void> {
    await db.query(`update alert_delivery set status = 'delivered', delivered_at = $2, last_status = $3, last_error = null, claimed_until = null where id = $1`, [id, now, httpStatus]);
  }

  /** An attempt failed: tried again at `retryAt`, or given up (null). */
  async attemptFailed(db: Queryable, id: string, httpStatus: number | null, error: string, retryAt: Date | null): Promise<void> {
    await db.query(
      `update alert_delivery set status = case when $4::timestamptz is null then 'failed' else 'pending' end,
         next_attempt_at = coalesce($4, next_attempt_at), last_status = $2, last_error = left($3, 500), claimed_until = null where id = $1`,
      [id, httpStatus, error, retryAt],
    );
  }

  async list(db: Queryable, brandId: string, filter: { webhookId?: string | null; status?: string | null }, limit = 50, offset = 0): Promise<Page<DeliveryView>> {
    checkPage(limit, offset, MAX_DELIVERY_PAGE);
    if (filter.status != null && !(DELIVERY_STATUSES as readonly string[]).includes(filter.status)) {
      throw new AppError('request.invalid', `status must be one of ${DELIVERY_STATUSES.join(', ')}`);
    }
    if (filter.webhookId != null && !isUuid(filter.webhookId)) return { items: [], total: 0, limit, offset };
    const { rows } = await db.query<DeliveryRow & { total: string }>(
      `select id, webhook_id, rule, payload, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at, count(*) over () as total
       from alert_delivery where brand_id = $1 and ($2::uuid is null or webhook_id = $2) and ($3::text is null or status = $3)
       order by created_at desc, id limit $4 offset $5`,
      [brandId, filter.webhookId ?? null, filter.status ?? null, limit, offset],
    );
    return { items: rows.map(toView), total: rows.length > 0 ? Number(rows[0].total) : 0, limit, offset };
  }

  async find(db: Queryable, brandId: string, id: string): Promise<DeliveryView | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<DeliveryRow>(
      'select id, webhook_id, rule, payload, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at from alert_delivery where brand_id = $1 and id = $2',
      [brandId, id],
    );
    return rows.length > 0 ? toView(rows[0]) : null;
  }

  /** Sends a delivery again now, with the same id (the receiver may know it), whatever its status. */
  async replay(db: Queryable, brandId: string, id: string, now: Date): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await db.query(
      `update alert_delivery set status = 'pending', next_attempt_at = $3, claimed_until = null, delivered_at = null where brand_id = $1 and id = $2`,
      [brandId, id, now],
    );
    return (rowCount ?? 0) > 0;
  }

  async prune(db: Queryable, olderThan: Date): Promise<void> {
    await db.query("delete from alert_delivery where created_at < $1 and status <> 'pending'", [olderThan]);
  }
}
