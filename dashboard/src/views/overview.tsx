/**
 * Per provider: keys by health, allowance used, spend against limits (daily limits against today's
 * spend, monthly ones against this month's: never summed together), keys cooling down or blocked.
 */
import { useNow, windowed, type Key } from '../store';
import { usd } from '../format';
import { HealthBadge, Tag, UsageBar } from './badges';

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

export function Overview({ keys }: { keys: Key[] }) {
  const now = useNow(true);
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
        const month = counts.reduce((n, c) => n + Number(c.spendMonth), 0);
        return (
          <section class="card" aria-label={`${p.label} overview`} key={p.name}>
            <h2>{p.label} <small>{p.keys.length} {p.keys.length === 1 ? 'key' : 'keys'}</small></h2>
            <p class="health-counts">
              <HealthBadge status="HEALTHY" /> {count('HEALTHY')} <HealthBadge status="DEGRADED" /> {count('DEGRADED')} <HealthBadge status="UNHEALTHY" /> {count('UNHEALTHY')}
            </p>
            <dl>
              <dt>This minute</dt>
              <dd><UsageBar label={`${p.label} requests this minute`} used={counts.reduce((n, c) => n + c.minuteCount, 0)} limit={sum(p.keys, (k) => k.minuteLimit)} /></dd>
              <dt>Today</dt>
              <dd><UsageBar label={`${p.label} requests today`} used={counts.reduce((n, c) => n + c.dailyCount, 0)} limit={sum(p.keys, (k) => k.dailyLimit)} /></dd>
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
