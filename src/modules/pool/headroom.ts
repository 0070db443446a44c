/**
 * What this instance has seen of each key's remaining budget at its provider, from the rate-limit
 * headers of the reports it takes (`x-ratelimit-limit-*` / `x-ratelimit-remaining-*` /
 * `x-ratelimit-reset-*`, `anthropic-ratelimit-*-limit` / `-remaining` / `-reset`): the smallest
 * fraction left of any budget, until that budget resets. Selection weighs each key's draw by it,
 * so the key with the most headroom is preferred; a key never seen is taken as having all of it.
 * Per instance: a hint for the pick, never a limit (limits are counted in the database).
 */
import { budgetsOf } from './provider-signals.js';

interface Seen {
  fraction: number;
  until: number;
}

/** The least a key's draw is weighed by (a nearly spent key still gets a rare lease, which refreshes what is known of it). */
const FLOOR = 0.02;
/** How long what a provider said is kept when it gave no reset. */
const UNSTATED_RESET_MS = 60_000;

export class Headroom {
  private readonly seen = new Map<number, Seen>();

  /** Takes a report's headers (names lower-cased) for a key. */
  note(integrationId: number, headers: Readonly<Record<string, string>>, now: Date): void {
    let least: Seen | null = null;
    for (const b of budgetsOf(headers, now)) {
      if (b.limit === null) continue;
      const seen = { fraction: Math.max(0, b.remaining) / b.limit, until: b.resetAt !== null && b.resetAt > now.getTime() ? b.resetAt : now.getTime() + UNSTATED_RESET_MS };
      if (least === null || seen.fraction < least.fraction) least = seen;
    }
    if (least) this.seen.set(integrationId, least);
  }

  /** The weight factor of a key's draw now, in [FLOOR, 1]. */
  of(integrationId: number, now: Date): number {
    const seen = this.seen.get(integrationId);
    if (!seen) return 1;
    if (seen.until <= now.getTime()) {
      this.seen.delete(integrationId);
      return 1;
    }
    return Math.max(FLOOR, Math.min(1, seen.fraction));
  }
}
