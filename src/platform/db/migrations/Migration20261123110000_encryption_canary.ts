import { Migration } from '@mikro-orm/migrations';

/**
 * keypool_meta holds the encryption canary (a known text sealed with the current key, and that
 * key's id), so a start with a key ring that cannot read the data is refused. credential_error
 * marks a key whose credential could not be decrypted at lease time: selection skips it.
 */
export class Migration20261123110000_encryption_canary extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "keypool_meta" ("key" varchar(64) not null, "value" jsonb not null, "updated_at" timestamptz not null, constraint "keypool_meta_pkey" primary key ("key"));`);
    this.addSql(`alter table "integration" add column "credential_error" varchar(255) null;`);
    this.addSql(`create or replace function keypool_lease_many(
  p_brand uuid, p_provider text, p_model text, p_count integer,
  p_minute timestamptz, p_today date, p_now timestamptz, p_day_key text, p_month_key text,
  p_probe_base_ms double precision, p_probe_max_ms double precision
) returns setof integration language plpgsql as $fn$
declare
  picked integer;
  leased integration;
begin
  for i in 1..p_count loop
    select id into picked from integration
    where brand_id = p_brand and provider_name = p_provider and is_active and credential_error is null
      and (p_model is null or ((models is null or cardinality(models) = 0 or p_model = any(models)) and not (p_model = any(blacklisted_models))))
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
    this.addSql(`drop table if exists "keypool_meta";`);
    this.addSql(`alter table "integration" drop column "credential_error";`);
  }
}
