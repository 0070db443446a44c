/**
 * The pool's rules, once, in the database where the counting happens:
 *
 * - keypool_model_allowed: whether a key's model lists let it serve a model
 *   (the lease's skip reason and the gateway's model list both ask it).
 * - keypool_skip_reason: why a key cannot serve a lease at a time (null: it can).
 *   Used by the lease function to pick and by its refusal to explain.
 * - keypool_skip_until: when a skipped key frees up by itself (null: never, or
 *   not until something else happens).
 * - keypool_lease: a batch of leases of any brands, providers and models in one
 *   statement; each item is leased (the key, counted) or refused (every key of
 *   the provider with its reason and "until"; no keys at all is an empty list).
 * - keypool_health: how a report moves a key's health (the transition, its
 *   reason for the event, the ledger outcome).
 * - keypool_report: a batch of reports in one statement: marks each lease
 *   reported (at most once), applies health, cooldown, spend, the spend-limit
 *   flag, a 402's out-of-credits mark, the daily usage ledger and the node's
 *   counters.
 * - keypool_apply: a batch of reports and leases together: every key either
 *   touches locked first, in key order, then the reports, then the leases.
 *
 * The batch functions take named inputs, as JSON: the items (p_leases: brand,
 * provider, model, batch, exclude; p_reports: lease, key, brand, node, model,
 * success, status_code, error_type, retry_after, probe, cost, prompt_tokens,
 * completion_tokens, latency_ms, first_token_ms), the instant (p_at: now,
 * minute, today, month_start, day_key, month_key, and the seed of the weighted
 * draw) and the rules (p_rules: degraded_after, unhealthy_after, rate_limit_ms,
 * probe_base_ms, probe_max_ms, credit_providers, env_available); pool-input.ts
 * builds them. Every time and every random draw comes from the service (its
 * clock, its random source), so tests drive them. Applied (create or replace)
 * after the migrations at every start. The previous versions' functions are left
 * in place, so their instances keep leasing during a rolling upgrade:
 * keypool_lease_many, and keypool_apply, keypool_lease and keypool_report with
 * positional array arguments (a new argument list is a new function beside the
 * old one).
 */

/** A type the report function returns one of per item. */
const REPORT_RESULT_TYPE_SQL = `do $$
begin
  if not exists (select 1 from pg_type where typname = 'keypool_health_step') then
    create type keypool_health_step as (
      health_status text, consecutive_failures integer, probe_failures integer,
      cooldown_until timestamptz, probe_due_at timestamptz, reason text, ledger_outcome text
    );
  end if;
end $$;`;

/** The wait before an unhealthy key's next recovery probe: the base, doubling per failed probe, capped. */
const PROBE_WAIT_SQL = `create or replace function keypool_probe_wait(
  p_probe_failures integer, p_probe_base_ms double precision, p_probe_max_ms double precision
) returns interval language sql immutable as $fn$
  select least(p_probe_base_ms * power(2, least(p_probe_failures, 40)), p_probe_max_ms) * interval '1 millisecond'
$fn$;`;

/**
 * Whether a key's model lists let it serve `p_model`, case-insensitively: `p_models` null or
 * holding "*" allows every model, [] none; a blacklisted model, or a blacklisted "*", is
 * refused. The one home of the model rule: the lease's skip reason and the gateway's model list
 * both ask it. One expression with no subquery, so PostgreSQL inlines it (a lower-cased list is
 * its text form lower-cased: quoting survives lower()).
 */
const MODEL_ALLOWED_SQL = `create or replace function keypool_model_allowed(
  p_models text[], p_blacklisted text[], p_model text
) returns boolean language sql stable as $fn$
  select not ('*' = any(coalesce(p_blacklisted, '{}')) or lower(p_model) = any(lower(coalesce(p_blacklisted, '{}')::text)::text[]))
    and (p_models is null or '*' = any(p_models) or lower(p_model) = any(lower(p_models::text)::text[]))
$fn$;`;

/**
 * Checked in this order, the first that applies is the reason: inactive; credential
 * unreadable; not a batch key (for a batch lease); an environment variable it refers to is
 * unavailable; out of credits (a 402) until its time, or until a billing sync; the model not
 * allowed (case-insensitive; models null or "*" = all, [] = none; a blacklisted "*" blocks
 * all); unhealthy until its recovery probe is due; cooling down after a 429; spend-blocked in
 * the current period; the minute limit, then the daily limit, reached in the current window.
 *
 * One expression with no subquery, so PostgreSQL inlines it into the queries that call it.
 */
const SKIP_REASON_SQL = `create or replace function keypool_skip_reason(
  k integration, p_model text, p_batch boolean, p_env_available text[],
  p_now timestamptz, p_minute timestamptz, p_today date, p_day_key text, p_month_key text
) returns text language sql stable as $fn$
  select case
    when not k.is_active then 'inactive'
    when k.credential_error is not null then 'credential_unreadable'
    when p_batch and not k.use_for_batch_api then 'not_batch'
    when not (k.env_refs <@ p_env_available) then 'environment_unset'
    when k.out_of_credits_at is not null and (k.out_of_credits_until is null or k.out_of_credits_until > p_now) then 'out_of_credits'
    when p_model is not null and not keypool_model_allowed(k.models, k.blacklisted_models, p_model) then 'model_not_allowed'
    when k.health_status = 'unhealthy' and (k.probe_due_at is null or k.probe_due_at > p_now) then 'unhealthy'
    when k.cooldown_until > p_now then 'cooling_down'
    when k.spend_limit_exceeded and k.spend_limit_action = 'block'
      and k.spend_exceeded_period = keypool_spend_period(k.spend_limit_period, p_day_key, p_month_key) then 'spend_blocked'
    when k.minute_limit is not null and k.minute_window = p_minute and k.minute_count >= k.minute_limit then 'minute_limit'
    when k.daily_limit is not null and k.day_window = p_today and k.daily_count >= k.daily_limit then 'daily_limit'
  end
$fn$;`;

const SKIP_UNTIL_SQL = `create or replace function keypool_skip_until(
  k integration, p_reason text, p_minute timestamptz, p_today date
) returns timestamptz language sql stable as $fn$
  select case p_reason
    when 'out_of_credits' then k.out_of_credits_until
    when 'unhealthy' then k.probe_due_at
    when 'cooling_down' then k.cooldown_until
    when 'spend_blocked' then (case when k.spend_limit_period = 'daily' then p_today + 1
      else (date_trunc('month', p_today) + interval '1 month')::date end)::timestamp at time zone 'UTC'
    when 'minute_limit' then p_minute + interval '1 minute'
    when 'daily_limit' then (p_today + 1)::timestamp at time zone 'UTC'
  end
$fn$;`;

/**
 * Each item of p_leases ({ brand, provider, model, batch, exclude }) leases in order, never one
 * of the keys in its exclude list (the gateway's failover). The
 * picked key is locked and, once locked, judged again on its latest committed version (PostgreSQL
 * re-checks a locked row against the query's conditions), so no limit is overshot by any number
 * of callers on any number of instances. A key another batch holds is passed over on the first
 * two attempts; the third first waits for every key of the provider, in key order. Order among
 * eligible keys: a due recovery probe first, positive weights before zero, priority, healthy
 * before degraded, then weighted random (Efraimidis–Spirakis). Should the refusal's look still
 * find a key with no reason (one that was held, or freed up meanwhile), the pick is tried again
 * (three times in all).
 */
const LEASE_SQL = `create or replace function keypool_lease(p_leases jsonb, p_at jsonb, p_rules jsonb)
returns table (lease_item integer, lease_key integration, lease_skipped jsonb) language plpgsql as $fn$
declare
  item record;
  picked integer;
  leased integration;
  skipped jsonb;
  contended boolean;
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_minute timestamptz := (p_at->>'minute')::timestamptz;
  p_today date := (p_at->>'today')::date;
  p_day_key text := p_at->>'day_key';
  p_month_key text := p_at->>'month_key';
  p_probe_base_ms double precision := (p_rules->>'probe_base_ms')::double precision;
  p_probe_max_ms double precision := (p_rules->>'probe_max_ms')::double precision;
  p_env_available text[] := array(select jsonb_array_elements_text(p_rules->'env_available'));
begin
  -- The weighted draw's randomness comes from the caller (a seed per batch), so a test can fix it.
  if p_at ? 'seed' then perform setseed((p_at->>'seed')::double precision); end if;
  for item in select u.brand, u.provider, u.model, coalesce(u.batch, false) as batch, coalesce(u.exclude, '{}') as excluded, u.ord
      from rows from (jsonb_to_recordset(p_leases) as (brand uuid, provider text, model text, batch boolean, exclude integer[]))
        with ordinality as u(brand, provider, model, batch, exclude, ord) loop
    for attempt in 1..3 loop
      -- A key another batch holds is passed over (the next best is as good a pick, and no batch
      -- waits for another's lease); the last attempt first waits for every key of the provider,
      -- in key order, so nothing is passed over then (keys this batch holds are never skipped).
      if attempt = 3 then
        perform 1 from integration i where i.brand_id = item.brand and i.provider_name = item.provider order by i.id for update;
      end if;
      select i.id into picked from integration i
      where i.brand_id = item.brand and i.provider_name = item.provider and i.id <> all(item.excluded)
        and keypool_skip_reason(i, item.model, item.batch, p_env_available, p_now, p_minute, p_today, p_day_key, p_month_key) is null
      order by (i.health_status = 'unhealthy') desc, (i.weight > 0) desc, i.priority desc, (i.health_status = 'degraded') asc,
        ln(1 - random()) / nullif(i.weight, 0) desc nulls last
      limit 1
      for update skip locked;
      if found then
        update integration set
          minute_count = case when minute_window = p_minute then minute_count + 1 else 1 end,
          minute_window = p_minute,
          daily_count = case when day_window = p_today then daily_count + 1 else 1 end,
          day_window = p_today,
          last_used_at = p_now,
          updated_at = p_now,
          probe_due_at = case when health_status = 'unhealthy'
            then p_now + keypool_probe_wait(probe_failures, p_probe_base_ms, p_probe_max_ms)
            else probe_due_at end
        where id = picked
        returning * into leased;
        lease_item := item.ord; lease_key := leased; lease_skipped := null;
        return next;
        exit;
      end if;
      select coalesce(jsonb_agg(jsonb_build_object(
          'id', s.id, 'reason', s.reason, 'until', keypool_skip_until(s.k, s.reason, p_minute, p_today),
          'variable', case when s.reason = 'environment_unset'
            then (select r from unnest((s.k).env_refs) r where not (r = any(p_env_available)) limit 1) end
        ) order by s.id) filter (where s.reason is not null), '[]'::jsonb),
        bool_or(s.reason is null)
      into skipped, contended
      from (select i.id, i as k, keypool_skip_reason(i, item.model, item.batch, p_env_available, p_now, p_minute, p_today, p_day_key, p_month_key) as reason
            from integration i where i.brand_id = item.brand and i.provider_name = item.provider and i.id <> all(item.excluded)) s;
      if coalesce(contended, false) and attempt < 3 then continue; end if;
      lease_item := item.ord; lease_key := null;
      lease_skipped := case when contended then skipped || jsonb_build_array(jsonb_build_object('reason', null)) else skipped end;
      return next;
      exit;
    end loop;
  end loop;
end
$fn$;`;

/**
 * Success heals; 5xx, timeouts and network errors count up (degraded, then unhealthy);
 * 401/403 make the key unhealthy at once; 429 only cools it down (Retry-After, or the
 * configured cooldown); other 4xx, and 3xx (a redirect passed back as it came), are the
 * caller's outcome and change nothing. An unhealthy
 * key's recovery probe is due after the base wait, doubling per failed probe, capped.
 * The reason is set only when the health status changed.
 */
const HEALTH_SQL = `create or replace function keypool_health(
  p_status text, p_failures integer, p_probe_failures integer, p_cooldown timestamptz, p_probe_due timestamptz,
  p_success boolean, p_status_code integer, p_error_type text, p_retry_after integer, p_probe boolean,
  p_now timestamptz, p_degraded_after integer, p_unhealthy_after integer, p_rate_limit_ms double precision,
  p_probe_base_ms double precision, p_probe_max_ms double precision
) returns keypool_health_step language plpgsql immutable as $fn$
declare
  outcome text;
  described text := coalesce('HTTP ' || p_status_code, p_error_type, 'unknown error');
  res keypool_health_step;
  failures integer;
  probes integer;
begin
  outcome := case
    when p_success then 'success'
    when p_status_code = 429 or p_error_type = 'rate_limited' then 'rate_limited'
    when p_status_code in (401, 403) or p_error_type = 'auth_error' then 'auth_failure'
    when p_status_code between 300 and 499 or p_error_type = 'client_error' then 'caller_error'
    else 'server_failure' end;
  res := row(p_status, p_failures, p_probe_failures, p_cooldown, p_probe_due, null,
    case
      when p_error_type = 'timeout' then 'timeouts'
      when p_error_type = 'network' then 'network_errors'
      when outcome = 'success' then 'successes'
      when outcome = 'rate_limited' then 'rate_limited'
      when outcome = 'auth_failure' then 'auth_errors'
      when outcome = 'caller_error' then 'client_errors'
      else 'server_errors' end);
  if outcome = 'success' then
    res.health_status := 'healthy'; res.consecutive_failures := 0; res.probe_failures := 0; res.probe_due_at := null;
    res.reason := case when p_probe then 'recovery probe succeeded' else 'request succeeded' end;
  elsif outcome = 'rate_limited' then
    res.cooldown_until := p_now + coalesce(p_retry_after * 1000.0, p_rate_limit_ms) * interval '1 millisecond';
  elsif outcome in ('auth_failure', 'server_failure') then
    failures := p_failures + 1;
    probes := p_probe_failures + case when p_probe then 1 else 0 end;
    res.consecutive_failures := failures;
    res.probe_failures := probes;
    -- A failure never makes an unhealthy key look better (a failed probe keeps it unhealthy).
    if outcome = 'auth_failure' or failures >= p_unhealthy_after or p_status = 'unhealthy' then res.health_status := 'unhealthy';
    elsif failures >= p_degraded_after then res.health_status := 'degraded';
    end if;
    if res.health_status = 'unhealthy' and (p_status <> 'unhealthy' or p_probe) then
      res.probe_due_at := p_now + keypool_probe_wait(case when p_probe then probes else 0 end, p_probe_base_ms, p_probe_max_ms);
    end if;
    res.reason := case when outcome = 'auth_failure' then 'provider rejected the key (' || described || ')'
      else failures || ' consecutive failure' || case when failures > 1 then 's' else '' end || ' (last: ' || described || ')'
        || case when p_probe then ', recovery probe failed' else '' end end;
  end if;
  if res.health_status = p_status then res.reason := null; end if;
  return res;
end
$fn$;`;

/**
 * Reports are applied in key order (so concurrent batches, leases and reports, lock keys in one
 * order), then the nodes' counters, locked in node order. Each item's outcome is its own: 'reported', 'not_found' (no
 * such key in the brand) or 'already_reported'. p_credit_providers: providers whose billing
 * API tells when credits are back (a 402 lasts until a sync says so; for the others, until the
 * next UTC day).
 */
const REPORT_SQL = `create or replace function keypool_report(p_reports jsonb, p_at jsonb, p_rules jsonb)
returns table (report_item integer, report_outcome text, report_key integration, previous_status text, health_reason text,
  was_exceeded boolean, credits_flagged boolean) language plpgsql as $fn$
declare
  r record;
  cur integration;
  step keypool_health_step;
  new_today numeric;
  new_month numeric;
  exceeded boolean;
  done integer[] := '{}';
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_today date := (p_at->>'today')::date;
  p_month_start date := (p_at->>'month_start')::date;
  p_day_key text := p_at->>'day_key';
  p_month_key text := p_at->>'month_key';
  p_degraded_after integer := (p_rules->>'degraded_after')::integer;
  p_unhealthy_after integer := (p_rules->>'unhealthy_after')::integer;
  p_rate_limit_ms double precision := (p_rules->>'rate_limit_ms')::double precision;
  p_probe_base_ms double precision := (p_rules->>'probe_base_ms')::double precision;
  p_probe_max_ms double precision := (p_rules->>'probe_max_ms')::double precision;
  p_credit_providers text[] := array(select jsonb_array_elements_text(p_rules->'credit_providers'));
begin
  for r in select * from rows from (jsonb_to_recordset(p_reports) as (lease uuid, key integer, brand uuid, node uuid, model text,
        success boolean, status_code integer, error_type text, retry_after integer, probe boolean, cost numeric, prompt_tokens bigint,
        completion_tokens bigint, latency_ms integer, first_token_ms integer)) with ordinality
      as u(lease, key, brand, node, model, success, status_code, error_type, retry_after, probe, cost, prompt, completion, latency, first_token, ord)
    order by u.key, u.ord
  loop
    report_item := r.ord; report_key := null; previous_status := null; health_reason := null; was_exceeded := null; credits_flagged := null;
    select * into cur from integration where id = r.key and brand_id = r.brand for update;
    if not found then report_outcome := 'not_found'; return next; continue; end if;
    insert into reported_lease (lease_id, integration_id, reported_at) values (r.lease, r.key, p_now) on conflict do nothing;
    if not found then report_outcome := 'already_reported'; return next; continue; end if;
    step := keypool_health(cur.health_status, cur.consecutive_failures, cur.probe_failures, cur.cooldown_until, cur.probe_due_at,
      r.success, r.status_code, r.error_type, r.retry_after, r.probe, p_now, p_degraded_after, p_unhealthy_after, p_rate_limit_ms,
      p_probe_base_ms, p_probe_max_ms);
    new_today := case when cur.spend_day = p_today then cur.spend_today + r.cost else r.cost end;
    new_month := case when cur.spend_month_start = p_month_start then cur.spend_month + r.cost else r.cost end;
    exceeded := keypool_spend_over(cur.spend_limit_amount, cur.spend_limit_period, new_today, new_month,
      cur.cached_usage_today, cur.cached_usage_month, cur.billing_synced_at, p_today, p_month_start);
    update integration i set
      health_status = step.health_status, consecutive_failures = step.consecutive_failures, probe_failures = step.probe_failures,
      cooldown_until = step.cooldown_until, probe_due_at = step.probe_due_at,
      spend_today = new_today, spend_day = p_today, spend_month = new_month, spend_month_start = p_month_start,
      spend_limit_exceeded = exceeded,
      spend_exceeded_period = case when exceeded then keypool_spend_period(i.spend_limit_period, p_day_key, p_month_key) end,
      last_error = case when r.success then i.last_error else coalesce('HTTP ' || r.status_code, r.error_type, 'unknown error') end,
      last_error_at = case when r.success then i.last_error_at else p_now end,
      out_of_credits_at = case when r.status_code = 402 then p_now else i.out_of_credits_at end,
      out_of_credits_until = case when r.status_code = 402
        then (case when i.provider_name = any(p_credit_providers) then null else (p_today + 1)::timestamp at time zone 'UTC' end)
        else i.out_of_credits_until end,
      updated_at = p_now
    where i.id = r.key
    returning i.* into report_key;
    insert into usage_daily as u (brand_id, integration_id, provider_name, node_id, model, day, requests,
      successes, rate_limited, server_errors, auth_errors, client_errors, timeouts, network_errors,
      prompt_tokens, completion_tokens, cost_usd, latency_ms_sum, latency_ms_max, latency_reports,
      first_token_ms_sum, first_token_ms_max, first_token_reports)
    values (cur.brand_id, cur.id, cur.provider_name, r.node, lower(coalesce(r.model, '')), p_today, 1,
      (step.ledger_outcome = 'successes')::int, (step.ledger_outcome = 'rate_limited')::int, (step.ledger_outcome = 'server_errors')::int,
      (step.ledger_outcome = 'auth_errors')::int, (step.ledger_outcome = 'client_errors')::int, (step.ledger_outcome = 'timeouts')::int,
      (step.ledger_outcome = 'network_errors')::int, r.prompt, r.completion, r.cost,
      coalesce(r.latency, 0), coalesce(r.latency, 0), (r.latency is not null)::int,
      coalesce(r.first_token, 0), coalesce(r.first_token, 0), (r.first_token is not null)::int)
    on conflict (brand_id, day, integration_id, (coalesce(node_id, '00000000-0000-0000-0000-000000000000'::uuid)), model) do update set
      requests = u.requests + 1, successes = u.successes + excluded.successes, rate_limited = u.rate_limited + excluded.rate_limited,
      server_errors = u.server_errors + excluded.server_errors, auth_errors = u.auth_errors + excluded.auth_errors,
      client_errors = u.client_errors + excluded.client_errors, timeouts = u.timeouts + excluded.timeouts,
      network_errors = u.network_errors + excluded.network_errors,
      prompt_tokens = u.prompt_tokens + excluded.prompt_tokens, completion_tokens = u.completion_tokens + excluded.completion_tokens,
      cost_usd = u.cost_usd + excluded.cost_usd, latency_ms_sum = u.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_max = greatest(u.latency_ms_max, excluded.latency_ms_max), latency_reports = u.latency_reports + excluded.latency_reports,
      first_token_ms_sum = u.first_token_ms_sum + excluded.first_token_ms_sum,
      first_token_ms_max = greatest(u.first_token_ms_max, excluded.first_token_ms_max),
      first_token_reports = u.first_token_reports + excluded.first_token_reports;
    done := done || r.ord::integer;
    report_outcome := 'reported';
    previous_status := cur.health_status;
    health_reason := step.reason;
    -- The stored flag, not the period-aware one: a flag left from an ended period flips back here, with its event.
    was_exceeded := cur.spend_limit_exceeded;
    credits_flagged := r.status_code = 402 and cur.out_of_credits_at is null;
    return next;
  end loop;
  perform 1 from node n where n.id in (select u.node from rows from (jsonb_to_recordset(p_reports) as (node uuid)) with ordinality as u(node, ord)
    where u.ord = any(done)) order by n.id for update;
  update node n set lease_count = n.lease_count + a.reports, failure_count = n.failure_count + a.failures,
    spend_today = case when n.spend_day = p_today then n.spend_today + a.cost else a.cost end, spend_day = p_today,
    spend_month = case when n.spend_month_start = p_month_start then n.spend_month + a.cost else a.cost end, spend_month_start = p_month_start
  from (
    select u.node, count(*) as reports, count(*) filter (where not u.success) as failures, sum(u.cost) as cost
    from rows from (jsonb_to_recordset(p_reports) as (node uuid, success boolean, cost numeric)) with ordinality as u(node, success, cost, ord)
    where u.node is not null and u.ord = any(done)
    group by u.node
  ) a
  where n.id = a.node;
end
$fn$;`;

/**
 * Reports and leases in one statement and one commit. The reported keys are locked first, in key
 * order, then the reports, then the leases, whose picks pass over keys other batches hold (the
 * last attempt waits): batches running at once (on one instance or several) do not queue on
 * one another's providers, and cannot wait in a cycle but on that last attempt, which a
 * deadlock retry settles.
 */
const APPLY_SQL = `create or replace function keypool_apply(p_reports jsonb, p_leases jsonb, p_at jsonb, p_rules jsonb)
returns table (kind text, item integer, lease_skipped jsonb, report_outcome text, previous_status text, health_reason text,
  was_exceeded boolean, credits_flagged boolean, key integration) language plpgsql as $fn$
begin
  perform 1 from integration i where i.id in (select (e->>'key')::integer from jsonb_array_elements(p_reports) e) order by i.id for update;
  return query select 'report'::text, r.report_item, null::jsonb, r.report_outcome, r.previous_status, r.health_reason,
      r.was_exceeded, r.credits_flagged, r.report_key
    from keypool_report(p_reports, p_at, p_rules) r;
  return query select 'lease'::text, l.lease_item, l.lease_skipped, null::text, null::text, null::text, null::boolean, null::boolean, l.lease_key
    from keypool_lease(p_leases, p_at, p_rules) l;
end
$fn$;`;

export const POOL_FUNCTIONS_SQL: readonly string[] = [REPORT_RESULT_TYPE_SQL, PROBE_WAIT_SQL, MODEL_ALLOWED_SQL, SKIP_REASON_SQL, SKIP_UNTIL_SQL, LEASE_SQL, HEALTH_SQL, REPORT_SQL, APPLY_SQL];
