/**
 * Alerts as the rest of keypool sees them: every key event is recorded in the history together
 * with the deliveries of the alert it raises (one transaction), and the brand's deliveries can be
 * listed, replayed by hand and tested. Delivery itself is the dispatcher's, off every caller's path.
 */
import { inTransaction, type SqlPool } from '../../platform/db/sql-pool.js';
import type { Clock } from '../../platform/time/clock.js';
import type { Page } from '../../platform/input/pages.js';
import type { AuditLog } from '../audit/index.js';
import type { IntegrationEvent, IntegrationEventLog } from '../keys/index.js';
import { alertOfEvent, type Alert } from './alert.js';
import { deliveryNotFound, type AlertOutbox, type DeliveryView } from './alert-outbox.js';
import { webhookNotFound } from './alert-webhook.service.js';

export class AlertService {
  constructor(
    private readonly pool: SqlPool,
    private readonly outbox: AlertOutbox,
    private readonly eventLog: Pick<IntegrationEventLog, 'record'>,
    private readonly audit: Pick<AuditLog, 'record'>,
    private readonly clock: Clock,
    /** An alert was queued (the dispatcher looks at once). */
    private readonly queued: () => void = () => {},
  ) {}

  /** Records an event in the history (its id there); when it raises an alert, its deliveries are written in the same transaction. */
  async record(event: IntegrationEvent): Promise<string> {
    const alert = alertOfEvent(event);
    if (alert === null) return this.eventLog.record(event);
    const { id, count } = await inTransaction(this.pool, async (db) => {
      const recorded = await this.eventLog.record(event, db);
      return { id: recorded, count: await this.outbox.enqueue(db, event.brandId, alert, this.clock.now()) };
    });
    if (count > 0) this.queued();
    return id;
  }

  deliveries(brandId: string, filter: { webhookId?: string | null; status?: string | null }, limit?: number, offset?: number): Promise<Page<DeliveryView>> {
    return this.outbox.list(this.pool, brandId, filter, limit, offset);
  }

  /** Sends a delivery again now (same id), recorded in the audit trail. */
  async replay(brandId: string, id: string): Promise<DeliveryView> {
    const delivery = await inTransaction(this.pool, async (db) => {
      if (!(await this.outbox.replay(db, brandId, id, this.clock.now()))) throw deliveryNotFound();
      const replayed = (await this.outbox.find(db, brandId, id))!;
      await this.audit.record(db, { brandId, resource: 'alert_webhook', resourceId: replayed.webhookId, action: 'delivery_replayed', changes: { delivery_id: id } });
      return replayed;
    });
    this.queued();
    return delivery;
  }

  /** Queues a test alert to one webhook, to check the receiver (and its signature check) end to end. */
  async test(brandId: string, webhookId: string): Promise<DeliveryView> {
    const alert: Alert = {
      rule: 'key_unavailable', state: 'firing', providerName: null, integrationId: null, keyLabel: null, at: this.clock.now().toISOString(),
      title: 'test alert: this webhook receives keypool alerts', details: { test: true },
    };
    const delivery = await inTransaction(this.pool, async (db) => {
      if (!(await this.outbox.enqueueTo(db, brandId, webhookId, alert, this.clock.now()))) throw webhookNotFound();
      await this.audit.record(db, { brandId, resource: 'alert_webhook', resourceId: webhookId, action: 'test_queued' });
      const page = await this.outbox.list(db, brandId, { webhookId }, 1, 0);
      return page.items[0];
    });
    this.queued();
    return delivery;
  }
}
