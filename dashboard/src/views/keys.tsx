/**
 * Every key, per provider: sortable, filterable; a row opens the key. The table fits a 1400 px
 * window; on a phone each row is a card of labelled cells. Counts and spend roll over with their
 * windows (the store re-renders a row when its minute ends).
 */
import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import type { Key } from '../store';
import { useNow, windowed } from '../store';
import { ago, clock, keyName, preview, usd } from '../format';
import { HealthBadge, Tag, UsageBar } from './badges';

type SortKey = 'name' | 'health' | 'failures' | 'minute' | 'day' | 'spendToday' | 'spendMonth' | 'lastUsed';

const HEALTH_ORDER = { UNHEALTHY: 0, DEGRADED: 1, HEALTHY: 2 } as const;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Lower-cased names, computed once per key object (keys are replaced, never changed). */
const names = new WeakMap<Key, string>();
const sortName = (k: Key) => {
  let name = names.get(k);
  if (name === undefined) names.set(k, (name = keyName(k).toLowerCase()));
  return name;
};
const SORTS: Record<SortKey, (a: Key, b: Key) => number> = {
  name: (a, b) => byText(sortName(a), sortName(b)),
  health: (a, b) => HEALTH_ORDER[a.healthStatus] - HEALTH_ORDER[b.healthStatus],
  failures: (a, b) => a.consecutiveFailures - b.consecutiveFailures,
  minute: (a, b) => windowed(a, Date.now()).minuteCount - windowed(b, Date.now()).minuteCount,
  day: (a, b) => windowed(a, Date.now()).dailyCount - windowed(b, Date.now()).dailyCount,
  spendToday: (a, b) => Number(windowed(a, Date.now()).spendToday) - Number(windowed(b, Date.now()).spendToday),
  spendMonth: (a, b) => Number(windowed(a, Date.now()).spendMonth) - Number(windowed(b, Date.now()).spendMonth),
  lastUsed: (a, b) => byText(a.lastUsedAt ?? '', b.lastUsedAt ?? ''),
};

function Waiting({ k }: { k: Key }) {
  const until = k.cooldownUntil ?? k.probeDueAt;
  const now = useNow(until !== null);
  if (k.cooldownUntil && Date.parse(k.cooldownUntil) > now) return <Tag tone="warn" text={`cooling down ${clock(k.cooldownUntil, now)}`} />;
  if (k.probeDueAt) return <Tag tone="bad" text={Date.parse(k.probeDueAt) > now ? `probe in ${clock(k.probeDueAt, now)}` : 'probe due'} />;
  return <span class="muted">—</span>;
}

function State({ k }: { k: Key }) {
  if (!k.isActive) return <Tag tone="info" text="disabled" />;
  if (k.credentialError) return <Tag tone="bad" text="unreadable" />;
  if (k.outOfCredits) return <Tag tone="bad" text="out of credits" />;
  if (k.spendLimitExceeded) return <Tag tone={k.spendLimitAction === 'BLOCK' ? 'bad' : 'warn'} text={k.spendLimitAction === 'BLOCK' ? 'spend blocked' : 'over spend limit'} />;
  return k.isPrimary ? <Tag tone="info" text="primary" /> : null;
}

/**
 * Rows are grid rows rather than table rows: each lays itself out alone (CSS containment) and
 * off-screen rows are skipped (content-visibility), so one key changing among 1,000 costs one row.
 */
/** Billing: the provider's billing API's state, or keypool's own ledger for a provider that has none (never "synced"). */
function Billing({ k, billed }: { k: Key; billed: boolean }) {
  if (!billed) return <span class="muted" title="This provider has no billing API: spend is keypool's own ledger">ledger</span>;
  if (k.billingError) return <Tag tone="warn" text="sync failing" />;
  return k.billingSyncedAt ? <>synced {ago(k.billingSyncedAt)}</> : <span class="muted">not synced yet</span>;
}

const Row = memo(function Row({ k, billed, onOpen }: { k: Key; billed: boolean; onOpen: (id: number) => void }) {
  const open = () => onOpen(k.id);
  const counts = windowed(k, Date.now());
  return (
    <div role="row" class="grid-row" data-key-id={k.id} tabIndex={0} onClick={open} onKeyDown={(e) => e.key === 'Enter' && open()} aria-label={`${keyName(k)}, ${k.healthStatus.toLowerCase()}`}>
      <span role="rowheader"><a href={`#/keys/${k.id}`} onClick={(e) => e.stopPropagation()}>{keyName(k)}</a> <State k={k} /></span>
      <span role="cell" data-label="Preview" class="mono">{preview(k)}</span>
      <span role="cell" data-label="Health"><HealthBadge status={k.healthStatus} /></span>
      <span role="cell" data-label="Failures" class="num">{k.consecutiveFailures}</span>
      <span role="cell" data-label="Cooldown / probe"><Waiting k={k} /></span>
      <span role="cell" data-label="This minute"><UsageBar label={`${keyName(k)} this minute`} used={counts.minuteCount} limit={k.minuteLimit} /></span>
      <span role="cell" data-label="Today"><UsageBar label={`${keyName(k)} today`} used={counts.dailyCount} limit={k.dailyLimit} /></span>
      <span role="cell" data-label="Spend today" class="num">{usd(counts.spendToday)}</span>
      <span role="cell" data-label="Spend this month" class="num">{usd(counts.spendMonth)}{k.spendLimitAmount !== null && <span class="muted"> / {usd(k.spendLimitAmount)} {k.spendLimitPeriod.toLowerCase()}</span>}</span>
      <span role="cell" data-label="Last used">{ago(k.lastUsedAt)}</span>
      <span role="cell" data-label="Billing"><Billing k={k} billed={billed} /></span>
    </div>
  );
});

/** Rows in blocks: a block whose keys are the same objects in the same order is not rendered again. */
const BLOCK = 50;
const sameKeys = (a: { keys: Key[] }, b: { keys: Key[] }) => a.keys.length === b.keys.length && a.keys.every((k, i) => k === b.keys[i]);
const RowBlock = memo(function RowBlock({ keys, billed, onOpen }: { keys: Key[]; billed: boolean; onOpen: (id: number) => void }) {
  return <>{keys.map((k) => <Row key={k.id} k={k} billed={billed} onOpen={onOpen} />)}</>;
}, (prev, next) => prev.onOpen === next.onOpen && prev.billed === next.billed && sameKeys(prev, next));

function blocks(keys: Key[]): Key[][] {
  const out: Key[][] = [];
  for (let i = 0; i < keys.length; i += BLOCK) out.push(keys.slice(i, i + BLOCK));
  return out;
}

const COLUMNS: { label: string; sort?: SortKey }[] = [
  { label: 'Key', sort: 'name' }, { label: 'Preview' }, { label: 'Health', sort: 'health' }, { label: 'Failures', sort: 'failures' },
  { label: 'Cooldown / probe' }, { label: 'This minute', sort: 'minute' }, { label: 'Today', sort: 'day' },
  { label: 'Spend today', sort: 'spendToday' }, { label: 'Spend this month', sort: 'spendMonth' }, { label: 'Last used', sort: 'lastUsed' }, { label: 'Billing sync' },
];

export function KeysTable({ keys, billed, onOpen }: { keys: Key[]; billed: ReadonlySet<string>; onOpen: (id: number) => void }) {
  const [sort, setSort] = useState<{ by: SortKey; desc: boolean }>({ by: 'name', desc: false });
  const [text, setText] = useState('');
  const [health, setHealth] = useState('');
  const needle = text.trim().toLowerCase();
  const shown = keys.filter((k) => (!health || k.healthStatus === health) && (!needle || keyName(k).toLowerCase().includes(needle) || preview(k).toLowerCase().includes(needle) || String(k.id) === needle));
  shown.sort((a, b) => (sort.desc ? -1 : 1) * SORTS[sort.by](a, b) || a.id - b.id);
  const providers = new Map<string, { label: string; keys: Key[] }>();
  for (const k of shown) {
    const group = providers.get(k.providerName) ?? { label: k.providerLabel, keys: [] };
    group.keys.push(k);
    providers.set(k.providerName, group);
  }
  const header = (c: (typeof COLUMNS)[number]) => {
    if (!c.sort) return <span role="columnheader" key={c.label}>{c.label}</span>;
    const active = sort.by === c.sort;
    return (
      <span role="columnheader" key={c.label} aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort" onClick={() => setSort({ by: c.sort!, desc: active ? !sort.desc : false })}>
          {c.label} {active ? (sort.desc ? '▼' : '▲') : ''}
        </button>
      </span>
    );
  };
  if (keys.length === 0) return <p class="empty">No keys yet. <a href="#/add">Add a key</a> to start the pool.</p>;
  return (
    <>
      <div class="filters" role="search">
        <label>Filter <input type="search" value={text} placeholder="label, preview or id" onInput={(e) => setText((e.target as HTMLInputElement).value)} /></label>
        <label>Health
          <select value={health} onChange={(e) => setHealth((e.target as HTMLSelectElement).value)}>
            <option value="">any</option><option value="HEALTHY">Healthy</option><option value="DEGRADED">Degraded</option><option value="UNHEALTHY">Unhealthy</option>
          </select>
        </label>
        <span class="muted">{shown.length} of {keys.length} keys</span>
      </div>
      {[...providers.entries()].sort((a, b) => a[1].label.localeCompare(b[1].label)).map(([name, group]) => (
        <section key={name} aria-label={`${group.label} keys`}>
          <h2>{group.label}</h2>
          <div class="table-scroll">
            <div role="table" class="keys" aria-label={`${group.label} keys`} aria-rowcount={group.keys.length + 1}>
              <div role="rowgroup"><div role="row" class="grid-row head">{COLUMNS.map(header)}</div></div>
              <div role="rowgroup">{blocks(group.keys).map((keys, i) => <RowBlock key={i} keys={keys} billed={billed.has(name)} onOpen={onOpen} />)}</div>
            </div>
          </div>
        </section>
      ))}
    </>
  );
}
