/**
 * keypool_lease_many: the selection rules, once, where the counting happens.
 * Picks and counts up to p_count leases of one brand's provider, one at a time
 * under FOR UPDATE, so no limit is overshot by any number of callers on any
 * number of instances. Eligible: active, readable, a batch key for a batch
 * lease, every referenced environment variable available, not out of credits,
 * the model allowed (case-insensitive; models null or "*" = all, [] = none; a
 * blacklisted "*" blocks all), under its minute and daily limits, not cooling
 * down, not unhealthy unless its probe is due, not spend-blocked. Order: a due
 * probe first, positive weights before zero, priority, healthy before
 * degraded, then weighted random.
 *
 * Applied (create or replace) after the migrations at every start.
 */
export const LEASE_FUNCTION_SQL = `create or replace function keypool_lease_many(
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
$fn$;`;
