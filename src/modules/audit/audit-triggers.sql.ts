/**
 * The audit trail's triggers: every insert, delete and change of an audited column of the tables
 * below writes one `audit_entry` in the same transaction, with the actor the transaction was
 * given (`keypool.actor`, see platform/auth/request-actor.ts; none: the system). A change is
 * recorded with each changed column's old and new value, except secret columns, recorded only as
 * changed. Columns the pool itself moves (counts, health, spend, billing) are not audited: a
 * trigger fires only on the columns listed, so the lease and report path never reaches it.
 *
 * Applied (create or replace) after the migrations at every start.
 */
interface AuditedTable {
  table: string;
  /** The resource's name in the trail. */
  resource: string;
  idColumn: string;
  brandColumn: string;
  columns: readonly string[];
  /** Recorded as `{ changed: true }`, never with a value. */
  secretColumns?: readonly string[];
}

export const AUDITED_TABLES: readonly AuditedTable[] = [
  {
    table: 'integration', resource: 'integration', idColumn: 'id', brandColumn: 'brand_id',
    columns: [
      'key_id', 'provider_name', 'key_label', 'is_active', 'is_primary', 'priority', 'weight', 'models', 'blacklisted_models', 'use_for_batch_api',
      'aliases', 'env_refs', 'keyless', 'daily_limit', 'minute_limit', 'token_minute_limit', 'token_daily_limit', 'concurrency_limit',
      'daily_reset_zone', 'quota_group', 'spend_limit_amount', 'spend_limit_period', 'spend_limit_action', 'credentials_encrypted',
    ],
    secretColumns: ['credentials_encrypted'],
  },
  {
    table: 'provider_config', resource: 'provider', idColumn: 'name', brandColumn: 'brand_id',
    columns: ['custom', 'base_provider_type', 'is_key_less', 'allowed_requests', 'request_path_overrides', 'network_config', 'concurrency_and_buffer_size', 'unlisted'],
  },
  {
    table: 'quota_group', resource: 'quota_group', idColumn: 'name', brandColumn: 'brand_id',
    columns: ['name', 'minute_limit', 'daily_limit', 'token_minute_limit', 'token_daily_limit', 'daily_reset_zone'],
  },
  { table: 'node', resource: 'node', idColumn: 'id', brandColumn: 'brand_id', columns: ['name', 'description'] },
  {
    table: 'node_credential', resource: 'node_credential', idColumn: 'id', brandColumn: 'brand_id',
    columns: ['node_id', 'name', 'api_key', 'permissions', 'expires_at', 'revoked_at', 'parent_id', 'secret_hash'],
    secretColumns: ['secret_hash'],
  },
  { table: 'client_token', resource: 'client_token', idColumn: 'id', brandColumn: 'brand_id', columns: ['label', 'expires_at', 'revoked_at'] },
  { table: 'brand', resource: 'brand', idColumn: 'id', brandColumn: 'id', columns: ['name'] },
  {
    table: 'alert_webhook', resource: 'alert_webhook', idColumn: 'id', brandColumn: 'brand_id',
    columns: ['name', 'url', 'format', 'rules', 'provider_names', 'capacity_threshold_percent', 'billing_drift_usd', 'is_active', 'secret_encrypted'],
    // A Slack or Discord webhook's URL is its secret.
    secretColumns: ['url', 'secret_encrypted'],
  },
];

/** Who an actor is, in words: a client token's label, a credential's name and public api_key. */
const ACTOR_LABEL_SQL = `create or replace function keypool_actor_label(p_actor jsonb) returns text language sql stable as $fn$
  select case p_actor ->> 'kind'
    when 'admin' then 'admin token'
    when 'brand_token' then (select coalesce(t.label, 'client token') from client_token t where t.id::text = p_actor ->> 'id')
    when 'node_credential' then (select c.name || ' (' || c.api_key || ')' from node_credential c where c.id::text = p_actor ->> 'id')
  end
$fn$;`;

/** One audit entry, with the actor given, or else the transaction's (none: the system). */
const AUDIT_RECORD_SQL = `create or replace function keypool_audit_record(
  p_brand uuid, p_resource text, p_resource_id text, p_action text, p_changes jsonb, p_actor jsonb default null
) returns void language plpgsql as $fn$
declare
  v_actor jsonb := coalesce(p_actor, nullif(current_setting('keypool.actor', true), '')::jsonb);
begin
  insert into audit_entry (brand_id, actor_kind, actor_id, actor_label, source_ip, user_agent, resource, resource_id, action, changes)
  values (p_brand, coalesce(v_actor ->> 'kind', 'system'), v_actor ->> 'id', keypool_actor_label(v_actor), v_actor ->> 'ip',
          left(v_actor ->> 'userAgent', 255), p_resource, p_resource_id, p_action, p_changes);
end $fn$;`;

/** A value as the trail keeps it: a provider's network settings without the headers it sends (they may hold tokens). */
const AUDIT_VALUE_SQL = `create or replace function keypool_audit_value(p_value jsonb) returns jsonb language sql immutable as $fn$
  select case when jsonb_typeof(p_value) = 'object' and p_value ? 'extra_headers'
    then jsonb_set(p_value, '{extra_headers}', '"[redacted]"') else p_value end
$fn$;`;

/** tg_argv: resource, id column, brand column, audited columns, secret columns (comma-separated). */
const AUDIT_TRIGGER_FUNCTION_SQL = `create or replace function keypool_audit() returns trigger language plpgsql as $fn$
declare
  v_columns text[] := string_to_array(tg_argv[3], ',');
  v_secret text[] := coalesce(string_to_array(nullif(tg_argv[4], ''), ','), '{}');
  v_before jsonb := case when tg_op = 'INSERT' then '{}'::jsonb else to_jsonb(old) end;
  v_after jsonb := case when tg_op = 'DELETE' then '{}'::jsonb else to_jsonb(new) end;
  v_subject jsonb := case when tg_op = 'DELETE' then v_before else v_after end;
  v_changes jsonb := '{}'::jsonb;
  v_column text;
begin
  foreach v_column in array v_columns loop
    continue when (v_before -> v_column) is not distinct from (v_after -> v_column);
    -- A new or deleted row: the fields it had.
    continue when tg_op <> 'UPDATE' and coalesce(v_subject -> v_column, 'null'::jsonb) = 'null'::jsonb;
    v_changes := v_changes || jsonb_build_object(v_column, case
      when v_column = any(v_secret) then jsonb_build_object('changed', true)
      else jsonb_build_object('old', keypool_audit_value(v_before -> v_column), 'new', keypool_audit_value(v_after -> v_column))
    end);
  end loop;
  if tg_op = 'UPDATE' and v_changes = '{}'::jsonb then return null; end if;
  perform keypool_audit_record((v_subject ->> tg_argv[2])::uuid, tg_argv[0], v_subject ->> tg_argv[1],
    case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end, v_changes);
  return null;
end $fn$;`;

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

const triggerSql = (t: AuditedTable) =>
  `create or replace trigger keypool_audit after insert or delete or update of ${t.columns.map((c) => `"${c}"`).join(', ')} on "${t.table}"
   for each row execute function keypool_audit(${[t.resource, t.idColumn, t.brandColumn, t.columns.join(','), (t.secretColumns ?? []).join(',')].map(quote).join(', ')});`;

export const AUDIT_FUNCTIONS_SQL: readonly string[] = [
  ACTOR_LABEL_SQL, AUDIT_RECORD_SQL, AUDIT_VALUE_SQL, AUDIT_TRIGGER_FUNCTION_SQL, ...AUDITED_TABLES.map(triggerSql),
];
