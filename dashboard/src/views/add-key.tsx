/** Add a key: the provider's own credential fields (from `providers`), a label, optional limits. */
import { useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import { DashboardCreateKeyDocument, type DashboardProvidersQuery } from '../generated/graphql';
import { store } from '../store';

type Provider = DashboardProvidersQuery['providers'][number];

export function AddKey({ providers, session, onAdded }: { providers: Provider[]; session: Session; onAdded: (id: number) => void }) {
  const choosable = providers.filter((p) => !p.keyless);
  const [providerName, setProviderName] = useState(choosable[0]?.name ?? '');
  const [label, setLabel] = useState('');
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [minute, setMinute] = useState('');
  const [daily, setDaily] = useState('');
  const [error, setError] = useState<string | null>(null);
  const provider = choosable.find((p) => p.name === providerName);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const fields = Object.fromEntries(Object.entries(credentials).filter(([name]) => provider?.credentialFields.some((f) => f.name === name)));
      const { createIntegration } = await gql(session, DashboardCreateKeyDocument, {
        input: {
          providerName, keyLabel: label.trim() || null, credentials: fields,
          minuteLimit: minute.trim() === '' ? null : Number(minute), dailyLimit: daily.trim() === '' ? null : Number(daily),
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

  return (
    <form class="add-key" aria-label="Add a key" onSubmit={submit}>
      <h2>Add a key</h2>
      <label>Provider
        <select value={providerName} onChange={(e) => setProviderName((e.target as HTMLSelectElement).value)}>
          {choosable.map((p) => <option value={p.name} key={p.name}>{p.label}</option>)}
        </select>
      </label>
      <label>Label <input value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} placeholder="e.g. Groq free tier" /></label>
      {provider?.credentialFields.map((f) => (
        <label key={f.name}>{f.name}{f.optional ? ' (optional)' : ''}
          <input type="password" autoComplete="off" placeholder={f.example} value={credentials[f.name] ?? ''}
            onInput={(e) => setCredentials({ ...credentials, [f.name]: (e.target as HTMLInputElement).value })} />
        </label>
      ))}
      <label>Per minute <input inputMode="numeric" placeholder="no limit" value={minute} onInput={(e) => setMinute((e.target as HTMLInputElement).value)} /></label>
      <label>Per day <input inputMode="numeric" placeholder="no limit" value={daily} onInput={(e) => setDaily((e.target as HTMLInputElement).value)} /></label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit">Add key</button>
    </form>
  );
}
