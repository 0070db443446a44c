/** How the dashboard writes numbers, money, times and key names. */
import type { Key } from './store';

export const keyName = (k: Pick<Key, 'id' | 'keyLabel'>) => k.keyLabel || `Key #${k.id}`;

export const preview = (k: Key) => Object.values(k.keyPreview ?? {}).map(String).join(' ') || '—';

export function usd(amount: string | null | undefined): string {
  if (amount === null || amount === undefined) return '—';
  const n = Number(amount);
  return n === 0 ? '$0' : n < 0.01 ? `$${n.toPrecision(2)}` : `$${n.toFixed(2)}`;
}

export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function countdown(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A countdown as a clock face, for tight table cells: "1:05", "1:02:03". */
export function clock(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

export const time = (iso: string) => new Date(iso).toLocaleTimeString();

export const HEALTH_WORDS = { HEALTHY: 'Healthy', DEGRADED: 'Degraded', UNHEALTHY: 'Unhealthy' } as const;
