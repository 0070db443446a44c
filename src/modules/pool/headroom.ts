/**
 * What this instance has seen of each key's remaining budget at its provider, from the rate-limit
 * headers of the reports it takes (`x-ratelimit-limit-*` / `x-ratelimit-remaining-*` /
 * `x-ratelimit-reset-*`, `anthropic-ratelimit-*-limit` / `-remaining` / `-reset`): the smallest
 * fraction left of any budget, until that budget resets. Selection weighs each key's draw by it,
 * so the key with the most headroom is preferred; a key never seen is taken as having all of it.
 * Per instance: a hint for the pick, never a limit (limits are counted in the database).
 */
import { durationMs, hasHeaders } from './provider-signals.js';

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
    if (!hasHeaders(headers)) return;
    let least: Seen | null = null;
    for (const budget of budgetsOf(headers, now.getTime())) if (least === null || budget.fraction < least.fraction) least = budget;
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

function budgetsOf(headers: Readonly<Record<string, string>>, now: number): Seen[] {
  const budgets: Seen[] = [];
  const add = (limit: string | undefined, remaining: string | undefined, reset: number | null) => {
    const l = Number(limit);
    const r = Number(remaining);
    if (limit === undefined || remaining === undefined || !(l > 0) || !Number.isFinite(r)) return;
    budgets.push({ fraction: Math.max(0, r) / l, until: reset !== null && reset > now ? reset : now + UNSTATED_RESET_MS });
  };
  for (const d of ['requests', 'tokens']) {
    const reset = headers[`x-ratelimit-reset-${d}`];
    const ms = reset === undefined ? null : durationMs(reset);
    add(headers[`x-ratelimit-limit-${d}`], headers[`x-ratelimit-remaining-${d}`], ms === null ? null : now + ms);
  }
  for (const d of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    const at = Date.parse(headers[`anthropic-ratelimit-${d}-reset`] ?? '');
    add(headers[`anthropic-ratelimit-${d}-limit`], headers[`anthropic-ratelimit-${d}-remaining`], Number.isNaN(at) ? null : at);
  }
  return budgets;
}
