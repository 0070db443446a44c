/**
 * A brand's alert webhooks: create (the signing secret is shown once), list, read, change, delete.
 * The secret is kept encrypted with the key ring (it must be read to sign); the URL is checked
 * like every brand-configured upstream (no loopback, private or link-local address unless the
 * operator allow-listed it) and shown only by its origin, as a Slack or Discord URL is a secret.
 */
import { randomUUID } from 'node:crypto';
import { isUuid } from '../brands/index.js';
import { AppError, badRequest, field } from '../../platform/errors/app-error.js';
import { inTransaction, type Queryable, type SqlPool } from '../../platform/db/sql-pool.js';
import type { FernetRing } from '../../platform/crypto/fernet-ring.js';
import { ForbiddenUpstreamError, type UpstreamGuard } from '../../platform/http/upstream-guard.js';
import { isUniqueViolation } from '../../platform/errors/database-errors.js';
import type { Clock } from '../../platform/time/clock.js';
import { ALERT_RULES, WEBHOOK_FORMATS, type AlertRule, type WebhookFormat } from './alert.js';
import { generateWebhookSecret } from './webhook-signature.js';

export interface AlertWebhookSettings {
  name?: string;
  url?: string;
  format?: WebhookFormat;
  rules?: AlertRule[];
  /** Only alerts about these providers; null: every provider. */
  providerNames?: string[] | null;
  /** capacity_low fires when requests or tokens left today fall under this percentage of the day's limit. */
  capacityThresholdPercent?: number;
  /** billing_drift fires when a provider's figure for today differs from keypool's own by more than this (USD). */
  billingDriftUsd?: string;
  isActive?: boolean;
}

export interface AlertWebhookView {
  id: string;
  name: string;
  /** The URL's origin only (a Slack or Discord URL is itself a secret). */
  urlPreview: string;
  format: WebhookFormat;
  rules: AlertRule[];
  providerNames: string[] | null;
  capacityThresholdPercent: number;
  billingDriftUsd: string;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_WEBHOOKS_PER_BRAND = 50;
export const webhookNotFound = () => new AppError('alert_webhook.not_found', 'Alert webhook not found');
const COLUMNS = 'id, name, url, format, rules, provider_names, capacity_threshold_percent, billing_drift_usd::text as billing_drift_usd, is_active, created_at, updated_at';

interface WebhookRow {
  id: string; name: string; url: string; format: WebhookFormat; rules: AlertRule[]; provider_names: string[] | null;
  capacity_threshold_percent: number; billing_drift_usd: string; is_active: boolean; created_at: Date; updated_at: Date;
}

function urlPreview(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

const toView = (r: WebhookRow): AlertWebhookView => ({
  id: r.id, name: r.name, urlPreview: urlPreview(r.url), format: r.format, rules: r.rules, providerNames: r.provider_names,
  capacityThresholdPercent: r.capacity_threshold_percent, billingDriftUsd: r.billing_drift_usd.replace(/\.?0+$/, ''), isActive: r.is_active,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export class AlertWebhookService {
  constructor(
    private readonly pool: SqlPool,
    private readonly ring: FernetRing,
    private readonly guard: UpstreamGuard,
    private readonly clock: Clock,
  ) {}

  async list(brandId: string): Promise<AlertWebhookView[]> {
    const { rows } = await this.pool.query<WebhookRow>(`select ${COLUMNS} from alert_webhook where brand_id = $1 order by name`, [brandId]);
    return rows.map(toView);
  }

  async get(brandId: string, id: string): Promise<AlertWebhookView> {
    if (!isUuid(id)) throw webhookNotFound();
    const { rows } = await this.pool.query<WebhookRow>(`select ${COLUMNS} from alert_webhook where brand_id = $1 and id = $2`, [brandId, id]);
    if (rows.length === 0) throw webhookNotFound();
    return toView(rows[0]);
  }

  /** A new webhook and its signing secret, shown this once. */
  async create(brandId: string, input: AlertWebhookSettings): Promise<{ webhook: AlertWebhookView; secret: string }> {
    if (input.name === undefined) throw badRequest(`${field('name')} is required`);
    if (input.url === undefined) throw badRequest(`${field('url')} is required`);
    const s = this.checkSettings(input);
    const secret = generateWebhookSecret();
    const now = this.clock.now();
    const id = randomUUID();
    await this.write(async (db) => {
      const { rows } = await db.query<{ n: string }>('select count(*) as n from alert_webhook where brand_id = $1', [brandId]);
      if (Number(rows[0].n) >= MAX_WEBHOOKS_PER_BRAND) throw badRequest(`A brand may have at most ${MAX_WEBHOOKS_PER_BRAND} alert webhooks`);
      await db.query(
        `insert into alert_webhook (id, brand_id, name, url, format, secret_encrypted, rules, provider_names, capacity_threshold_percent, billing_drift_usd, is_active, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
        [id, brandId, s.name, s.url, s.format ?? 'json', this.ring.encrypt(secret), s.rules ?? [...ALERT_RULES], s.providerNames ?? null,
          s.capacityThresholdPercent ?? 10, s.billingDriftUsd ?? '1', s.isActive ?? true, now],
      );
    });
    return { webhook: await this.get(brandId, id), secret };
  }

  async update(brandId: string, id: string, patch: AlertWebhookSettings): Promise<AlertWebhookView> {
    if (!isUuid(id)) throw webhookNotFound();
    const s = this.checkSettings(patch);
    const sets: string[] = [];
    const params: unknown[] = [brandId, id, this.clock.now()];
    const set = (column: string, value: unknown) => {
      if (value === undefined) return;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    set('name', s.name);
    set('url', s.url);
    set('format', s.format);
    set('rules', s.rules);
    set('provider_names', s.providerNames);
    set('capacity_threshold_percent', s.capacityThresholdPercent);
    set('billing_drift_usd', s.billingDriftUsd);
    set('is_active', s.isActive);
    const updated = await this.write((db) => db.query(`update alert_webhook set ${[...sets, 'updated_at = $3'].join(', ')} where brand_id = $1 and id = $2`, params));
    if (updated.rowCount === 0) throw webhookNotFound();
    return this.get(brandId, id);
  }

  /** Deletes the webhook with its deliveries; returns it as it was. */
  async delete(brandId: string, id: string): Promise<AlertWebhookView> {
    const webhook = await this.get(brandId, id);
    await this.write(async (db) => {
      await db.query('delete from alert_webhook where brand_id = $1 and id = $2', [brandId, id]);
      await db.query("delete from alert_state where brand_id = $1 and subject like $2", [brandId, `${id}/%`]);
    });
    return webhook;
  }

  private async write<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, work);
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('alert_webhook.duplicate', `This brand already has an alert webhook named by ${field('name')}`);
      throw e;
    }
  }

  private checkSettings(s: AlertWebhookSettings): AlertWebhookSettings {
    if (s.name !== undefined && (typeof s.name !== 'string' || s.name.trim() === '' || s.name.length > 100)) throw badRequest(`${field('name')} must be a string of 1 to 100 characters`);
    if (s.url !== undefined) this.checkUrl(s.url);
    if (s.format !== undefined && !WEBHOOK_FORMATS.includes(s.format)) throw badRequest(`${field('format')} must be one of ${WEBHOOK_FORMATS.join(', ')}`);
    if (s.rules !== undefined) {
      if (!Array.isArray(s.rules) || s.rules.length === 0 || s.rules.some((r) => !ALERT_RULES.includes(r))) {
        throw badRequest(`${field('rules')} must be a non-empty array of ${ALERT_RULES.join(', ')}`);
      }
    }
    if (s.providerNames !== undefined && s.providerNames !== null) {
      if (!Array.isArray(s.providerNames) || s.providerNames.length > 100 || s.providerNames.some((p) => typeof p !== 'string' || p === '' || p.length > 100)) {
        throw badRequest(`${field('providerNames')} must be null or an array of at most 100 provider names`);
      }
    }
    const percent = s.capacityThresholdPercent;
    if (percent !== undefined && (!Number.isInteger(percent) || percent < 1 || percent > 99)) throw badRequest(`${field('capacityThresholdPercent')} must be a whole number from 1 to 99`);
    const drift = s.billingDriftUsd;
    if (drift !== undefined && (typeof drift !== 'string' || !/^\d{1,12}(\.\d{1,6})?$/.test(drift) || Number(drift) <= 0)) {
      throw badRequest(`${field('billingDriftUsd')} must be a positive amount in USD with at most 6 decimals, as a string`);
    }
    if (s.isActive !== undefined && typeof s.isActive !== 'boolean') throw badRequest(`${field('isActive')} must be a boolean`);
    return { ...s, rules: s.rules ? [...new Set(s.rules)] : undefined, name: s.name?.trim() };
  }

  private checkUrl(value: unknown): void {
    const problem = `${field('url')} must be an absolute http or https URL of at most 2000 characters`;
    if (typeof value !== 'string' || value.length > 2000) throw badRequest(problem);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw badRequest(problem);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest(problem);
    try {
      this.guard.assertAllowed(url, 'public');
    } catch (e) {
      if (e instanceof ForbiddenUpstreamError) throw badRequest(`${field('url')} names a loopback, private, link-local or metadata address; an operator may allow it with KEYPOOL_GATEWAY_ALLOWED_UPSTREAMS`);
      throw e;
    }
  }
}
