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

const r = { read: true, insert: false, change: false } as const; // kept by the pool, the billing sync or the database
const i = { read: true, insert: true, change: false } as const; // set once, when the key is created
const ic = { read: true, insert: true, change: true } as const; // a setting: created, then changed
const c = { read: true, insert: false, change: true } as const; // cleared or rewritten by a change only

export const KEY_COLUMNS = {
  id: r,
  key_id: i,
  brand_id: i,
  provider_name: i,
  key_label: ic,
  is_active: ic,
  is_primary: ic,
  priority: ic,
  weight: ic,
  models: ic,
  blacklisted_models: ic,
  credentials_encrypted: { read: false, insert: true, change: true },
  credential_fingerprint: ic,
  key_preview: { ...ic, json: true },
  key_view: { ...ic, json: true },
  env_refs: ic,
  keyless: i,
  use_for_batch_api: ic,
  aliases: { ...ic, json: true },
  daily_limit: ic,
  daily_count: r,
  day_window: r,
  minute_limit: ic,
  minute_count: r,
  minute_window: r,
  health_status: r,
  consecutive_failures: r,
  cooldown_until: r,
  probe_due_at: r,
  probe_failures: r,
  last_used_at: r,
  spend_limit_amount: ic,
  spend_limit_period: ic,
  spend_limit_action: ic,
  spend_limit_exceeded: r,
  spend_exceeded_period: r,
  spend_today: r,
  spend_day: r,
  spend_month: r,
  spend_month_start: r,
  cached_balance: r,
  cached_usage_today: r,
  cached_usage_month: r,
  cached_currency: r,
  billing_synced_at: r,
  billing_error: r,
  billing_error_at: r,
  billing_failures: r,
  billing_next_at: i,
  billing_claimed_until: r,
  out_of_credits_at: c,
  out_of_credits_until: c,
  credential_error: c,
  last_error: r,
  last_error_at: r,
  created_at: i,
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
