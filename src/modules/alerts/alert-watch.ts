/**
 * The timed alert rules, judged on a timer on every instance: a key parked (out of credits, or
 * resting longer than PARKED_AFTER_MS: a spent daily quota, a long Retry-After); a provider with
 * keys none of which is available (inactive, unreadable, out of credits, unhealthy, cooling down, spend-blocked);
 * a provider whose requests or tokens left today fall under a webhook's threshold; a key whose
 * provider's figure for today's spend differs from keypool's own by more than a webhook's
 * threshold. Each condition is kept per webhook and subject, so it fires once when it begins and
 * resolves once when it ends, whichever instance sees it first (alert-outbox.ts, judge).
 */
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { Clock } from '../../platform/time/clock.js';
import { PARKED_AFTER_MS, TIMED_RULES, type Alert, type AlertRule } from './alert.js';
import type { AlertOutbox } from './alert-outbox.js';

/** What the watch reads of a provider's capacity (pool/capacity.ts). */
export interface CapacityReader {
  ofBrand(brandId: string): Promise<{ providerName: string; requestsToday: { limit: number | null; remaining: number | null }; tokensToday: { limit: number | null; remaining: number | null } }[]>;
}

interface WatchedWebhook {
  id: string;
  rules: AlertRule[];
  provider_names: string[] | null;
  capacity_threshold_percent: number;
  billing_drift_usd: string;
}

/** One condition as judged now: `key` is `rule webhookId/subject`. */
interface Condition {
  webhookId: string;
  subject: string;
  firing: boolean;
  alert: Alert;
}

export class AlertWatch {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: SqlPool,
    private readonly outbox: AlertOutbox,
    private readonly capacity: CapacityReader,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly warn: (message: string, error?: unknown) => void,
    /** An alert was queued (the dispatcher looks at once). */
    private readonly queued: () => void = () => {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.judgeAll()
        .catch((e: unknown) => this.warn('alert watch: a round failed; the next one retries', e))
        .finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Judges every brand with an active webhook that wants a timed rule. */
  async judgeAll(): Promise<void> {
    const { rows } = await this.pool.query<{ brand_id: string }>(
      'select distinct brand_id from alert_webhook where is_active and rules && $1::text[]', [TIMED_RULES],
    );
    for (const { brand_id } of rows) await this.judgeBrand(brand_id);
  }

  async judgeBrand(brandId: string): Promise<void> {
    const now = this.clock.now();
    const { rows: webhooks } = await this.pool.query<WatchedWebhook>(
      'select id, rules, provider_names, capacity_threshold_percent, billing_drift_usd::text as billing_drift_usd from alert_webhook where brand_id = $1 and is_active', [brandId],
    );
    const wants = (rule: AlertRule) => webhooks.filter((w) => w.rules.includes(rule));
    const conditions: Condition[] = [];
    const at = now.toISOString();
    const forProvider = (w: WatchedWebhook, provider: string) => w.provider_names === null || w.provider_names.includes(provider);

    if (wants('key_unavailable').length > 0) {
      for (const k of await this.parked(brandId, now)) {
        const name = `${k.provider_name} key ${k.key_label ? `"${k.key_label}"` : `#${k.id}`}`;
        const why = k.out_of_credits ? 'out of credits' : `resting until ${k.until?.toISOString() ?? 'its reset'}`;
        const alert: Alert = {
          rule: 'key_unavailable', state: 'firing', providerName: k.provider_name, integrationId: k.id, keyLabel: k.key_label, at,
          title: `${name} is parked: ${why}${k.last_error ? ` (last error: ${k.last_error})` : ''}`,
          details: { class: k.out_of_credits ? 'out_of_credits' : 'parked', until: k.until?.toISOString() ?? null, lastError: k.last_error },
        };
        for (const w of wants('key_unavailable')) if (forProvider(w, k.provider_name)) conditions.push({ webhookId: w.id, subject: `key ${k.id} parked`, firing: true, alert });
      }
    }
    if (wants('provider_unavailable').length > 0) {
      for (const p of await this.availability(brandId, now)) {
        const alert: Alert = {
          rule: 'provider_unavailable', state: p.available === 0 ? 'firing' : 'resolved', providerName: p.provider, integrationId: null, keyLabel: null, at,
          title: p.available === 0 ? `every ${p.provider} key is unavailable (${p.keys} keys)` : `${p.provider} has ${p.available} of ${p.keys} keys available again`,
          details: { keys: p.keys, available: p.available },
        };
        for (const w of wants('provider_unavailable')) if (forProvider(w, p.provider)) conditions.push({ webhookId: w.id, subject: p.provider, firing: p.available === 0, alert });
      }
    }
    if (wants('capacity_low').length > 0) {
      for (const c of await this.capacity.ofBrand(brandId)) {
        const left = (b: { limit: number | null; remaining: number | null }) => (b.limit === null || b.limit === 0 || b.remaining === null ? null : (100 * b.remaining) / b.limit);
        const requests = left(c.requestsToday);
        const tokens = left(c.tokensToday);
        for (const w of wants('capacity_low')) {
          if (!forProvider(w, c.providerName)) continue;
          const low = (requests !== null && requests < w.capacity_threshold_percent) || (tokens !== null && tokens < w.capacity_threshold_percent);
          const figures = `${requests === null ? 'unlimited' : `${requests.toFixed(1)} %`} of today's requests and ${tokens === null ? 'unlimited' : `${tokens.toFixed(1)} %`} of today's tokens left`;
          conditions.push({
            webhookId: w.id, subject: c.providerName, firing: low,
            alert: {
              rule: 'capacity_low', state: low ? 'firing' : 'resolved', providerName: c.providerName, integrationId: null, keyLabel: null, at,
              title: low ? `${c.providerName} is running low: ${figures} (threshold ${w.capacity_threshold_percent} %)` : `${c.providerName} capacity recovered: ${figures}`,
              details: { requestsToday: c.requestsToday, tokensToday: c.tokensToday, thresholdPercent: w.capacity_threshold_percent },
            },
          });
        }
      }
    }
    if (wants('billing_drift').length > 0) {
      for (const k of await this.drifts(brandId, now)) {
        for (const w of wants('billing_drift')) {
          if (!forProvider(w, k.provider_name)) continue;
          const drifting = Math.abs(Number(k.provider_usage) - Number(k.local_usage)) > Number(w.billing_drift_usd);
          conditions.push({
            webhookId: w.id, subject: `key ${k.id}`, firing: drifting,
            alert: {
              rule: 'billing_drift', state: drifting ? 'firing' : 'resolved', providerName: k.provider_name, integrationId: k.id, keyLabel: k.key_label, at,
              title: `${k.provider_name} key ${k.key_label ? `"${k.key_label}"` : `#${k.id}`}: the provider bills ${k.provider_usage} USD today, keypool counted ${k.local_usage} USD${drifting ? ` (more than ${w.billing_drift_usd} USD apart)` : ''}`,
              details: { providerUsage: k.provider_usage, localUsage: k.local_usage, thresholdUsd: w.billing_drift_usd },
            },
          });
        }
      }
    }
    await this.apply(brandId, conditions, now);
  }

  /** Writes the conditions that changed, and resolves those firing whose subject is gone. */
  private async apply(brandId: string, conditions: Condition[], now: Date): Promise<void> {
    const firing = await this.outbox.firing(this.pool, brandId);
    let queued = false;
    for (const c of conditions) {
      const key = `${c.alert.rule} ${c.webhookId}/${c.subject}`;
      const was = firing.delete(key);
      if (was === c.firing) continue;
      queued = (await this.outbox.judge(this.pool, brandId, c.webhookId, c.subject, c.firing, c.alert, now)) || queued;
    }
    for (const key of firing) {
      const rule = key.slice(0, key.indexOf(' ')) as AlertRule;
      const rest = key.slice(key.indexOf(' ') + 1);
      const [webhookId, subject] = [rest.slice(0, rest.indexOf('/')), rest.slice(rest.indexOf('/') + 1)];
      if (!TIMED_RULES.includes(rule)) continue;
      const alert: Alert = { rule, state: 'resolved', providerName: null, integrationId: null, keyLabel: null, at: now.toISOString(), title: `${rule.replace('_', ' ')} ended: ${subject}`, details: { subject } };
      queued = (await this.outbox.judge(this.pool, brandId, webhookId, subject, false, alert, now)) || queued;
    }
    if (queued) this.queued();
  }

  /** The brand's keys parked now: out of credits, or resting past PARKED_AFTER_MS. */
  private async parked(brandId: string, now: Date) {
    const { rows } = await this.pool.query<{ id: number; provider_name: string; key_label: string | null; last_error: string | null; out_of_credits: boolean; until: Date | null }>(
      `select id, provider_name, key_label, last_error,
         out_of_credits_at is not null and coalesce(out_of_credits_until > $2, true) as out_of_credits,
         case when out_of_credits_at is not null and coalesce(out_of_credits_until > $2, true) then out_of_credits_until else cooldown_until end as until
       from integration where brand_id = $1 and is_active and (
         (out_of_credits_at is not null and coalesce(out_of_credits_until > $2, true)) or cooldown_until > $3)`,
      [brandId, now, new Date(now.getTime() + PARKED_AFTER_MS)],
    );
    return rows;
  }

  private async availability(brandId: string, now: Date): Promise<{ provider: string; keys: number; available: number }[]> {
    const { rows } = await this.pool.query<{ provider: string; keys: string; available: string }>(
      `select provider_name as provider, count(*) as keys, count(*) filter (where is_active and credential_error is null
         and not (out_of_credits_at is not null and (out_of_credits_until is null or out_of_credits_until > $2))
         and not (health_status = 'unhealthy' and (probe_due_at is null or probe_due_at > $2))
         and coalesce(cooldown_until <= $2, true)
         and not (spend_limit_exceeded and spend_limit_action = 'block')) as available
       from integration where brand_id = $1 and not keyless group by provider_name`,
      [brandId, now],
    );
    return rows.map((r) => ({ provider: r.provider, keys: Number(r.keys), available: Number(r.available) }));
  }

  /** Keys whose provider reported today's usage today, with keypool's own figure for the same day. */
  private async drifts(brandId: string, now: Date) {
    const { rows } = await this.pool.query<{ id: number; provider_name: string; key_label: string | null; provider_usage: string; local_usage: string }>(
      `select id, provider_name, key_label, cached_usage_today::text as provider_usage,
         (case when spend_day = ($2::timestamptz at time zone 'UTC')::date then spend_today else 0 end)::text as local_usage
       from integration where brand_id = $1 and cached_usage_today is not null and billing_synced_at is not null
         and (billing_synced_at at time zone 'UTC')::date = ($2::timestamptz at time zone 'UTC')::date`,
      [brandId, now],
    );
    return rows;
  }
}
