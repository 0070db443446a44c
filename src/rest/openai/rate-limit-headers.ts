/**
 * The pool's own rate-limit headers on gateway answers, in OpenAI's names, for the caller's
 * provider: what is left of its requests and tokens (every key and quota group counted once), the
 * tighter of this minute's and today's, and when that window resets. Read from a copy at most
 * about a second old (CapacityService.recent); no header where the pool sets no limit.
 */
import type { Budget, ProviderCapacity } from '../../modules/pool/index.js';

/** A duration as OpenAI writes its resets: "45s", "6m0s", "2h3m0s". */
export function resetDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${m}m${s % 60}s`;
  return m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

/** The window with the least left (null: both unlimited). */
const tighter = (minute: Budget, day: Budget): Budget | null => {
  const limited = [minute, day].filter((b) => b.remaining !== null);
  return limited.length === 0 ? null : limited.reduce((a, b) => (b.remaining! < a.remaining! ? b : a));
};

export function poolRateLimitHeaders(capacity: ProviderCapacity | null, now: Date): Record<string, string> {
  if (!capacity) return {};
  const headers: Record<string, string> = {};
  for (const [name, minute, day] of [['requests', capacity.requestsThisMinute, capacity.requestsToday], ['tokens', capacity.tokensThisMinute, capacity.tokensToday]] as const) {
    const budget = tighter(minute, day);
    if (!budget) continue;
    headers[`x-ratelimit-limit-${name}`] = String(budget.limit);
    headers[`x-ratelimit-remaining-${name}`] = String(budget.remaining);
    headers[`x-ratelimit-reset-${name}`] = resetDuration(budget.resetsAt.getTime() - now.getTime());
  }
  return headers;
}
