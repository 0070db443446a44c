/** The gateway calls keypool could not serve, newest first, each with its routing story (x-keypool-route's words). */
import { useEffect, useState } from 'preact/hooks';
import { gql, type Session } from '../api';
import { DashboardGatewayFailuresDocument, type DashboardGatewayFailuresQuery } from '../generated/graphql';
import { time } from '../format';

export function GatewayFailures({ session }: { session: Session }) {
  const [page, setPage] = useState<DashboardGatewayFailuresQuery['gatewayFailures'] | null>(null);
  useEffect(() => {
    const load = () => gql(session, DashboardGatewayFailuresDocument).then(({ gatewayFailures }) => setPage(gatewayFailures), () => {});
    void load();
    const timer = setInterval(() => void load(), 10_000);
    return () => clearInterval(timer);
  }, [session.token]);
  if (!page || page.items.length === 0) return null;
  return (
    <section aria-label="Failed gateway calls">
      <h2>Gateway calls keypool could not serve <small>{page.total}</small></h2>
      <table aria-label="Failed gateway calls, newest first">
        <thead><tr><th>When</th><th>Call</th><th>Outcome</th><th>Attempts</th><th>Route</th></tr></thead>
        <tbody>
          {page.items.map((f) => (
            <tr key={f.id}>
              <td><time dateTime={f.at}>{time(f.at)}</time></td>
              <td>{f.endpoint} {f.providerName}/{f.model}</td>
              <td>{f.outcome.replace('_', ' ')}{f.status === null ? '' : ` (HTTP ${f.status})`}</td>
              <td>{f.attempts}</td>
              <td class="mono">{f.route}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
