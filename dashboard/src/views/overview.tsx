/**
 * Per provider: keys by health, allowance used, what is left of its limits this minute and today
 * (the capacity query: a quota group counted once, not per key) and when today's runs out at
 * today's rate, spend against limits (daily limits against today's spend, monthly ones against
 * this month's: never summed together), keys cooling down or blocked.
 */
import { useEffect, useState } from 'preact/hooks';
import { gql, type Session } from '../api';
import { DashboardCapacityDocument, type DashboardCapacityQuery } from '../generated/graphql';
import { useNow, windowed, type Key } from '../store';
import { time, usd } from '../format';
import { HealthBadge, Tag, UsageBar } from './badges';

type Capacity = DashboardCapacityQuery['capacity'][number];
/** How often the overview reads capacity again while it is shown. */
const CAPACITY_REFRESH_MS = 5000;

/** The brand's capacity per provider, read now and every few seconds (null until the first answer). */
function useCapacity(session: Session): Map<string, Capacity> | null {
  const [capacity, setCapacity] = useState<Map<string, Capacity> | null>(null);
  useEffect(() => {
    let stopped = false;
    const read = () => gql(session, DashboardCapacityDocument, undefined)
      .then((r) => !stopped && setCapacity(new Map(r.capacity.map((c) => [c.providerName, c]))))
      .catch(() => {});
    void read();
    const timer = setInterval(read, CAPACITY_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session.token]);
  return capacity;
}

/** "120 requests, 5,000 tokens", "40 requests, tokens unlimited", or "unlimited". */
function left(requests: number | null, tokens: number | null): string {
  if (requests === null && tokens === null) return 'unlimited';
  const part = (n: number | null, unit: string) => (n === null ? `${unit} unlimited` : `${n.toLocaleString()} ${unit}`);
  return `${part(requests, 'requests')}, ${part(tokens, 'tokens')}`;
}

/** What is left of a provider's limits this minute and today, and when today's runs out. */
function Remaining({ c }: { c: Capacity | undefined }) {
  const runsOut = c?.requestsRunOutAt ?? c?.tokensRunOutAt;
  return (
    <>
      <dt>Left this minute</dt>
      <dd aria-busy={!c}>{c ? left(c.requestsThisMinute.remaining, c.tokensThisMinute.remaining) : '…'}</dd>
      <dt>Left today</dt>
      <dd aria-busy={!c}>
        {c ? left(c.requestsToday.remaining, c.tokensToday.remaining) : '…'}
        {runsOut && <> <Tag tone="warn" text={`runs out at ${time(runsOut)}`} /></>}
      </dd>
    </>
  );
}

interface ProviderSummary {
  name: string;
  label: string;
  keys: Key[];
}

function sum(keys: Key[], pick: (k: Key) => number | null): number | null {
  let total = 0;
  for (const k of keys) {
    const v = pick(k);
    if (v === null) return null;
    total += v;
  }
  return total;
}

/** The sum of the limits of one period, or null when no key of the provider has one. */
function limitsOf(keys: Key[], period: Key['spendLimitPeriod']): number | null {
  const amounts = keys.filter((k) => k.spendLimitAmount !== null && k.spendLimitPeriod === period).map((k) => Number(k.spendLimitAmount));
  return amounts.length === 0 ? null : amounts.reduce((a, b) => a + b, 0);
}

export function Overview({ keys, session }: { keys: Key[]; session: Session }) {
  const now = useNow(true);
  const capacity = useCapacity(session);
  const providers = new Map<string, ProviderSummary>();
  for (const k of keys) {
    const p = providers.get(k.providerName) ?? { name: k.providerName, label: k.providerLabel, keys: [] };
    p.keys.push(k);
    providers.set(k.providerName, p);
  }
  if (providers.size === 0) return <p class="empty">No keys yet. <a href="#/add">Add a key</a> to start the pool.</p>;
  return (
    <div class="cards">
      {[...providers.values()].sort((a, b) => a.label.localeCompare(b.label)).map((p) => {
        const count = (status: Key['healthStatus']) => p.keys.filter((k) => k.healthStatus === status).length;
        const cooling = p.keys.filter((k) => k.cooldownUntil && Date.parse(k.cooldownUntil) > now).length;
        const blocked = p.keys.filter((k) => (k.spendLimitExceeded && k.spendLimitAction === 'BLOCK') || k.outOfCredits || !k.isActive || k.credentialError).length;
        const counts = p.keys.map((k) => windowed(k, now));
        const dailyLimits = limitsOf(p.keys, 'DAILY');
        const monthlyLimits = limitsOf(p.keys, 'MONTHLY');
        const today = counts.reduce((n, c) => n + Number(c.spendToday), 0);
        const c = capacity?.get(p.name);
        const month = counts.reduce((n, c) => n + Number(c.spendMonth), 0);
        return (
          <section class="card" aria-label={`${p.label} overview`} key={p.name}>
            <h2>{p.label} <small>{p.keys.length} {p.keys.length === 1 ? 'key' : 'keys'}</small></h2>
            <p class="health-counts">
              <HealthBadge status="HEALTHY" /> {count('HEALTHY')} <HealthBadge status="DEGRADED" /> {count('DEGRADED')} <HealthBadge status="UNHEALTHY" /> {count('UNHEALTHY')}
            </p>
            <dl>
              <dt>This minute</dt>
              <dd><UsageBar label={`${p.label} requests this minute`} used={counts.reduce((n, w) => n + w.minuteCount, 0)} limit={c ? c.requestsThisMinute.limit : sum(p.keys, (k) => k.minuteLimit)} /></dd>
              <dt>Today</dt>
              <dd><UsageBar label={`${p.label} requests today`} used={counts.reduce((n, w) => n + w.dailyCount, 0)} limit={c ? c.requestsToday.limit : sum(p.keys, (k) => k.dailyLimit)} /></dd>
              <Remaining c={c} />
              <dt>Spend today</dt>
              <dd>{usd(String(today))}{dailyLimits !== null && <> of {usd(String(dailyLimits))} in daily limits</>}</dd>
              <dt>Spend this month</dt>
              <dd>{usd(String(month))}{monthlyLimits !== null && <> of {usd(String(monthlyLimits))} in monthly limits</>}</dd>
            </dl>
            <p>
              {cooling > 0 ? <Tag tone="warn" text={`${cooling} cooling down`} /> : <Tag tone="ok" text="none cooling down" />}{' '}
              {blocked > 0 ? <Tag tone="bad" text={`${blocked} blocked or off`} /> : <Tag tone="ok" text="none blocked" />}
            </p>
          </section>
        );
      })}
    </div>
  );
}
