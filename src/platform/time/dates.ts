/** Date helpers shared by every layer. */

/** ISO-8601 UTC to the second, as the REST documents write times ("2026-02-26T15:00:00Z"). */
export const isoSeconds = (d: Date) => {
  const iso = d.toISOString();
  // "2026-02-26T15:00:00.000Z": the milliseconds cut off (a year past 9999 is written longer, and goes by the pattern).
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
};

/** A timestamp as node-postgres hands it over (MikroORM makes it text) or as a Date. */
export const toDate = (v: Date | string | null | undefined): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v));

/** A DATE as its day ('YYYY-MM-DD'), whether node-postgres hands over text or a Date. */
export const toDay = (v: Date | string | null | undefined): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : v.slice(0, 10);
