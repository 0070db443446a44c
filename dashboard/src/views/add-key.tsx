/**
 * Add a key: choose the provider (none is chosen for you), then its own credential fields under
 * the provider's own names, a label, and optional request and spend limits, each checked as it is
 * typed (empty means no limit).
 */
import { useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import { DashboardCreateKeyDocument, type DashboardProvidersQuery } from '../generated/graphql';
import { store, type Key } from '../store';
import { LimitField, parseCount, parseUsd, valueOf } from '../limits-form';

type Provider = DashboardProvidersQuery['providers'][number];

export function AddKey({ providers, session, onAdded }: { providers: Provider[]; session: Session; onAdded: (id: number) => void }) {
  const choosable = providers.filter((p) => !p.keyless);
  const [providerName, setProviderName] = useState('');
  const [label, setLabel] = useState('');
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [limits, setLimits] = useState({ minute: '', daily: '', amount: '', period: 'MONTHLY', action: 'WARN' });
  const [error, setError] = useState<string | null>(null);
  const provider = choosable.find((p) => p.name === providerName);
  const parsed = { minute: parseCount(limits.minute), daily: parseCount(limits.daily), amount: parseUsd(limits.amount) };
  const invalid = Object.values(parsed).some((p) => p.kind === 'invalid');

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    if (!provider) return void setError('Choose a provider first');
    if (invalid) return void setError('Fix the limits marked above first: nothing was added');
    try {
      const fields = Object.fromEntries(Object.entries(credentials).filter(([name]) => provider.credentialFields.some((f) => f.name === name)));
      const { createIntegration } = await gql(session, DashboardCreateKeyDocument, {
        input: {
          providerName, keyLabel: label.trim() || null, credentials: fields,
          minuteLimit: valueOf(parsed.minute), dailyLimit: valueOf(parsed.daily),
          spendLimitAmount: valueOf(parsed.amount), spendLimitPeriod: limits.period as Key['spendLimitPeriod'], spendLimitAction: limits.action as Key['spendLimitAction'],
        },
      });
      store.upsert(createIntegration);
      setCredentials({});
      setLabel('');
      onAdded(createIntegration.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  const text = (name: 'minute' | 'daily' | 'amount') => ({ text: limits[name], onText: (value: string) => setLimits({ ...limits, [name]: value }) });
  const select = (name: 'period' | 'action') => ({ value: limits[name], onChange: (e: Event) => setLimits({ ...limits, [name]: (e.target as HTMLSelectElement).value }) });

  return (
    <form class="add-key" aria-label="Add a key" onSubmit={submit} noValidate>
      <h2>Add a key</h2>
      <label>Provider
        <select value={providerName} onChange={(e) => setProviderName((e.target as HTMLSelectElement).value)} required>
          <option value="" disabled>Choose a provider…</option>
          {choosable.map((p) => <option value={p.name} key={p.name}>{p.label}</option>)}
        </select>
      </label>
      {provider && (
        <>
          <label>Label <input value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} placeholder={`e.g. ${provider.label} free tier`} /></label>
          {provider.credentialFields.map((f) => (
            <label key={f.name}>{f.label}{f.optional ? ' (optional)' : ''} <span class="hint mono">{f.name}</span>
              <input type="password" autoComplete="off" placeholder={f.example} value={credentials[f.name] ?? ''}
                onInput={(e) => setCredentials({ ...credentials, [f.name]: (e.target as HTMLInputElement).value })} />
            </label>
          ))}
          <fieldset class="limits">
            <legend>Limits (empty: no limit)</legend>
            <LimitField label="Per minute" inputMode="numeric" parse={parseCount} {...text('minute')} />
            <LimitField label="Per day" inputMode="numeric" parse={parseCount} {...text('daily')} />
            <LimitField label="Spend limit (USD)" inputMode="decimal" parse={parseUsd} {...text('amount')} />
            <label>Period <select {...select('period')}><option value="DAILY">daily</option><option value="MONTHLY">monthly</option></select></label>
            <label>When exceeded <select {...select('action')}><option value="WARN">warn</option><option value="BLOCK">block</option></select></label>
          </fieldset>
        </>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={!provider || invalid}>Add key</button>
    </form>
  );
}
