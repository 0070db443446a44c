/**
 * The key table's columns, each once: what a record reads, what a new key
 * writes, what a change may write, and which are stored as JSON. The
 * repository's select lists, its insert and its update derive from this
 * table, and the compiler checks it against the records and inputs the
 * services pass (NewKey, KeyChange): adding a column is one line here plus
 * the field in the type that carries it.
 */

interface ColumnSpec {
  /** Read into every record (the sealed credential is read only when asked for). */
  read: boolean;
  /** Written when a key is created. */
  insert: boolean;
  /** Written by a change (settings, a new credential, the marks a change clears). */
  change: boolean;
  /** Stored as jsonb: written as JSON text. */
  json?: boolean;
}

/** Kept by the pool, the billing sync or the database: read, never written by a create or a change. */
const state = { read: true, insert: false, change: false } as const;
/** Written when the key is created, never by a change (the billing sync moves billing_next_at on with its own statements). */
const identity = { read: true, insert: true, change: false } as const;
/** A setting: written at creation, then by changes. */
const setting = { read: true, insert: true, change: true } as const;
/** A mark a change clears or rewrites (a credential error, an out-of-credits flag). */
const mark = { read: true, insert: false, change: true } as const;

export const KEY_COLUMNS = {
  id: state,
  key_id: identity,
  brand_id: identity,
  provider_name: identity,
  key_label: setting,
  is_active: setting,
  is_primary: setting,
  priority: setting,
  weight: setting,
  models: setting,
  blacklisted_models: setting,
  credentials_encrypted: { read: false, insert: true, change: true },
  credential_fingerprint: setting,
  key_preview: { ...setting, json: true },
  key_view: { ...setting, json: true },
  env_refs: setting,
  keyless: identity,
  use_for_batch_api: setting,
  aliases: { ...setting, json: true },
  daily_limit: setting,
  daily_count: state,
  day_window: state,
  minute_limit: setting,
  minute_count: state,
  minute_window: state,
  minute_claimed: state,
  claim_minute: state,
  daily_claimed: state,
  claim_day: state,
  token_minute_limit: setting,
  token_minute_count: state,
  token_minute_window: state,
  token_daily_limit: setting,
  token_daily_count: state,
  token_day_window: state,
  concurrency_limit: setting,
  daily_reset_zone: setting,
  quota_group: setting,
  open_leases: state,
  observed_minute_limit: state,
  observed_daily_limit: state,
  health_status: state,
  consecutive_failures: state,
  cooldown_until: state,
  probe_due_at: state,
  probe_failures: state,
  last_used_at: state,
  spend_limit_amount: setting,
  spend_limit_period: setting,
  spend_limit_action: setting,
  spend_limit_exceeded: state,
  spend_exceeded_period: state,
  spend_today: state,
  spend_day: state,
  spend_month: state,
  spend_month_start: state,
  cached_balance: state,
  cached_usage_today: state,
  cached_usage_month: state,
  cached_currency: state,
  billing_synced_at: state,
  billing_error: state,
  billing_error_at: state,
  billing_failures: state,
  billing_next_at: identity,
  billing_claimed_until: state,
  out_of_credits_at: mark,
  out_of_credits_until: mark,
  credential_error: mark,
  last_error: state,
  last_error_at: state,
  created_at: identity,
  updated_at: { read: true, insert: true, change: true },
} as const satisfies Record<string, ColumnSpec>;

export type KeyColumn = keyof typeof KEY_COLUMNS;
type ColumnsWhere<Flag extends keyof ColumnSpec> = { [C in KeyColumn]: (typeof KEY_COLUMNS)[C] extends Record<Flag, true> ? C : never }[KeyColumn];

/** A column's record field: snake_case to camelCase, as rowToRecord maps rows. */
export type FieldOf<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<FieldOf<Tail>>}` : S;
export type InsertedField = FieldOf<ColumnsWhere<'insert'>>;
export type ChangedField = FieldOf<ColumnsWhere<'change'>>;

export const fieldOf = (column: string): string => column.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());

const columnsWhere = (flag: 'read' | 'insert' | 'change') => (Object.keys(KEY_COLUMNS) as KeyColumn[]).filter((column) => KEY_COLUMNS[column][flag]);

/** Every column but the sealed credential: what a view, a check or a change needs. */
export const RECORD_COLUMNS: readonly KeyColumn[] = columnsWhere('read');
export const INSERT_COLUMNS: readonly KeyColumn[] = columnsWhere('insert');
export const CHANGE_COLUMNS: readonly KeyColumn[] = columnsWhere('change');

/** A value as its column stores it (jsonb columns take JSON text; null stays null). */
export const columnValue = (column: KeyColumn, value: unknown): unknown =>
  'json' in KEY_COLUMNS[column] && value !== null && value !== undefined ? JSON.stringify(value) : value;
