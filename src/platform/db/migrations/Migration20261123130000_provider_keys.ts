import { Migration } from '@mikro-orm/migrations';

/**
 * Bifrost-compatible provider keys on the one integration table: batch keys, environment
 * references (the names, so selection can skip a key whose variable is unavailable), keyless
 * endpoints of custom providers, and the redacted Bifrost rendering of each secret. A brand's
 * own providers (custom ones, network settings) live in provider_config.
 *
 * Selection changes: `models` null or holding "*" allows every model, [] allows none, and names
 * compare case-insensitively; a blacklist "*" blocks every model; a batch lease takes only
 * use_for_batch_api keys.
 */
export class Migration20261123130000_provider_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "integration" add column "use_for_batch_api" boolean not null default false, add column "env_refs" text[] not null default '{}', add column "keyless" boolean not null default false, add column "key_view" jsonb null;`);
    this.addSql(`create table "provider_config" ("brand_id" uuid not null, "name" varchar(64) not null, "custom" boolean not null, "base_provider_type" varchar(64) not null, "is_key_less" boolean not null default false, "allowed_requests" jsonb null, "request_path_overrides" jsonb null, "network_config" jsonb null, "concurrency_and_buffer_size" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "provider_config_pkey" primary key ("brand_id", "name"));`);
    this.addSql(`alter table "provider_config" add constraint "provider_config_brand_id_foreign" foreign key ("brand_id") references "brand" ("id") on update cascade on delete cascade;`);
    this.addSql(`drop function if exists keypool_lease_many(uuid, text, text, integer, timestamptz, date, timestamptz, text, text, double precision, double precision);`);
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
    this.addSql(`drop table if exists "provider_config";`);
    this.addSql(`alter table "integration" drop column "use_for_batch_api", drop column "env_refs", drop column "keyless", drop column "key_view";`);
  }
}
