/** Sign-in with a brand client token, or a node credential exchanged for a short-lived token. */
import { useState } from 'preact/hooks';
import { ApiError, exchangeCredential, gql, type Session } from '../api';
import { DashboardProvidersDocument } from '../generated/graphql';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice: string | null }) {
  const [mode, setMode] = useState<'token' | 'credential'>('token');
  const [token, setToken] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(notice);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = mode === 'token' ? { token: token.trim(), label: 'brand token' } : await exchangeCredential(apiKey.trim(), secret.trim());
      // A cheap authenticated read says whether the token works, before anything else loads.
      await gql(session, DashboardProvidersDocument);
      onSignedIn(session);
    } catch (e) {
      setError(`Sign-in failed: ${e instanceof ApiError ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>keypool</h1>
      <p>Sign in to watch your key pool live.</p>
      <form onSubmit={submit} aria-label="Sign in">
        <fieldset>
          <legend>Sign in with</legend>
          <label><input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> a brand client token</label>
          <label><input type="radio" name="mode" checked={mode === 'credential'} onChange={() => setMode('credential')} /> a node credential</label>
        </fieldset>
        {mode === 'token' ? (
          <label>Client token
            <input name="token" type="password" autoComplete="off" required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
          </label>
        ) : (
          <>
            <label>API key <input name="api_key" autoComplete="off" required value={apiKey} onInput={(e) => setApiKey((e.target as HTMLInputElement).value)} placeholder="kpn_…" /></label>
            <label>Secret <input name="secret" type="password" autoComplete="off" required value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} placeholder="kps_…" /></label>
          </>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p class="hint">The token is kept in this tab only (sessionStorage) and sent to this server alone.</p>
    </main>
  );
}
