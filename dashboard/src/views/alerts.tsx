/**
 * Alerts: the brand's webhooks (add one, with its signing secret shown once; test; delete) and
 * the latest deliveries with their status and last error, each replayable by hand.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import {
  DashboardAlertsDocument, DashboardCreateWebhookDocument, DashboardDeleteWebhookDocument, DashboardReplayDeliveryDocument, DashboardTestWebhookDocument,
  type DashboardAlertsQuery, type WebhookFormat,
} from '../generated/graphql';
import { time } from '../format';
import { Tag } from './badges';

const STATUS_TONES = { DELIVERED: 'ok', PENDING: 'warn', FAILED: 'bad' } as const;

export function Alerts({ session }: { session: Session }) {
  const [data, setData] = useState<DashboardAlertsQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', url: '', format: 'JSON' });

  const load = () => gql(session, DashboardAlertsDocument).then(setData, (e: unknown) => setError(e instanceof ApiError ? e.message : String(e)));
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [session.token]);

  async function act(work: () => Promise<unknown>) {
    setError(null);
    try {
      await work();
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  const names = new Map(data?.alertWebhooks.map((w) => [w.id, w.name]));
  return (
    <section aria-label="Alerts">
      <h2>Alert webhooks</h2>
      {data && data.alertWebhooks.length === 0 && <p class="empty">No webhooks yet: alerts reach nobody.</p>}
      {data && data.alertWebhooks.length > 0 && (
        <table aria-label="Webhooks">
          <thead><tr><th>Name</th><th>Where</th><th>Format</th><th>Rules</th><th /></tr></thead>
          <tbody>
            {data.alertWebhooks.map((w) => (
              <tr key={w.id}>
                <td>{w.name}{w.isActive ? '' : ' (paused)'}</td><td class="mono">{w.urlPreview}</td><td>{w.format.toLowerCase()}</td>
                <td>{w.rules.map((r) => r.toLowerCase().replace('_', ' ')).join(', ')}</td>
                <td>
                  <button type="button" onClick={() => act(() => gql(session, DashboardTestWebhookDocument, { id: w.id }))}>Send a test</button>{' '}
                  <button type="button" class="danger" onClick={() => act(() => gql(session, DashboardDeleteWebhookDocument, { id: w.id }))}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        class="limits"
        aria-label="Add a webhook"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const { createAlertWebhook } = await gql(session, DashboardCreateWebhookDocument, { input: { name: form.name, url: form.url, format: form.format as WebhookFormat } });
            setSecret(createAlertWebhook.secret);
            setForm({ name: '', url: '', format: 'JSON' });
          });
        }}
      >
        <label>Name <input value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} required /></label>
        <label>URL <input type="url" value={form.url} onInput={(e) => setForm({ ...form, url: (e.target as HTMLInputElement).value })} required /></label>
        <label>Format <select value={form.format} onChange={(e) => setForm({ ...form, format: (e.target as HTMLSelectElement).value })}>
          <option value="JSON">signed JSON</option><option value="SLACK">Slack</option><option value="DISCORD">Discord</option>
        </select></label>
        <button type="submit">Add webhook</button>
      </form>
      {secret && <p class="ok" role="status">Signing secret (shown once; receivers verify webhook-signature with it): <code class="mono">{secret}</code></p>}
      {error && <p class="error" role="alert">{error}</p>}
      <h2>Deliveries</h2>
      {data && data.alertDeliveries.items.length === 0 && <p class="empty">No alerts delivered yet.</p>}
      {data && data.alertDeliveries.items.length > 0 && (
        <table aria-label="Deliveries, newest first">
          <thead><tr><th>When</th><th>Webhook</th><th>Alert</th><th>Status</th><th>Attempts</th><th>Last error</th><th /></tr></thead>
          <tbody>
            {data.alertDeliveries.items.map((d) => (
              <tr key={d.id}>
                <td><time dateTime={d.createdAt}>{time(d.createdAt)}</time></td>
                <td>{names.get(d.webhookId) ?? d.webhookId}</td>
                <td>{String((d.alert as { title?: unknown }).title ?? d.rule)}</td>
                <td><Tag tone={STATUS_TONES[d.status]} text={d.status} /></td>
                <td>{d.attempts}{d.nextAttemptAt ? `, next at ${time(d.nextAttemptAt)}` : ''}</td>
                <td>{d.lastError ?? ''}</td>
                <td><button type="button" onClick={() => act(() => gql(session, DashboardReplayDeliveryDocument, { id: d.id }))}>Replay</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
