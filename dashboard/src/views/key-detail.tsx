/**
 * One key: its state (cooldown end, next probe, last error), its recent events (the recorded
 * history, then what arrives live), and what can be done to it. Limits are checked as they are
 * typed; the API's own validation message shows for anything else.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import {
  DashboardDeleteKeyDocument, DashboardKeyEventsDocument, DashboardReprobeDocument, DashboardResetCooldownDocument, DashboardUpdateKeyDocument, type UpdateIntegrationInput,
} from '../generated/graphql';
import { store, useNow, windowed, type FeedEvent, type Key } from '../store';
import { ago, countdown, keyName, preview, time, usd } from '../format';
import { recordedEvent } from '../event-text';
import { LimitField, parseCount, parseUsd, valueOf } from '../limits-form';
import { HealthBadge } from './badges';
import { EventList } from './events';

/** The key's recorded history, newest first, loaded when it is opened. */
function useHistory(session: Session, k: Key): FeedEvent[] {
  const [history, setHistory] = useState<FeedEvent[]>([]);
  useEffect(() => {
    let stopped = false;
    setHistory([]);
    gql(session, DashboardKeyEventsDocument, { id: k.id }).then(
      ({ integrationEvents }) => !stopped && setHistory(integrationEvents.map((r, i) => ({ ...recordedEvent(r, { id: k.id, providerName: k.providerName, label: keyName(k) }), seq: -1 - i }))),
      () => {},
    );
    return () => void (stopped = true);
  }, [k.id]);
  return history;
}

/** Live events first, then the recorded ones from before (the same event twice shows once). */
function merged(live: FeedEvent[], history: FeedEvent[]): FeedEvent[] {
  const seen = new Set(live.map((e) => `${e.at}|${e.tag}|${e.text}`));
  return [...live, ...history.filter((e) => !seen.has(`${e.at}|${e.tag}|${e.text}`))].slice(0, 20);
}

function Waits({ k }: { k: Key }) {
  const now = useNow(k.cooldownUntil !== null || k.probeDueAt !== null);
  const cooling = k.cooldownUntil && Date.parse(k.cooldownUntil) > now;
  return (
    <>
      <dt>Cooldown</dt>
      <dd>{cooling ? <>until {time(k.cooldownUntil!)} ({countdown(k.cooldownUntil!, now)})</> : 'none'}</dd>
      <dt>Next probe</dt>
      <dd>{k.probeDueAt ? (Date.parse(k.probeDueAt) > now ? <>at {time(k.probeDueAt)} ({countdown(k.probeDueAt, now)})</> : 'due: the next lease tries it') : 'none (not unhealthy)'}</dd>
    </>
  );
}

export function KeyDetail({ k, events, session, billed, onClose }: { k: Key; events: FeedEvent[]; session: Session; billed: boolean; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [limits, setLimits] = useState({ minute: '', daily: '', tokenMinute: '', tokenDaily: '', concurrency: '', amount: '', period: 'MONTHLY', action: 'WARN' });
  const history = useHistory(session, k);
  const now = useNow(true);
  const counts = windowed(k, now);
  useEffect(() => {
    setLimits({
      minute: k.minuteLimit?.toString() ?? '', daily: k.dailyLimit?.toString() ?? '', tokenMinute: k.tokenMinuteLimit?.toString() ?? '',
      tokenDaily: k.tokenDailyLimit?.toString() ?? '', concurrency: k.concurrencyLimit?.toString() ?? '', amount: k.spendLimitAmount ?? '',
      period: k.spendLimitPeriod, action: k.spendLimitAction,
    });
    setConfirming(false);
  }, [k.id]);

  async function update(input: UpdateIntegrationInput, what: string) {
    setError(null);
    setDone(null);
    try {
      const { updateIntegration } = await gql(session, DashboardUpdateKeyDocument, { id: k.id, input });
      store.upsert(updateIntegration);
      setDone(what);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  /** An operator's hand on the key's recovery (recorded in the audit trail). */
  async function recover(kind: 'cooldown' | 'probe') {
    setError(null);
    setDone(null);
    try {
      const key = kind === 'cooldown'
        ? (await gql(session, DashboardResetCooldownDocument, { id: k.id })).resetIntegrationCooldown
        : (await gql(session, DashboardReprobeDocument, { id: k.id })).reprobeIntegration;
      store.upsert(key);
      setDone(kind === 'cooldown' ? 'Cooldown reset: the key is leased again' : 'Probe due now: the next lease tries the key');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  async function remove() {
    setError(null);
    try {
      await gql(session, DashboardDeleteKeyDocument, { id: k.id });
      store.remove(k.id);
      onClose();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  const text = (name: 'minute' | 'daily' | 'tokenMinute' | 'tokenDaily' | 'concurrency' | 'amount') => ({ text: limits[name], onText: (value: string) => setLimits({ ...limits, [name]: value }) });
  const select = (name: 'period' | 'action') => ({ value: limits[name], onChange: (e: Event) => setLimits({ ...limits, [name]: (e.target as HTMLSelectElement).value }) });
  const parsed = {
    minute: parseCount(limits.minute), daily: parseCount(limits.daily), tokenMinute: parseCount(limits.tokenMinute), tokenDaily: parseCount(limits.tokenDaily),
    concurrency: parseCount(limits.concurrency), amount: parseUsd(limits.amount),
  };
  const invalid = Object.values(parsed).some((p) => p.kind === 'invalid');

  return (
    <section class="detail" aria-label={`Key ${keyName(k)}`}>
      <header>
        <h2>{keyName(k)} <small>#{k.id} · {k.providerLabel}</small></h2>
        <button type="button" onClick={onClose} aria-label="Close the key's details">Close</button>
      </header>
      <dl class="facts">
        <dt>Health</dt><dd><HealthBadge status={k.healthStatus} /> {k.consecutiveFailures} consecutive failures</dd>
        <dt>Last error</dt><dd>{k.lastError ? <>{k.lastError} <span class="muted">({ago(k.lastErrorAt, now)})</span></> : 'none'}</dd>
        <Waits k={k} />
        <dt>Preview</dt><dd class="mono">{preview(k)}</dd>
        <dt>State</dt><dd>{k.isActive ? 'enabled' : 'disabled'}{k.isPrimary ? ', primary' : ''}{k.outOfCredits ? ', out of credits' : ''}{k.credentialError ? `, ${k.credentialError}` : ''}</dd>
        <dt>Requests</dt><dd>{counts.minuteCount} this minute (limit {k.minuteLimit ?? 'none'}), {counts.dailyCount} today (limit {k.dailyLimit ?? 'none'})</dd>
        <dt>Tokens</dt><dd>{counts.tokenMinuteCount} this minute (limit {k.tokenMinuteLimit ?? 'none'}), {counts.tokenDailyCount} today (limit {k.tokenDailyLimit ?? 'none'})</dd>
        <dt>In flight</dt><dd>{k.concurrencyLimit === null ? 'no concurrency limit' : `${k.openLeases} of ${k.concurrencyLimit} at once`}</dd>
        <dt>Days</dt><dd>reset at midnight {k.dailyResetZone === 'UTC' ? 'UTC' : `in ${k.dailyResetZone}`}</dd>
        <dt>Quota group</dt><dd>{k.quotaGroup ?? 'none (its own limits only)'}</dd>
        <dt>Spend</dt><dd>{usd(counts.spendToday)} today, {usd(counts.spendMonth)} this month{k.spendLimitAmount !== null && `; limit ${usd(k.spendLimitAmount)} ${k.spendLimitPeriod.toLowerCase()} (${k.spendLimitAction.toLowerCase()})${k.spendLimitExceeded ? ', exceeded' : ''}`}</dd>
        <dt>Last used</dt><dd>{ago(k.lastUsedAt, now)}</dd>
        <dt>Billing</dt><dd>{!billed ? "keypool's own ledger (this provider has no billing API)" : k.billingError ?? (k.billingSyncedAt ? `synced ${ago(k.billingSyncedAt, now)}` : 'not synced yet')}</dd>
      </dl>
      <div class="actions">
        <button type="button" onClick={() => update({ isActive: !k.isActive }, k.isActive ? 'Disabled' : 'Enabled')}>{k.isActive ? 'Disable' : 'Enable'}</button>
        <button type="button" onClick={() => update({ isPrimary: !k.isPrimary }, k.isPrimary ? 'No longer primary' : 'Made primary')}>{k.isPrimary ? 'Remove primary' : 'Make primary'}</button>
        {k.cooldownUntil && Date.parse(k.cooldownUntil) > now && <button type="button" onClick={() => recover('cooldown')}>Reset cooldown</button>}
        {k.healthStatus === 'UNHEALTHY' && <button type="button" onClick={() => recover('probe')}>Probe now</button>}
        {confirming ? (
          <span role="group" aria-label="Confirm deletion">
            Delete {keyName(k)} for good? <button type="button" class="danger" onClick={remove}>Yes, delete</button> <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </span>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete…</button>
        )}
      </div>
      <form
        class="limits"
        aria-label="Limits"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (invalid) return void setError('Fix the limits marked above first: nothing was saved');
          void update({
            minuteLimit: valueOf(parsed.minute), dailyLimit: valueOf(parsed.daily), tokenMinuteLimit: valueOf(parsed.tokenMinute),
            tokenDailyLimit: valueOf(parsed.tokenDaily), concurrencyLimit: valueOf(parsed.concurrency), spendLimitAmount: valueOf(parsed.amount),
            spendLimitPeriod: limits.period as Key['spendLimitPeriod'], spendLimitAction: limits.action as Key['spendLimitAction'],
          }, 'Limits saved');
        }}
      >
        <LimitField label="Per minute" inputMode="numeric" parse={parseCount} {...text('minute')} />
        <LimitField label="Per day" inputMode="numeric" parse={parseCount} {...text('daily')} />
        <LimitField label="Minute tokens" inputMode="numeric" parse={parseCount} {...text('tokenMinute')} />
        <LimitField label="Daily tokens" inputMode="numeric" parse={parseCount} {...text('tokenDaily')} />
        <LimitField label="Calls at once" inputMode="numeric" parse={parseCount} {...text('concurrency')} />
        <LimitField label="Spend limit (USD)" inputMode="decimal" parse={parseUsd} {...text('amount')} />
        <label>Period <select {...select('period')}><option value="DAILY">daily</option><option value="MONTHLY">monthly</option></select></label>
        <label>When exceeded <select {...select('action')}><option value="WARN">warn</option><option value="BLOCK">block</option></select></label>
        <button type="submit" disabled={invalid}>Save limits</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {done && !error && <p class="ok" role="status">{done}</p>}
      <h3>Recent events</h3>
      <EventList events={merged(events.filter((e) => e.integrationId === k.id), history)} empty="No events for this key yet." />
    </section>
  );
}
