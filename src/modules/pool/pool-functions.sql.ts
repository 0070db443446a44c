/**
 * The pool's counting, in the database where it must be exact across instances.
 * Leases are picked in memory (selection.ts, over the key book) and counted from
 * allowance claimed here; reports are applied here, or appended here and folded.
 *
 * - keypool_health: how a report moves a key's health (the transition, its
 *   reason for the event, the ledger outcome).
 * - keypool_report: a batch of reports in one statement: marks each lease
 *   reported (at most once), applies health, cooldown, spend, the spend-limit
 *   flag, a 402's out-of-credits mark, the daily usage ledger and the node's
 *   counters.
 * - keypool_append: the batch's plain successes, appended to pool_outcome
 *   with no lock on their keys; keypool_fold folds them into their keys'
 *   spend and health, the ledger and the nodes' counters a short while later.
 * - keypool_reserve: leases of keys with token or concurrency limits, each
 *   counted on its own with its estimated tokens and, under a concurrency
 *   limit, recorded as open (pool_open_lease) until its report or expiry;
 *   keypool_report puts the reported tokens in place of the estimate.
 * - keypool_settle: a batch of everything in one statement: usage counts of
 *   leases granted, allowance given back, reports, allowance claims and
 *   reservations.
 *
 * The batch functions take named inputs, as JSON (pool-input.ts builds them):
 * the items (p_reports: lease, key, brand, node, model, success, status_code,
 * error_type, retry_after, probe, cost, prompt_tokens, completion_tokens,
 * latency_ms, first_token_ms, and for a reserved lease tokens_given, reserved,
 * reserve_minute, reserve_day, open; p_claims: key, n, probe; p_reserves: key,
 * tokens, lease, expires_at; p_counts and p_returns:
 * key, minute, minute_n, day, day_n, and for counts last_used), the instant
 * (p_at: now, minute, today, month_start, day_key, month_key) and the rules
 * (p_rules: degraded_after, unhealthy_after, rate_limit_ms, probe_base_ms,
 * probe_max_ms, credit_providers, and appended_spend: appended reports answer
 * with their spend in columns of their own rather than in a key row). Every time comes from the service's clock,
 * so tests drive it. Applied (create or replace) after the migrations at every
 * start.
 *
 * The previous version's pick (keypool_apply and keypool_lease with positional
 * arrays, and the rules they ask: keypool_skip_reason, keypool_skip_until,
 * keypool_model_allowed) stays defined so that instances of that version keep
 * leasing during a rolling upgrade; nothing of this version calls it. While both
 * versions run, the previous one counts leases on minute_count and this one on
 * its claims: a limit is exact again once every instance runs this version.
 */

/** A type the report function returns one of per item. */
/**
 * Earlier versions of the batch functions whose result type (or arguments) changed since are
 * dropped to be created anew (a function's result type cannot be replaced): the reserve and
 * settle functions of a draft that returned no reservation, and the settle and append functions
 * from before appended reports could answer with their spend alone.
 */
const DROP_DRAFTS_SQL = `do $$
begin
  if exists (select 1 from pg_proc where proname = 'keypool_settle' and pronargs = 8 and not ('reserved' = any(proargnames))) then
    drop function keypool_settle(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, integer[]);
  end if;
  if exists (select 1 from pg_proc where proname = 'keypool_reserve' and not ('reserved' = any(proargnames))) then
    drop function keypool_reserve(jsonb, jsonb);
  end if;
  -- Before appended reports answered with their spend alone: settle returned no such columns, and append took no choice of answer.
  if exists (select 1 from pg_proc where proname = 'keypool_settle' and pronargs = 8 and not ('appended_today' = any(proargnames))) then
    drop function keypool_settle(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, integer[]);
  end if;
  drop function if exists keypool_append(jsonb, jsonb);
end $$;`;

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
 * The previous version's model rule, kept for its instances during a rolling upgrade (this
 * version's home of the rule is keys/model-rule.ts): whether a key's model lists let it serve
 * `p_model`, case-insensitively.
 */
const MODEL_ALLOWED_SQL = `create or replace function keypool_model_allowed(
  p_models text[], p_blacklisted text[], p_model text
) returns boolean language sql stable as $fn$
  select not ('*' = any(coalesce(p_blacklisted, '{}')) or lower(p_model) = any(lower(coalesce(p_blacklisted, '{}')::text)::text[]))
    and (p_models is null or '*' = any(p_models) or lower(p_model) = any(lower(p_models::text)::text[]))
$fn$;`;

/**
 * The previous version's skip reasons, kept for its instances during a rolling upgrade (this
 * version's are in selection.ts, in the same order). Checked in this order, the first that applies is the reason: inactive; credential
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
 * What of a key's state, as the database has it, keeps it from serving any lease now (null: nothing):
 * turned off, its credential unreadable, out of credits, unhealthy with no probe due, cooling down, or
 * spend-blocked in the current period; the reasons of keypool_skip_reason that another instance's
 * writes bring about, read from it with a lease that asks for nothing (no model, not a batch, the
 * key's own environment) and without its count limits (the claims count those themselves). A claim
 * or a reservation checks it under the key's lock: an instance whose copy of the key is behind an
 * event grants at most the slice it already holds, and claims no more.
 */
const KEY_STATE_SQL = `create or replace function keypool_key_state(k integration, p_now timestamptz, p_day_key text, p_month_key text)
returns text language sql stable as $fn$
  select nullif(nullif(keypool_skip_reason(k, null, false, k.env_refs, p_now, date_trunc('minute', p_now), p_now::date, p_day_key, p_month_key),
    'minute_limit'), 'daily_limit')
$fn$;`;

/**
 * Success heals; 5xx, timeouts and network errors count up (degraded, then unhealthy);
 * 401/403 make the key unhealthy at once; 429 only cools it down (Retry-After, or the
 * configured cooldown); other 4xx, and 3xx (a redirect passed back as it came), are the
 * caller's outcome and change nothing. What the provider's answer settles (p_class, read by
 * provider-signals.ts) comes first: credential_dead is unhealthy at once, overloaded changes
 * nothing of the key, rate_limited and quota_exhausted rest it until p_rest_until; a success
 * may rest it too (a budget its headers say is spent). A rest only ever extends a cooldown. An unhealthy
 * key's recovery probe is due after the base wait, doubling per failed probe, capped.
 * The reason is set only when the health status changed.
 */
const HEALTH_SQL = `create or replace function keypool_health(
  p_status text, p_failures integer, p_probe_failures integer, p_cooldown timestamptz, p_probe_due timestamptz,
  p_success boolean, p_status_code integer, p_error_type text, p_retry_after integer, p_probe boolean,
  p_now timestamptz, p_degraded_after integer, p_unhealthy_after integer, p_rate_limit_ms double precision,
  p_probe_base_ms double precision, p_probe_max_ms double precision,
  p_class text, p_rest_until timestamptz, p_detail text
) returns keypool_health_step language plpgsql immutable as $fn$
declare
  outcome text;
  described text := coalesce(p_detail, 'HTTP ' || p_status_code, p_error_type, 'unknown error');
  res keypool_health_step;
  failures integer;
  probes integer;
begin
  outcome := case
    when p_success then 'success'
    when p_class = 'credential_dead' then 'auth_failure'
    when p_class = 'overloaded' then 'overloaded'
    when p_class in ('rate_limited', 'quota_exhausted') or p_status_code = 429 or p_error_type = 'rate_limited' then 'rate_limited'
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
  -- A rest is only ever extended: a shorter one than the key already has changes nothing.
  if outcome = 'success' then
    res.health_status := 'healthy'; res.consecutive_failures := 0; res.probe_failures := 0; res.probe_due_at := null;
    res.reason := case when p_probe then 'recovery probe succeeded' else 'request succeeded' end;
    res.cooldown_until := greatest(p_cooldown, p_rest_until);
  elsif outcome = 'rate_limited' then
    res.cooldown_until := greatest(p_cooldown,
      coalesce(p_rest_until, p_now + coalesce(p_retry_after * 1000.0, p_rate_limit_ms) * interval '1 millisecond'));
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
 * How a row of the usage ledger (usage_daily, aliased u) takes what is inserted for its brand,
 * day, key, node and model: every count and sum added, every maximum kept. Reports applied at once
 * and folds of appended ones share it.
 */
const LEDGER_ADDS = `on conflict (brand_id, day, integration_id, (coalesce(node_id, '00000000-0000-0000-0000-000000000000'::uuid)), model) do update set
      requests = u.requests + excluded.requests, successes = u.successes + excluded.successes, rate_limited = u.rate_limited + excluded.rate_limited,
      server_errors = u.server_errors + excluded.server_errors, auth_errors = u.auth_errors + excluded.auth_errors,
      client_errors = u.client_errors + excluded.client_errors, timeouts = u.timeouts + excluded.timeouts,
      network_errors = u.network_errors + excluded.network_errors,
      prompt_tokens = u.prompt_tokens + excluded.prompt_tokens, completion_tokens = u.completion_tokens + excluded.completion_tokens,
      cost_usd = u.cost_usd + excluded.cost_usd, latency_ms_sum = u.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_max = greatest(u.latency_ms_max, excluded.latency_ms_max), latency_reports = u.latency_reports + excluded.latency_reports,
      first_token_ms_sum = u.first_token_ms_sum + excluded.first_token_ms_sum,
      first_token_ms_max = greatest(u.first_token_ms_max, excluded.first_token_ms_max),
      first_token_reports = u.first_token_reports + excluded.first_token_reports`;

/**
 * Reports (but those marked `append`, which are keypool_append's) are applied in key order (so concurrent batches, leases and reports, lock keys in one
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
  closed boolean;
  actual bigint;
  done integer[] := '{}';
  -- Whether a report taken names a node (its counters are updated after the loop, locked in node order).
  any_node boolean := false;
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_minute timestamptz := (p_at->>'minute')::timestamptz;
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
        completion_tokens bigint, latency_ms integer, first_token_ms integer, append boolean, class text, rest_until timestamptz, detail text,
        observed_minute integer, observed_day integer, tokens_given boolean, reserved bigint, reserve_minute timestamptz, reserve_day date,
        open boolean, quota_group text)) with ordinality
      as u(lease, key, brand, node, model, success, status_code, error_type, retry_after, probe, cost, prompt, completion, latency, first_token, append,
        class, rest_until, detail, observed_minute, observed_day, tokens_given, reserved, reserve_minute, reserve_day, open, quota_group, ord)
    where not coalesce(u.append, false)
    order by u.key, u.ord
  loop
    report_item := r.ord; report_key := null; previous_status := null; health_reason := null; was_exceeded := null; credits_flagged := null;
    -- By its id alone, the brand checked after: with the brand in the condition, a planner that takes the table for small may read
    -- the key through the brand's index, every key of the brand.
    select * into cur from integration where id = r.key for update;
    if not found or cur.brand_id is distinct from r.brand then report_outcome := 'not_found'; return next; continue; end if;
    insert into reported_lease (lease_id, integration_id, reported_at) values (r.lease, r.key, p_now) on conflict do nothing;
    if not found then report_outcome := 'already_reported'; return next; continue; end if;
    step := keypool_health(cur.health_status, cur.consecutive_failures, cur.probe_failures, cur.cooldown_until, cur.probe_due_at,
      r.success, r.status_code, r.error_type, r.retry_after, r.probe, p_now, p_degraded_after, p_unhealthy_after, p_rate_limit_ms,
      p_probe_base_ms, p_probe_max_ms, r.class, r.rest_until, r.detail);
    new_today := case when cur.spend_day = p_today then cur.spend_today + r.cost else r.cost end;
    new_month := case when cur.spend_month_start = p_month_start then cur.spend_month + r.cost else r.cost end;
    exceeded := keypool_spend_over(cur.spend_limit_amount, cur.spend_limit_period, new_today, new_month,
      cur.cached_usage_today, cur.cached_usage_month, cur.billing_synced_at, p_today, p_month_start);
    -- A lease of a key with a concurrency limit is open until its report; its reserved tokens give way to the reported ones (none reported: the
    -- estimate stays, but for a request the provider refused with a 4xx, which used none).
    closed := false;
    if coalesce(r.open, false) then
      delete from pool_open_lease o where o.lease_id = r.lease;
      closed := found;
    end if;
    actual := case when coalesce(r.tokens_given, false) then coalesce(r.prompt, 0) + coalesce(r.completion, 0)
      when not r.success and r.status_code between 400 and 499 then 0
      else coalesce(r.reserved, 0) end;
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
      observed_minute_limit = coalesce(r.observed_minute, i.observed_minute_limit),
      observed_daily_limit = coalesce(r.observed_day, i.observed_daily_limit),
      token_minute_count = keypool_tokens_after(i.token_minute_count, i.token_minute_window, r.reserved, r.reserve_minute, actual,
        i.token_minute_limit is not null and coalesce(r.tokens_given, false), p_minute),
      token_minute_window = case when r.reserved is null and i.token_minute_limit is not null and coalesce(r.tokens_given, false)
        then greatest(i.token_minute_window, p_minute) else i.token_minute_window end,
      token_daily_count = keypool_tokens_after(i.token_daily_count, i.token_day_window, r.reserved, r.reserve_day, actual,
        i.token_daily_limit is not null and coalesce(r.tokens_given, false), (p_now at time zone i.daily_reset_zone)::date),
      token_day_window = case when r.reserved is null and i.token_daily_limit is not null and coalesce(r.tokens_given, false)
        then greatest(i.token_day_window, (p_now at time zone i.daily_reset_zone)::date) else i.token_day_window end,
      open_leases = case when closed then greatest(0, i.open_leases - 1) else i.open_leases end,
      updated_at = p_now
    where i.id = r.key
    returning i.* into report_key;
    -- The group the lease reserved of (or, with none reserved, the key's group now) counts the tokens the same way.
    if coalesce(r.quota_group, cur.quota_group) is not null and (r.reserved is not null or coalesce(r.tokens_given, false)) then
      update quota_group g set
        token_minute_count = keypool_tokens_after(g.token_minute_count, g.token_minute_window, r.reserved, r.reserve_minute, actual,
          g.token_minute_limit is not null and coalesce(r.tokens_given, false), p_minute),
        token_minute_window = case when r.reserved is null and g.token_minute_limit is not null then greatest(g.token_minute_window, p_minute)
          else g.token_minute_window end,
        -- The group's day of the reservation: the day its minute falls in, in the group's zone.
        token_daily_count = keypool_tokens_after(g.token_daily_count, g.token_day_window, r.reserved, (r.reserve_minute at time zone g.daily_reset_zone)::date, actual,
          g.token_daily_limit is not null and coalesce(r.tokens_given, false), (p_now at time zone g.daily_reset_zone)::date),
        token_day_window = case when r.reserved is null and g.token_daily_limit is not null then greatest(g.token_day_window, (p_now at time zone g.daily_reset_zone)::date)
          else g.token_day_window end
      where g.brand_id = cur.brand_id and g.name = coalesce(r.quota_group, cur.quota_group);
    end if;
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
    ${LEDGER_ADDS};
    done := done || r.ord::integer;
    any_node := any_node or r.node is not null;
    report_outcome := 'reported';
    previous_status := cur.health_status;
    health_reason := step.reason;
    -- The stored flag, not the period-aware one: a flag left from an ended period flips back here, with its event.
    was_exceeded := cur.spend_limit_exceeded;
    credits_flagged := r.status_code = 402 and cur.out_of_credits_at is null;
    return next;
  end loop;
  if not any_node then return; end if;
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
 * The reports marked `append` (a plain success: the instance saw its key healthy, with no
 * failure counted and no `block` spend limit), in one set-wise statement with no lock on their keys: each
 * lease is recorded as reported (at most once, shared with keypool_report), and its outcome is
 * inserted into pool_outcome for keypool_fold. Each item's outcome is 'reported', 'not_found' or
 * 'already_reported'. A reported item returns only what it changed of its key (the id, the spend
 * with every outcome not yet folded counted in, and the spend limit's verdict on it; the rest is
 * the caller's copy); the verdict is stored, and its event published, by the fold.
 */
const APPEND_SQL = `create or replace function keypool_append(p_reports jsonb, p_at jsonb, p_key_rows boolean)
returns table (report_item integer, report_outcome text, report_key integration, previous_status text, health_reason text,
  was_exceeded boolean, credits_flagged boolean, spend_today numeric, spend_month numeric, exceeded_period text) language plpgsql
-- Each key's outcomes by the index, always: pool_outcome is emptied by every fold, so its statistics (taken whenever it was last
-- vacuumed or analyzed, often just after a fold) may say it is empty, and a plan kept for the session would then scan the whole
-- table once per key as it fills again.
set enable_seqscan = off as $fn$
declare
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_today date := (p_at->>'today')::date;
  p_month_start date := (p_at->>'month_start')::date;
begin
  -- PL/pgSQL keeps the statement's plan for the session (a SQL function would plan it on every call).
  if not jsonb_path_exists(p_reports, '$[*] ? (@.append == true)') then return; end if;
  return query with item as (
    select u.* from rows from (jsonb_to_recordset(p_reports) as (lease uuid, key integer, brand uuid, node uuid, model text, cost numeric,
        prompt_tokens bigint, completion_tokens bigint, latency_ms integer, first_token_ms integer, append boolean)) with ordinality
      as u(lease, key, brand, node, model, cost, prompt, completion, latency, first_token, append, ord)
    where u.append
  ), known as (
    -- Each item's key read once (by its id: the limit keeps the planner from scanning every key to hash them), with what the answer
    -- needs of it. A lease given twice in one batch is reported by its first item only.
    select item.*, k.provider_name, k.health_status, k.spend_limit_amount, k.spend_limit_period, k.cached_usage_today, k.cached_usage_month,
      k.billing_synced_at, case when k.spend_day = p_today then k.spend_today else 0 end as key_today,
      case when k.spend_month_start = p_month_start then k.spend_month else 0 end as key_month,
      row_number() over (partition by item.lease order by item.ord) = 1 as first
    from item cross join lateral (select k.* from integration k where k.id = item.key limit 1) k
    where k.brand_id = item.brand
  ), fresh as (
    insert into reported_lease (lease_id, integration_id, reported_at)
    select known.lease, known.key, p_now from known where known.first
    on conflict do nothing
    returning lease_id
  ), added as (
    insert into pool_outcome (integration_id, brand_id, provider_name, node_id, model, day, month_start, reported_at, cost_usd, prompt_tokens,
      completion_tokens, latency_ms, first_token_ms)
    select known.key, known.brand, known.provider_name, known.node, lower(coalesce(known.model, '')), p_today, p_month_start,
      p_now, known.cost, known.prompt, known.completion, known.latency, known.first_token
    from known join fresh on fresh.lease_id = known.lease where known.first
    returning integration_id, cost_usd
  ), pending as materialized (
    -- What is not folded yet, per key: the outcomes appended before (each key's found by its index) and this batch's (not visible to
    -- this statement's scan of the table), all of them today's and this month's. Materialized: worked out once per key, not once
    -- per item joined to it.
    select k.id, o.today + coalesce(a.cost, 0) as today, o.month + coalesce(a.cost, 0) as month
    from (select distinct known.key as id from known) k
      cross join lateral (select coalesce(sum(o.cost_usd) filter (where o.day = p_today), 0) as today,
          coalesce(sum(o.cost_usd) filter (where o.month_start = p_month_start), 0) as month
        from pool_outcome o where o.integration_id = k.id) o
      left join (select added.integration_id as id, sum(added.cost_usd) as cost from added group by added.integration_id) a on a.id = k.id
  )
  select item.ord::integer,
    case when known.lease is null then 'not_found' when fresh.lease_id is null or not known.first then 'already_reported' else 'reported' end,
    -- Only what the report changed (the caller has the rest of the key): its spend and the spend limit's verdict, as columns; as a
    -- key row (its id and those fields) only for a caller of the version before, which reads them there.
    case when p_key_rows and fresh.lease_id is not null and known.first then jsonb_populate_record(null::integration, jsonb_build_object(
      'id', known.key, 'spend_today', s.today, 'spend_day', p_today, 'spend_month', s.month,
      'spend_month_start', p_month_start, 'spend_limit_exceeded', s.exceeded,
      'spend_exceeded_period', case when s.exceeded then keypool_spend_period(known.spend_limit_period, p_at->>'day_key', p_at->>'month_key') end)) end,
    known.health_status::text, null::text, s.exceeded, false, s.today, s.month,
    case when s.exceeded then keypool_spend_period(known.spend_limit_period, p_at->>'day_key', p_at->>'month_key') end
  from item
    left join known on known.ord = item.ord
    left join fresh on fresh.lease_id = item.lease
    left join pending p on p.id = known.key
    -- The spend as it now stands, and a warn limit's verdict on it (stored, with its event, by the fold).
    left join lateral (select t.today, t.month, keypool_spend_over(known.spend_limit_amount, known.spend_limit_period, t.today, t.month,
        known.cached_usage_today, known.cached_usage_month, known.billing_synced_at, p_today, p_month_start) as exceeded
      from (select known.key_today + coalesce(p.today, 0) as today, known.key_month + coalesce(p.month, 0) as month) t) s on true;
end
$fn$;`;

/**
 * Folds appended outcomes (up to p_limit, those no other fold holds, of any instance; of the keys
 * p_keys names, or of every key when it is null) into their keys, the usage ledger and their nodes' counters, in one transaction: the outcomes leave
 * pool_outcome in the same commit that counts them, so none is lost or counted twice. Keys are
 * locked in key order, then nodes in node order, as keypool_settle does. The outcomes are taken in
 * key order, so one fold holds a run of keys with all their outcomes, and a fold of many outcomes
 * is several short ones (a batch that needs a key waits for one chunk, not for every key's).
 * - Spend: each key's and node's today and month, by the day and month each outcome was reported
 *   in (an outcome of a day that has ended is in the ledger, not in today's spend), and the spend
 *   limit judged again (a limit set since the report was appended is honoured here).
 * - Health: a success reported after the key's last failure heals it (its failures are forgotten),
 *   as the same report applied at once would have.
 * Returns a first row with the number folded, then one row per key whose health or spend-limit
 * verdict changed (for their events). The outcomes of a key deleted meanwhile still reach the
 * ledger and their node (a report acknowledged before a delete counts); those of a brand deleted
 * meanwhile go with it.
 */
const FOLD_SQL = `create or replace function keypool_fold(p_at jsonb, p_limit integer, p_keys integer[])
returns table (kind text, folded integer, key integration, previous_status text, health_reason text, was_exceeded boolean)
-- By the indexes, always (as keypool_append): pool_outcome's statistics may say it is empty, and a fold touches a few rows of the
-- brands, nodes and keys whatever their tables' size.
language plpgsql set enable_seqscan = off as $fn$
declare
  taken pool_outcome[];
  p_today date := (p_at->>'today')::date;
  p_month_start date := (p_at->>'month_start')::date;
  p_day_key text := p_at->>'day_key';
  p_month_key text := p_at->>'month_key';
begin
  with t as (
    delete from pool_outcome o where o.ctid = any(array(select ctid from pool_outcome where p_keys is null or integration_id = any(p_keys)
      order by integration_id limit p_limit for update skip locked))
    returning o.*
  )
  select array_agg(t) into taken from t;
  return query select 'folded'::text, coalesce(cardinality(taken), 0), null::integration, null::text, null::text, null::boolean;
  if taken is null then return; end if;
  perform 1 from integration i where i.id in (select u.integration_id from unnest(taken) u) order by i.id for update;
  insert into usage_daily as u (brand_id, integration_id, provider_name, node_id, model, day, requests, successes,
    prompt_tokens, completion_tokens, cost_usd, latency_ms_sum, latency_ms_max, latency_reports, first_token_ms_sum, first_token_ms_max, first_token_reports)
  select o.brand_id, o.integration_id, o.provider_name, o.node_id, o.model, o.day, count(*), count(*),
    sum(o.prompt_tokens), sum(o.completion_tokens), sum(o.cost_usd),
    coalesce(sum(o.latency_ms), 0), coalesce(max(o.latency_ms), 0), count(o.latency_ms),
    coalesce(sum(o.first_token_ms), 0), coalesce(max(o.first_token_ms), 0), count(o.first_token_ms)
  from unnest(taken) o
  where exists (select 1 from brand b where b.id = o.brand_id)
  group by o.brand_id, o.integration_id, o.provider_name, o.node_id, o.model, o.day
  ${LEDGER_ADDS};
  perform 1 from node n where n.id in (select u.node_id from unnest(taken) u) order by n.id for update;
  update node n set lease_count = n.lease_count + a.n,
    spend_today = case when n.spend_day = a.last_day then n.spend_today + a.day_cost
      when n.spend_day is null or n.spend_day < a.last_day then a.day_cost else n.spend_today end,
    spend_day = greatest(n.spend_day, a.last_day),
    spend_month = case when n.spend_month_start = a.last_month then n.spend_month + a.month_cost
      when n.spend_month_start is null or n.spend_month_start < a.last_month then a.month_cost else n.spend_month end,
    spend_month_start = greatest(n.spend_month_start, a.last_month)
  from (
    select o.node_id, count(*) as n, o.last_day, o.last_month,
      coalesce(sum(o.cost_usd) filter (where o.day = o.last_day), 0) as day_cost,
      coalesce(sum(o.cost_usd) filter (where o.month_start = o.last_month), 0) as month_cost
    from (select u.*, max(u.day) over w as last_day, max(u.month_start) over w as last_month
      from unnest(taken) u where u.node_id is not null window w as (partition by u.node_id)) o
    group by o.node_id, o.last_day, o.last_month
  ) a
  where n.id = a.node_id;
  return query with per_key as (
      select o.integration_id as id, o.last_day, o.last_month, max(o.reported_at) as last_at,
        coalesce(sum(o.cost_usd) filter (where o.day = o.last_day), 0) as day_cost,
        coalesce(sum(o.cost_usd) filter (where o.month_start = o.last_month), 0) as month_cost
      from (select u.*, max(u.day) over w as last_day, max(u.month_start) over w as last_month
        from unnest(taken) u window w as (partition by u.integration_id)) o
      group by o.integration_id, o.last_day, o.last_month
    ), stepped as (
      select p.id, p.last_at, b.health_status as was_status, b.spend_limit_exceeded as was_exceeded,
        (b.health_status <> 'healthy' or b.consecutive_failures > 0) and p.last_at > coalesce(b.last_error_at, '-infinity') as heals,
        case when b.spend_day = p.last_day then b.spend_today + p.day_cost
          when b.spend_day is null or b.spend_day < p.last_day then p.day_cost else b.spend_today end as new_today,
        greatest(b.spend_day, p.last_day) as new_day,
        case when b.spend_month_start = p.last_month then b.spend_month + p.month_cost
          when b.spend_month_start is null or b.spend_month_start < p.last_month then p.month_cost else b.spend_month end as new_month,
        greatest(b.spend_month_start, p.last_month) as new_month_start,
        b.spend_limit_amount, b.spend_limit_period, b.cached_usage_today, b.cached_usage_month, b.billing_synced_at
      from per_key p join integration b on b.id = p.id
    ), judged as (
      select s.*, keypool_spend_over(s.spend_limit_amount, s.spend_limit_period,
        case when s.new_day = p_today then s.new_today else 0 end, case when s.new_month_start = p_month_start then s.new_month else 0 end,
        s.cached_usage_today, s.cached_usage_month, s.billing_synced_at, p_today, p_month_start) as exceeded
      from stepped s
    ), folded as (
      update integration i set
        spend_today = j.new_today, spend_day = j.new_day, spend_month = j.new_month, spend_month_start = j.new_month_start,
        spend_limit_exceeded = j.exceeded,
        spend_exceeded_period = case when j.exceeded then keypool_spend_period(i.spend_limit_period, p_day_key, p_month_key) end,
        health_status = case when j.heals then 'healthy' else i.health_status end,
        consecutive_failures = case when j.heals then 0 else i.consecutive_failures end,
        probe_failures = case when j.heals then 0 else i.probe_failures end,
        probe_due_at = case when j.heals then null else i.probe_due_at end,
        updated_at = greatest(i.updated_at, j.last_at)
      from judged j where i.id = j.id
      returning i, j.was_status, j.heals, j.was_exceeded
    )
    select 'changed'::text, null::integer, f.i, f.was_status::text,
      case when f.heals and f.was_status <> 'healthy' then 'request succeeded' end, f.was_exceeded
    from folded f
    where (f.heals and f.was_status <> 'healthy') or f.was_exceeded <> (f.i).spend_limit_exceeded;
end
$fn$;`;

/** Every key's outcomes (p_keys null): the fold as the version before called it, and as timers and reads of many keys call it. */
const FOLD_ALL_SQL = `create or replace function keypool_fold(p_at jsonb, p_limit integer)
returns table (kind text, folded integer, key integration, previous_status text, health_reason text, was_exceeded boolean)
language sql as $fn$ select * from keypool_fold(p_at, p_limit, null::integer[]) $fn$;`;

/**
 * A token count after a report (the count of the window `p_window`): a lease's reservation made in
 * that window is replaced by what was used (`p_actual`: the reported tokens, or the reservation
 * when none were reported); a report of a lease with no reservation (a probe, a lease from before
 * the limit was set) adds what it used to the current window (`p_at_window`) when `p_add`. A
 * reservation of a window that has passed changes nothing.
 */
const TOKENS_AFTER_SQL = `create or replace function keypool_tokens_after(
  p_count bigint, p_window anyelement, p_reserved bigint, p_reserved_window anyelement, p_actual bigint, p_add boolean, p_at_window anyelement
) returns bigint language sql immutable as $fn$
  select case
    when p_reserved is not null then case when p_window = p_reserved_window then greatest(0, p_count + p_actual - p_reserved) else p_count end
    when p_add then case when p_window = p_at_window then p_count + p_actual when p_window is null or p_window < p_at_window then p_actual else p_count end
    else p_count end
$fn$;`;

/**
 * Leases of keys with token or concurrency limits or a quota group, each counted on its own (no
 * slice is held of such a key), in key order, under the locks keypool_settle took (keys, then
 * their groups). An item (p_reserves: key, input, output, lease, expires_at) reserves the input
 * tokens and the output clamped to the tightest token limit of the key and its group. It is
 * granted when the key's request limits (claimed allowance, as keypool_settle's claims count it),
 * its token limits (the tokens counted in the current minute and day plus the reservation), its
 * concurrency limit (its open leases, those expired dropped) and its group's request and token
 * limits all leave room; then its request and its tokens are counted on the key and the group
 * and, under a concurrency limit, the lease is open until its report or its expiry. A refused item
 * says which limit refused it and when that limit frees up (null: an input larger than a whole
 * token limit never fits). Days are the key's and the group's, each in its own reset zone.
 */
const RESERVE_SQL = `create or replace function keypool_reserve(p_reserves jsonb, p_at jsonb)
returns table (item integer, granted integer, refusal text, refused_until timestamptz, reserved bigint, key integration) language plpgsql as $fn$
declare
  r record;
  cur integration;
  grp quota_group;
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_minute timestamptz := (p_at->>'minute')::timestamptz;
  key_today date;
  group_today date;
  tokens_minute bigint;
  tokens_day bigint;
  group_minute bigint;
  group_day bigint;
  tightest bigint;
  n_open integer;
  first_expiry timestamptz;
begin
  for r in select * from rows from (jsonb_to_recordset(p_reserves) as (key integer, input bigint, output bigint, lease uuid, expires_at timestamptz))
      with ordinality as u(key, input, output, lease, expires_at, ord)
    order by u.key, u.ord
  loop
    item := r.ord; granted := 0; refusal := null; refused_until := null; reserved := null; key := null;
    select * into cur from integration i where i.id = r.key for update;
    if not found then return next; continue; end if;
    grp := null;
    if cur.quota_group is not null then
      -- Locked by keypool_settle, with every group of the batch, in name order.
      select * into grp from quota_group g where g.brand_id = cur.brand_id and g.name = cur.quota_group for update;
    end if;
    -- The key's day and the group's, each in its reset zone.
    key_today := (p_now at time zone cur.daily_reset_zone)::date;
    group_today := (p_now at time zone coalesce(grp.daily_reset_zone, 'UTC'))::date;
    tokens_minute := case when cur.token_minute_window = p_minute then cur.token_minute_count else 0 end;
    tokens_day := case when cur.token_day_window = key_today then cur.token_daily_count else 0 end;
    group_minute := case when grp.token_minute_window = p_minute then grp.token_minute_count else 0 end;
    group_day := case when grp.token_day_window = group_today then grp.token_daily_count else 0 end;
    -- The estimate: the input, and the output clamped to the tightest token limit of the key and its group.
    tightest := least(cur.token_minute_limit, cur.token_daily_limit, grp.token_minute_limit, grp.token_daily_limit);
    reserved := r.input + case when tightest is null then r.output else least(r.output, greatest(0, tightest - r.input)) end;
    n_open := cur.open_leases;
    first_expiry := null;
    if cur.concurrency_limit is not null then
      delete from pool_open_lease o where o.integration_id = r.key and o.expires_at <= p_now;
      select count(*), min(o.expires_at) into n_open, first_expiry from pool_open_lease o where o.integration_id = r.key;
    end if;
    -- The key as it now stands first (keypool_key_state), then its limits and its group's.
    refusal := coalesce(keypool_key_state(cur, p_now, p_at->>'day_key', p_at->>'month_key'), case
      when least(cur.minute_limit, cur.observed_minute_limit) <= case when cur.claim_minute = p_minute then cur.minute_claimed else 0 end then 'minute_limit'
      when least(cur.daily_limit, cur.observed_daily_limit) <= case when cur.claim_day = key_today then cur.daily_claimed else 0 end then 'daily_limit'
      when cur.token_minute_limit is not null and (tokens_minute >= cur.token_minute_limit or reserved > cur.token_minute_limit - tokens_minute)
        then 'token_minute_limit'
      when cur.token_daily_limit is not null and (tokens_day >= cur.token_daily_limit or reserved > cur.token_daily_limit - tokens_day)
        then 'token_daily_limit'
      when cur.concurrency_limit is not null and n_open >= cur.concurrency_limit then 'concurrency_limit'
      when grp.minute_limit <= case when grp.claim_minute = p_minute then grp.minute_claimed else 0 end then 'group_minute_limit'
      when grp.daily_limit <= case when grp.claim_day = group_today then grp.daily_claimed else 0 end then 'group_daily_limit'
      when grp.token_minute_limit is not null and (group_minute >= grp.token_minute_limit or reserved > grp.token_minute_limit - group_minute)
        then 'group_token_minute_limit'
      when grp.token_daily_limit is not null and (group_day >= grp.token_daily_limit or reserved > grp.token_daily_limit - group_day)
        then 'group_token_daily_limit'
    end);
    refused_until := case refusal
      when 'minute_limit' then p_minute + interval '1 minute'
      when 'daily_limit' then (key_today + 1)::timestamp at time zone cur.daily_reset_zone
      when 'token_minute_limit' then case when reserved <= cur.token_minute_limit then p_minute + interval '1 minute' end
      when 'token_daily_limit' then case when reserved <= cur.token_daily_limit then (key_today + 1)::timestamp at time zone cur.daily_reset_zone end
      when 'concurrency_limit' then first_expiry
      when 'group_minute_limit' then p_minute + interval '1 minute'
      when 'group_daily_limit' then (group_today + 1)::timestamp at time zone grp.daily_reset_zone
      when 'group_token_minute_limit' then case when reserved <= grp.token_minute_limit then p_minute + interval '1 minute' end
      when 'group_token_daily_limit' then case when reserved <= grp.token_daily_limit then (group_today + 1)::timestamp at time zone grp.daily_reset_zone end
      else keypool_skip_until(cur, refusal, p_minute, (p_at->>'today')::date)
    end;
    if refusal is null then
      granted := 1;
      if cur.concurrency_limit is not null then
        insert into pool_open_lease (lease_id, integration_id, expires_at) values (r.lease, r.key, r.expires_at);
        n_open := n_open + 1;
      end if;
      if grp.name is not null then
        update quota_group g set
          minute_claimed = case when g.claim_minute = p_minute then g.minute_claimed + 1 else 1 end, claim_minute = p_minute,
          daily_claimed = case when g.claim_day = group_today then g.daily_claimed + 1 else 1 end, claim_day = group_today,
          token_minute_count = group_minute + reserved, token_minute_window = p_minute,
          token_daily_count = group_day + reserved, token_day_window = group_today
        where g.brand_id = grp.brand_id and g.name = grp.name;
      end if;
    else
      reserved := null;
    end if;
    update integration i set
      minute_claimed = case when i.claim_minute = p_minute then i.minute_claimed + granted else granted end,
      claim_minute = p_minute,
      daily_claimed = case when i.claim_day = key_today then i.daily_claimed + granted else granted end,
      claim_day = key_today,
      token_minute_count = tokens_minute + coalesce(reserved, 0),
      token_minute_window = p_minute,
      token_daily_count = tokens_day + coalesce(reserved, 0),
      token_day_window = key_today,
      open_leases = n_open
    where i.id = r.key
    returning i.* into key;
    return next;
  end loop;
end
$fn$;`;

/**
 * The pool's one statement per batch (leases are picked in memory; see selection.ts and
 * allowance.ts), in one commit. The appended reports first (keypool_append: no key locked), then every
 * other key it touches (p_keys) is locked, in key order. Then:
 * - the leases granted from claimed allowance are written to their keys' usage (p_counts: the
 *   counts of their latest minute and of the day, the last use);
 * - allowance an instance gives back is taken off what was claimed (p_returns);
 * - the reports applied at once (keypool_report);
 * - each claim (p_claims: key, n, probe) is granted what the key's limits (each the tighter of the
 *   configured one and the one its provider's headers last stated) leave unclaimed (at most n) in
 *   the current minute and day, so the claims of every instance together never pass a
 *   limit; a probe claim is granted only while the key's probe is due, and sets its next one;
 *   a key that cannot serve any lease as it now stands (keypool_key_state: blocked, cooling
 *   down, unhealthy, … since the claiming instance last read it) is granted none.
 * A claim returns the key as it now stands, so the instance sees what others changed.
 */
const SETTLE_SQL = `create or replace function keypool_settle(p_reports jsonb, p_claims jsonb, p_reserves jsonb, p_counts jsonb, p_returns jsonb, p_at jsonb,
  p_rules jsonb, p_keys integer[])
returns table (kind text, item integer, report_outcome text, previous_status text, health_reason text,
  was_exceeded boolean, credits_flagged boolean, granted integer, refusal text, refused_until timestamptz, reserved bigint, key integration,
  appended_today numeric, appended_month numeric, appended_period text)
-- The batch's keys by their index, always: its claims, counts and returns join a handful of keys to integration, and a planner that
-- takes the table for small (its statistics are as stale as its last analyze) and the batch for a hundred rows scanned the whole
-- table to hash it, twice for a claim: each of those joins is also bounded by the batch's keys (p_keys, one index scan for them).
-- Generic plans, always: a plan made for the batch's own keys looks cheaper than the generic one (which cannot know how many keys
-- p_keys holds), so PostgreSQL would plan every statement again on every call.
language plpgsql set enable_seqscan = off set plan_cache_mode = force_generic_plan as $fn$
declare
  p_now timestamptz := (p_at->>'now')::timestamptz;
  p_minute timestamptz := (p_at->>'minute')::timestamptz;
  p_today date := (p_at->>'today')::date;
  p_probe_base_ms double precision := (p_rules->>'probe_base_ms')::double precision;
  p_probe_max_ms double precision := (p_rules->>'probe_max_ms')::double precision;
begin
  -- Appended reports first: they lock no key, so the keys below are held for the rest of the batch only. (They answer with their
  -- spend as columns, the caller having the rest of the key; p_rules.appended_spend absent: the version before, which reads it from
  -- a key row.)
  return query select 'appended'::text, r.report_item, r.report_outcome, r.previous_status, r.health_reason,
      r.was_exceeded, r.credits_flagged, null::integer, null::text, null::timestamptz, null::bigint, r.report_key, r.spend_today, r.spend_month, r.exceeded_period
    from keypool_append(p_reports, p_at, not coalesce((p_rules->>'appended_spend')::boolean, false)) r;
  -- Each part runs only when the batch has some of it (a statement on nothing still costs its execution, and most batches are appends).
  if cardinality(p_keys) > 0 then
    perform 1 from integration i where i.id = any(p_keys) order by i.id for update;
  end if;
  -- The quota groups of the keys a reservation or a report counts tokens on, in name order (after every key: one order for every batch).
  if jsonb_array_length(p_reserves) > 0 or jsonb_path_exists(p_reports, '$[*] ? (@.quota_group != null)') then
    perform 1 from quota_group g
      where (g.brand_id, g.name) in (select i.brand_id, i.quota_group from integration i where i.id = any(p_keys) and i.quota_group is not null)
        or (g.brand_id, g.name) in (select u.brand, u.quota_group from jsonb_to_recordset(p_reports) as u(brand uuid, quota_group text) where u.quota_group is not null)
      order by g.brand_id, g.name for update;
  end if;
  if jsonb_array_length(p_counts) > 0 then
    update integration i set
      minute_count = case when i.minute_window = c.minute then i.minute_count + c.minute_n
        when i.minute_window is null or i.minute_window < c.minute then c.minute_n else i.minute_count end,
      minute_window = greatest(i.minute_window, c.minute),
      daily_count = case when i.day_window = c.day then i.daily_count + c.day_n
        when i.day_window is null or i.day_window < c.day then c.day_n else i.daily_count end,
      day_window = greatest(i.day_window, c.day),
      last_used_at = greatest(i.last_used_at, c.last_used),
      updated_at = greatest(i.updated_at, c.last_used)
    from jsonb_to_recordset(p_counts) as c(key integer, minute timestamptz, minute_n integer, day date, day_n integer, last_used timestamptz)
    where i.id = c.key and i.id = any(p_keys);
  end if;
  if jsonb_array_length(p_returns) > 0 then
    update integration i set
      minute_claimed = case when i.claim_minute = r.minute then greatest(0, i.minute_claimed - r.minute_n) else i.minute_claimed end,
      daily_claimed = case when i.claim_day = r.day then greatest(0, i.daily_claimed - r.day_n) else i.daily_claimed end
    from jsonb_to_recordset(p_returns) as r(key integer, minute timestamptz, minute_n integer, day date, day_n integer)
    where i.id = r.key and i.id = any(p_keys);
  end if;
  -- Reports applied at once, when the batch has any (the function's set-up alone costs about as much as applying one report).
  if exists (select 1 from jsonb_array_elements(p_reports) e where not coalesce((e->>'append')::boolean, false)) then
    return query select 'report'::text, r.report_item, r.report_outcome, r.previous_status, r.health_reason,
        r.was_exceeded, r.credits_flagged, null::integer, null::text, null::timestamptz, null::bigint, r.report_key, null::numeric, null::numeric, null::text
      from keypool_report(p_reports, p_at, p_rules) r;
  end if;
  if jsonb_array_length(p_reserves) > 0 then
    return query select 'reserve'::text, r.item, null::text, null::text, null::text, null::boolean, null::boolean, r.granted, r.refusal, r.refused_until,
        r.reserved, r.key, null::numeric, null::numeric, null::text
      from keypool_reserve(p_reserves, p_at) r;
  end if;
  if jsonb_array_length(p_claims) = 0 then return; end if;
  return query with want as (
      select * from rows from (jsonb_to_recordset(p_claims) as (key integer, n integer, probe boolean)) with ordinality as w(key, n, probe, ord)
    ), granted as (
      select w.ord, w.key, w.probe, case
        when w.probe and not (l.health_status = 'unhealthy' and l.probe_due_at <= p_now) then 0
        -- The key as it now stands, not as the claiming instance last read it.
        when keypool_key_state(l, p_now, p_at->>'day_key', p_at->>'month_key') is not null then 0
        else greatest(0, least(w.n,
          coalesce(least(l.minute_limit, l.observed_minute_limit) - case when l.claim_minute = p_minute then l.minute_claimed else 0 end, w.n),
          coalesce(least(l.daily_limit, l.observed_daily_limit) - case when l.claim_day = (p_now at time zone l.daily_reset_zone)::date then l.daily_claimed else 0 end, w.n)))
        end as n
      from want w join integration l on l.id = w.key and l.id = any(p_keys)
    ), counted as (
      update integration i set
        minute_claimed = case when i.claim_minute = p_minute then i.minute_claimed + g.n else g.n end,
        claim_minute = p_minute,
        daily_claimed = case when i.claim_day = (p_now at time zone i.daily_reset_zone)::date then i.daily_claimed + g.n else g.n end,
        claim_day = (p_now at time zone i.daily_reset_zone)::date,
        probe_due_at = case when g.probe and g.n > 0
          then p_now + keypool_probe_wait(i.probe_failures, p_probe_base_ms, p_probe_max_ms) else i.probe_due_at end
      from granted g where i.id = g.key and i.id = any(p_keys)
      returning g.ord, g.n, i
    )
    select 'claim'::text, c.ord::integer, null::text, null::text, null::text, null::boolean, null::boolean, c.n, null::text, null::timestamptz, null::bigint, c.i,
      null::numeric, null::numeric, null::text
    from counted c;
end
$fn$;`;

export const POOL_FUNCTIONS_SQL: readonly string[] = [
  DROP_DRAFTS_SQL, REPORT_RESULT_TYPE_SQL, PROBE_WAIT_SQL, MODEL_ALLOWED_SQL, SKIP_REASON_SQL, SKIP_UNTIL_SQL, KEY_STATE_SQL, HEALTH_SQL, TOKENS_AFTER_SQL, REPORT_SQL, APPEND_SQL, FOLD_SQL,
  RESERVE_SQL, SETTLE_SQL, FOLD_ALL_SQL,
];
