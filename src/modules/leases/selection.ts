/**
 * Which keys may serve a lease, and in what order. Pure: takes the keys, a
 * `now` and a random source, returns a plan. Order: a due recovery probe
 * first, then priority descending, healthy before degraded, then weighted
 * random (exact shares for fractional weights; weight 0 only when no
 * positive-weight key is left). The database function keypool_lease_many
 * applies the same rules where the counting happens; this module explains
 * refusals (why each key was skipped, when the first frees up), and
 * test/integration/selection-sql.test.ts holds the two to the same order.
 */
import { nextUtcDay, nextUtcMinute, utcDay, utcMinuteStart, type HealthStatus } from '../integrations/index.js';

export interface Candidate {
  id: number;
  isActive: boolean;
  priority: number;
  weight: number;
  healthStatus: HealthStatus;
  models: string[] | null;
  blacklistedModels: string[];
  minuteLimit: number | null;
  minuteCount: number;
  minuteWindow: Date | null;
  dailyLimit: number | null;
  dailyCount: number;
  dayWindow: string | null;
  cooldownUntil: Date | null;
  probeDueAt: Date | null;
  /** Spend limit exceeded in the current period with action `block`, and when that period ends. */
  spendBlockedUntil: Date | null;
  /** The credential could not be decrypted with the configured keys. */
  credentialUnreadable: boolean;
  useForBatchApi: boolean;
  /** The environment variables the credential refers to. */
  envRefs: string[];
  /** A 402 marked the key out of credits: until then (null: until a billing sync shows a balance). */
  outOfCredits: { until: Date | null } | null;
}

export type SkipReason =
  | 'inactive' | 'credential_unreadable' | 'not_batch' | 'environment_unset' | 'out_of_credits' | 'model_not_allowed'
  | 'minute_limit' | 'daily_limit' | 'cooling_down' | 'unhealthy' | 'spend_blocked';

export interface Skip {
  integrationId: number;
  reason: SkipReason;
  /** When the key frees up by itself; null when it never will (inactive, model not allowed). */
  until: Date | null;
  /** The environment variable that is unset, for `environment_unset`. */
  variable?: string;
}

/** What the lease asks for beyond a model: a batch key, and which environment variables can be read. */
export interface LeaseNeeds {
  batch: boolean;
  envAvailable: (name: string) => boolean;
}

const ANY_KEY: LeaseNeeds = { batch: false, envAvailable: () => true };

export type LeasePlan =
  | { kind: 'no_keys' }
  | { kind: 'ordered'; order: { id: number; probe: boolean }[]; skipped: Skip[] }
  | { kind: 'exhausted'; skipped: Skip[]; retryAt: Date | null };

/** Model names compare case-insensitively; null or "*" allows every model, [] none; a blacklisted "*" blocks all. */
export function isModelAllowed(c: Pick<Candidate, 'models' | 'blacklistedModels'>, model: string | undefined): boolean {
  if (model === undefined) return true;
  const wanted = model.toLowerCase();
  const matches = (list: string[]) => list.some((m) => m === '*' || m.toLowerCase() === wanted);
  if (matches(c.blacklistedModels)) return false;
  return c.models === null || matches(c.models);
}

/** Why a key cannot serve now, or null when it can. */
export function skipReason(c: Candidate, model: string | undefined, now: Date, needs: LeaseNeeds = ANY_KEY): Skip | null {
  const skip = (reason: SkipReason, until: Date | null): Skip => ({ integrationId: c.id, reason, until });
  if (!c.isActive) return skip('inactive', null);
  if (c.credentialUnreadable) return skip('credential_unreadable', null);
  if (needs.batch && !c.useForBatchApi) return skip('not_batch', null);
  const unset = c.envRefs.find((name) => !needs.envAvailable(name));
  if (unset !== undefined) return { ...skip('environment_unset', null), variable: unset };
  if (c.outOfCredits !== null && (c.outOfCredits.until === null || c.outOfCredits.until > now)) return skip('out_of_credits', c.outOfCredits.until);
  if (!isModelAllowed(c, model)) return skip('model_not_allowed', null);
  if (c.healthStatus === 'unhealthy' && (c.probeDueAt === null || c.probeDueAt > now)) return skip('unhealthy', c.probeDueAt);
  if (c.cooldownUntil !== null && c.cooldownUntil > now) return skip('cooling_down', c.cooldownUntil);
  if (c.spendBlockedUntil !== null && c.spendBlockedUntil > now) return skip('spend_blocked', c.spendBlockedUntil);
  const minuteCurrent = c.minuteWindow !== null && c.minuteWindow.getTime() === utcMinuteStart(now).getTime();
  if (c.minuteLimit !== null && minuteCurrent && c.minuteCount >= c.minuteLimit) return skip('minute_limit', nextUtcMinute(now));
  if (c.dailyLimit !== null && c.dayWindow === utcDay(now) && c.dailyCount >= c.dailyLimit) return skip('daily_limit', new Date(nextUtcDay(now)));
  return null;
}

/** Efraimidis–Spirakis: sorting by u^(1/w) descending draws in proportion to weight. */
function weightedShuffle<T extends { weight: number }>(items: T[], random: () => number): T[] {
  return items
    .map((item) => ({ item, key: Math.log(1 - random()) / item.weight }))
    .sort((a, b) => b.key - a.key)
    .map((k) => k.item);
}

const healthRank = (s: HealthStatus) => (s === 'healthy' ? 0 : s === 'degraded' ? 1 : 2);

export function planLease(candidates: Candidate[], model: string | undefined, now: Date, random: () => number, needs: LeaseNeeds = ANY_KEY): LeasePlan {
  if (candidates.length === 0) return { kind: 'no_keys' };
  const skipped: Skip[] = [];
  const eligible: Candidate[] = [];
  for (const c of candidates) {
    const skip = skipReason(c, model, now, needs);
    if (skip) skipped.push(skip);
    else eligible.push(c);
  }
  if (eligible.length === 0) {
    const times = skipped.map((s) => s.until).filter((t): t is Date => t !== null);
    const retryAt = times.length ? new Date(Math.min(...times.map((t) => t.getTime()))) : null;
    return { kind: 'exhausted', skipped, retryAt };
  }
  const probes = eligible.filter((c) => c.healthStatus === 'unhealthy').sort((a, b) => b.priority - a.priority);
  const tiers = new Map<string, Candidate[]>();
  for (const c of eligible.filter((e) => e.healthStatus !== 'unhealthy')) {
    const key = `${c.priority}:${healthRank(c.healthStatus)}`;
    tiers.set(key, [...(tiers.get(key) ?? []), c]);
  }
  const sortedTiers = [...tiers.entries()]
    .sort(([a], [b]) => {
      const [pa, ha] = a.split(':').map(Number);
      const [pb, hb] = b.split(':').map(Number);
      return pb - pa || ha - hb;
    })
    .map(([, tier]) => tier);
  // Weight 0: never while any positive-weight key is eligible, whatever its tier.
  const ordered = [
    ...sortedTiers.flatMap((tier) => weightedShuffle(tier.filter((c) => c.weight > 0), random)),
    ...sortedTiers.flatMap((tier) => tier.filter((c) => c.weight <= 0)),
  ];
  return {
    kind: 'ordered',
    order: [...probes.map((c) => ({ id: c.id, probe: true })), ...ordered.map((c) => ({ id: c.id, probe: false }))],
    skipped,
  };
}
