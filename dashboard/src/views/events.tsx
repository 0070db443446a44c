/** The live feed: health, spend-limit and key changes, newest first. */
import type { FeedEvent } from '../store';
import { time } from '../format';
import { Tag } from './badges';

const TONES: Record<string, 'ok' | 'warn' | 'bad' | 'info'> = {
  HEALTHY: 'ok', DEGRADED: 'warn', UNHEALTHY: 'bad', EXCEEDED: 'bad', 'RE-ARMED': 'ok', CREATED: 'info', UPDATED: 'info', DELETED: 'warn',
};

export function EventList({ events, empty }: { events: FeedEvent[]; empty: string }) {
  if (events.length === 0) return <p class="empty">{empty}</p>;
  return (
    <ol class="events" aria-label="Events, newest first">
      {events.map((e) => (
        <li key={e.seq}>
          <time dateTime={e.at}>{time(e.at)}</time> <Tag tone={TONES[e.tag] ?? 'info'} text={e.tag} />{' '}
          <a href={`#/keys/${e.integrationId}`}>{e.label}</a> <span class="provider">({e.providerName})</span> {e.text}
        </li>
      ))}
    </ol>
  );
}
