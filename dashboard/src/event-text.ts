/** How an event reads in a feed, whether it came live or from a key's recorded history. */
import type { DashboardKeyEventsQuery } from './generated/graphql';
import type { FeedEvent } from './store';
import { usd } from './format';

type Base = Pick<FeedEvent, 'at' | 'integrationId' | 'providerName' | 'label'>;

export const healthEvent = (base: Base, e: { previousStatus: string; status: string; reason: string }): Omit<FeedEvent, 'seq'> =>
  ({ ...base, kind: 'health', tag: e.status.toUpperCase(), text: `${e.previousStatus.toLowerCase()} → ${e.status.toLowerCase()}: ${e.reason}` });

export function spendEvent(base: Base, e: { exceeded: boolean; previousExceeded: boolean; usage: string; amount: string | null; period: string }): Omit<FeedEvent, 'seq'> {
  const tag = e.exceeded && !e.previousExceeded ? 'EXCEEDED' : !e.exceeded && e.previousExceeded ? 'RE-ARMED' : 'SPEND LIMIT';
  return { ...base, kind: 'spend', tag, text: `spend ${usd(e.usage)} of ${e.amount === null ? 'no limit' : usd(e.amount)} (${e.period.toLowerCase()})` };
}

export const changeEvent = (base: Base, kind: string): Omit<FeedEvent, 'seq'> => ({ ...base, kind: 'key', tag: kind.toUpperCase(), text: `key ${kind.toLowerCase()}` });

type Recorded = Pick<DashboardKeyEventsQuery['integrationEvents'][number], 'type' | 'at' | 'details'>;

/** A recorded event of one key, in the words a live one has. */
export function recordedEvent(r: Recorded, key: { id: number; providerName: string; label: string }): Omit<FeedEvent, 'seq'> {
  const base = { at: r.at, integrationId: key.id, providerName: key.providerName, label: key.label };
  const d = r.details as Record<string, any>;
  if (r.type === 'HEALTH_CHANGED') return healthEvent(base, { previousStatus: String(d.previousStatus), status: String(d.status), reason: String(d.reason ?? '') });
  if (r.type === 'SPEND_LIMIT_CHANGED') {
    return spendEvent(base, { exceeded: d.exceeded === true, previousExceeded: d.previousExceeded === true, usage: String(d.usage ?? '0'), amount: d.amount ?? null, period: String(d.period ?? '') });
  }
  return changeEvent(base, String(d.kind ?? 'UPDATED'));
}
