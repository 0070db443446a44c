/**
 * - keypool_spend_over: whether a spend limit is exceeded, judged the same way
 *   by reports, billing syncs and settings changes: the period's usage is the
 *   larger of keypool's own spend and the provider's figure for the period
 *   (when it was synced in that period).
 * - keypool_spend_period: the key of the period a limit counts in, of the two
 *   given (spendPeriodKey's, for today and this month). A stored exceeded flag
 *   holds while it names this key.
 *
 * Applied (create or replace) after the migrations at every start.
 */
const SPEND_PERIOD_SQL = `create or replace function keypool_spend_period(p_period text, p_day_key text, p_month_key text)
returns text language sql immutable as $fn$
  select case when p_period = 'daily' then p_day_key else p_month_key end
$fn$;`;

const SPEND_OVER_SQL = `create or replace function keypool_spend_over(
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
$fn$;`;

export const SPEND_FUNCTIONS_SQL: readonly string[] = [SPEND_PERIOD_SQL, SPEND_OVER_SQL];
