/** Per provider: keys by health, allowance used, spend against limits, keys cooling down or blocked. */
import { useNow, type Key } from '../store';
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

export function Overview({ keys }: { keys: Key[] }) {
  const now = useNow(true);
  const providers = new Map<string, ProviderSummary>();
  for (const k of keys) {
    const p = providers.get(k.providerName) ?? { name: k.providerName, label: k.providerLabel, keys: [] };
    p.keys.push(k);
    providers.set(k.providerName, p);
  }
  if (providers.size === 0) return <p class="empty">No keys yet. Add one under <a href="#/keys">Keys</a>.</p>;
  return (
    <div class="cards">
      {[...providers.values()].sort((a, b) => a.label.localeCompare(b.label)).map((p) => {
        const count = (status: Key['healthStatus']) => p.keys.filter((k) => k.healthStatus === status).length;
        const cooling = p.keys.filter((k) => k.cooldownUntil && Date.parse(k.cooldownUntil) > now).length;
        const blocked = p.keys.filter((k) => (k.spendLimitExceeded && k.spendLimitAction === 'BLOCK') || k.outOfCredits || !k.isActive || k.credentialError).length;
        const spendLimit = sum(p.keys, (k) => (k.spendLimitAmount === null ? null : Number(k.spendLimitAmount)));
        const today = p.keys.reduce((n, k) => n + Number(k.spendToday), 0);
        const month = p.keys.reduce((n, k) => n + Number(k.spendMonth), 0);
        return (
          <section class="card" aria-label={`${p.label} overview`} key={p.name}>
            <h2>{p.label} <small>{p.keys.length} {p.keys.length === 1 ? 'key' : 'keys'}</small></h2>
            <p class="health-counts">
              <HealthBadge status="HEALTHY" /> {count('HEALTHY')} <HealthBadge status="DEGRADED" /> {count('DEGRADED')} <HealthBadge status="UNHEALTHY" /> {count('UNHEALTHY')}
            </p>
            <dl>
              <dt>This minute</dt>
              <dd><UsageBar label={`${p.label} requests this minute`} used={p.keys.reduce((n, k) => n + k.minuteCount, 0)} limit={sum(p.keys, (k) => k.minuteLimit)} /></dd>
              <dt>Today</dt>
              <dd><UsageBar label={`${p.label} requests today`} used={p.keys.reduce((n, k) => n + k.dailyCount, 0)} limit={sum(p.keys, (k) => k.dailyLimit)} /></dd>
              <dt>Spend today</dt>
              <dd>{usd(String(today))}</dd>
              <dt>Spend this month</dt>
              <dd>{usd(String(month))}{spendLimit !== null && <> of {usd(String(spendLimit))} in limits</>}</dd>
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
