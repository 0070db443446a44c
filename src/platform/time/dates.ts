/** Date helpers shared by every layer. */

/** Text of the seconds written lately: a key's times, a lease's expiry and a report's time repeat from one answer to the next. */
const written = new Map<number, string>();
const WRITTEN_MAX = 4096;

/** ISO-8601 UTC to the second, as the REST documents write times ("2026-02-26T15:00:00Z"). */
export const isoSeconds = (d: Date) => {
  const second = Math.floor(d.getTime() / 1000);
  const known = written.get(second);
  if (known !== undefined) return known;
  const iso = d.toISOString();
  // "2026-02-26T15:00:00.000Z": the milliseconds cut off (a year past 9999 is written longer, and goes by the pattern).
  const text = iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
  if (written.size >= WRITTEN_MAX) written.clear();
  written.set(second, text);
  return text;
};

/** A timestamp as node-postgres hands it over (MikroORM makes it text) or as a Date. */
export const toDate = (v: Date | string | null | undefined): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v));

/** A DATE as its day ('YYYY-MM-DD'), whether node-postgres hands over text or a Date. */
export const toDay = (v: Date | string | null | undefined): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : v.slice(0, 10);
