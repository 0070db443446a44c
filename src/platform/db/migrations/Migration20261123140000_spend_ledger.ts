import { Migration } from '@mikro-orm/migrations';

/**
 * Spend you can trust: billing sync state per key (claim, backoff, last error), keys out of
 * credits (a 402), the daily usage ledger, and one SQL judgement of a spend limit used by
 * reports, syncs and settings changes alike: the period's usage is the larger of the
 * provider's figure for the period (when synced in it) and keypool's own spend.
 */
export class Migration20261123140000_spend_ledger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration"
      add column "billing_error" varchar(255) null,
      add column "billing_error_at" timestamptz null,
      add column "billing_failures" integer not null default 0,
      add column "billing_next_at" timestamptz null,
      add column "billing_claimed_until" timestamptz null,
      add column "out_of_credits_at" timestamptz null,
      add column "out_of_credits_until" timestamptz null;`);
    this.addSql(`update "integration" set "billing_next_at" = now() where not "keyless";`);
    this.addSql(`create index "integration_billing_due_index" on "integration" ("billing_next_at") where "billing_next_at" is not null;`);
    this.addSql(`create index "integration_spend_exceeded_index" on "integration" ("id") where "spend_limit_exceeded";`);
    this.addSql(`create table "usage_daily" (
      "brand_id" uuid not null, "integration_id" integer not null, "provider_name" varchar(64) not null,
      "node_id" uuid null, "model" varchar(255) not null default '', "day" date not null,
      "requests" bigint not null default 0, "successes" bigint not null default 0,
      "rate_limited" bigint not null default 0, "server_errors" bigint not null default 0, "auth_errors" bigint not null default 0,
      "client_errors" bigint not null default 0, "timeouts" bigint not null default 0, "network_errors" bigint not null default 0,
      "prompt_tokens" bigint not null default 0, "completion_tokens" bigint not null default 0,
      "cost_usd" numeric(38,12) not null default 0,
      "latency_ms_sum" bigint not null default 0, "latency_ms_max" integer not null default 0, "latency_reports" bigint not null default 0)
      with (fillfactor = 70);`);
    this.addSql(`alter table "usage_daily" add constraint "usage_daily_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
    // One index: the upsert's conflict target, and a brand's days for reads. Rows are updated in place (HOT), so pages keep room.
    this.addSql(`create unique index "usage_daily_key" on "usage_daily" ("brand_id", "day", "integration_id", (coalesce("node_id", '00000000-0000-0000-0000-000000000000'::uuid)), "model");`);
    this.addSql(`create or replace function keypool_spend_over(
  p_amount numeric, p_period text, p_own_today numeric, p_own_month numeric,
  p_cached_today numeric, p_cached_month numeric, p_synced_at timestamptz, p_today date, p_month_start date
) returns boolean language sql immutable as $fn$
  select p_amount is not null and coalesce(greatest(
    case when p_period = 'daily' then p_own_today else p_own_month end,
    case
      when p_synced_at is null then null
      when p_period = 'daily' and (p_synced_at at time zone 'UTC')::date = p_today then p_cached_today
      when p_period <> 'daily' and date_trunc('month', p_synced_at at time zone 'UTC')::date = p_month_start then p_cached_month
    end
  ), 0) >= p_amount
$fn$;`);
    this.addSql(`create or replace function keypool_lease_many(
  p_brand uuid, p_provider text, p_model text, p_count integer,
  p_minute timestamptz, p_today date, p_now timestamptz, p_day_key text, p_month_key text,
  p_probe_base_ms double precision, p_probe_max_ms double precision,
  p_batch boolean, p_env_available text[]
) returns setof integration language plpgsql as $fn$
declare
  picked integer;
  leased integration;
  model_lc text := lower(p_model);
begin
  for i in 1..p_count loop
    select id into picked from integration
    where brand_id = p_brand and provider_name = p_provider and is_active and credential_error is null
      and (not p_batch or use_for_batch_api)
      and env_refs <@ p_env_available
      and (out_of_credits_at is null or out_of_credits_until <= p_now)
      and (model_lc is null or (
        (models is null or exists (select 1 from unnest(models) m where m = '*' or lower(m) = model_lc))
        and not exists (select 1 from unnest(blacklisted_models) b where b = '*' or lower(b) = model_lc)))
      and (minute_limit is null or minute_window is distinct from p_minute or minute_count < minute_limit)
      and (daily_limit is null or day_window is distinct from p_today or daily_count < daily_limit)
      and (cooldown_until is null or cooldown_until <= p_now)
      and (health_status <> 'unhealthy' or probe_due_at <= p_now)
      and not (spend_limit_exceeded and spend_limit_action = 'block'
        and spend_exceeded_period = case when spend_limit_period = 'daily' then p_day_key else p_month_key end)
    order by (health_status = 'unhealthy') desc, (weight > 0) desc, priority desc, (health_status = 'degraded') asc,
      ln(1 - random()) / nullif(weight, 0) desc nulls last
    limit 1
    for update;
    exit when not found;
    update integration set
      minute_count = case when minute_window = p_minute then minute_count + 1 else 1 end,
      minute_window = p_minute,
      daily_count = case when day_window = p_today then daily_count + 1 else 1 end,
      day_window = p_today,
      last_used_at = p_now,
      updated_at = p_now,
      probe_due_at = case when health_status = 'unhealthy'
        then p_now + least(p_probe_base_ms * power(2, least(probe_failures, 40)), p_probe_max_ms) * interval '1 millisecond'
        else probe_due_at end
    where id = picked
    returning * into leased;
    return next leased;
  end loop;
end
$fn$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "usage_daily";`);
    this.addSql(`drop function if exists keypool_spend_over(numeric, text, numeric, numeric, numeric, numeric, timestamptz, date, date);`);
    this.addSql(`alter table "integration" drop column "billing_error", drop column "billing_error_at", drop column "billing_failures", drop column "billing_next_at", drop column "billing_claimed_until", drop column "out_of_credits_at", drop column "out_of_credits_until";`);
  }
}
