/** One key: its state, its recent events, and what can be done to it (the API's own validation messages on failure). */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import { DashboardDeleteKeyDocument, DashboardUpdateKeyDocument, type UpdateIntegrationInput } from '../generated/graphql';
import { store, type FeedEvent, type Key } from '../store';
import { ago, keyName, preview, usd } from '../format';
import { HealthBadge } from './badges';
import { EventList } from './events';

const orNull = (text: string) => (text.trim() === '' ? null : text.trim());
const intOrNull = (text: string) => (text.trim() === '' ? null : Number(text));

export function KeyDetail({ k, events, session, onClose }: { k: Key; events: FeedEvent[]; session: Session; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [limits, setLimits] = useState({ minute: '', daily: '', amount: '', period: 'MONTHLY', action: 'WARN' });
  useEffect(() => {
    setLimits({ minute: k.minuteLimit?.toString() ?? '', daily: k.dailyLimit?.toString() ?? '', amount: k.spendLimitAmount ?? '', period: k.spendLimitPeriod, action: k.spendLimitAction });
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

  const field = (name: keyof typeof limits) => ({
    value: limits[name],
    onInput: (e: Event) => setLimits({ ...limits, [name]: (e.target as HTMLInputElement).value }),
  });

  return (
    <section class="detail" aria-label={`Key ${keyName(k)}`}>
      <header>
        <h2>{keyName(k)} <small>#{k.id} · {k.providerLabel}</small></h2>
        <button type="button" onClick={onClose} aria-label="Close the key's details">Close</button>
      </header>
      <dl class="facts">
        <dt>Health</dt><dd><HealthBadge status={k.healthStatus} /> {k.consecutiveFailures} consecutive failures</dd>
        <dt>Preview</dt><dd class="mono">{preview(k)}</dd>
        <dt>State</dt><dd>{k.isActive ? 'enabled' : 'disabled'}{k.isPrimary ? ', primary' : ''}{k.outOfCredits ? ', out of credits' : ''}{k.credentialError ? `, ${k.credentialError}` : ''}</dd>
        <dt>Requests</dt><dd>{k.minuteCount} this minute (limit {k.minuteLimit ?? 'none'}), {k.dailyCount} today (limit {k.dailyLimit ?? 'none'})</dd>
        <dt>Spend</dt><dd>{usd(k.spendToday)} today, {usd(k.spendMonth)} this month{k.spendLimitAmount !== null && `; limit ${usd(k.spendLimitAmount)} ${k.spendLimitPeriod.toLowerCase()} (${k.spendLimitAction.toLowerCase()})${k.spendLimitExceeded ? ', exceeded' : ''}`}</dd>
        <dt>Last used</dt><dd>{ago(k.lastUsedAt)}</dd>
        <dt>Billing</dt><dd>{k.billingError ?? (k.billingSyncedAt ? `synced ${ago(k.billingSyncedAt)}` : 'not synced')}</dd>
      </dl>
      <div class="actions">
        <button type="button" onClick={() => update({ isActive: !k.isActive }, k.isActive ? 'Disabled' : 'Enabled')}>{k.isActive ? 'Disable' : 'Enable'}</button>
        <button type="button" onClick={() => update({ isPrimary: !k.isPrimary }, k.isPrimary ? 'No longer primary' : 'Made primary')}>{k.isPrimary ? 'Remove primary' : 'Make primary'}</button>
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
        onSubmit={(e) => {
          e.preventDefault();
          void update({
            minuteLimit: intOrNull(limits.minute), dailyLimit: intOrNull(limits.daily), spendLimitAmount: orNull(limits.amount),
            spendLimitPeriod: limits.period as Key['spendLimitPeriod'], spendLimitAction: limits.action as Key['spendLimitAction'],
          }, 'Limits saved');
        }}
      >
        <label>Per minute <input inputMode="numeric" placeholder="none" {...field('minute')} /></label>
        <label>Per day <input inputMode="numeric" placeholder="none" {...field('daily')} /></label>
        <label>Spend limit (USD) <input inputMode="decimal" placeholder="none" {...field('amount')} /></label>
        <label>Period <select {...field('period')}><option value="DAILY">daily</option><option value="MONTHLY">monthly</option></select></label>
        <label>When exceeded <select {...field('action')}><option value="WARN">warn</option><option value="BLOCK">block</option></select></label>
        <button type="submit">Save limits</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {done && !error && <p class="ok" role="status">{done}</p>}
      <h3>Recent events</h3>
      <EventList events={events.filter((e) => e.integrationId === k.id).slice(0, 20)} empty="No events for this key since the page opened." />
    </section>
  );
}
