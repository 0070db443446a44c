/** Badges and bars: always words beside colour. */
import type { Key } from '../store';
import { HEALTH_WORDS } from '../format';

export function HealthBadge({ status }: { status: Key['healthStatus'] }) {
  return <span class={`badge health-${status.toLowerCase()}`}>{HEALTH_WORDS[status]}</span>;
}

export function Tag({ text, tone }: { text: string; tone: 'ok' | 'warn' | 'bad' | 'info' }) {
  return <span class={`badge tone-${tone}`}>{text}</span>;
}

export function UsageBar({ used, limit, label }: { used: number; limit: number | null; label: string }) {
  if (limit === null) return <span class="bar-text" aria-label={`${label}: ${used}, no limit`}>{used} / no limit</span>;
  const share = limit === 0 ? 1 : Math.min(1, used / limit);
  const tone = share >= 1 ? 'bad' : share >= 0.8 ? 'warn' : 'ok';
  return (
    <span class="bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used}>
      <span class={`bar-fill tone-${tone}`} style={{ width: `${share * 100}%` }} />
      <span class="bar-text">{used} / {limit}</span>
    </span>
  );
}
