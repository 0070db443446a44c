/** The audit trail: who changed what, when and from where, newest first, 50 at a time. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, gql, type Session } from '../api';
import { DashboardAuditDocument, type DashboardAuditQuery } from '../generated/graphql';
import { time } from '../format';

type Entry = DashboardAuditQuery['auditLog']['items'][number];

const WHO: Record<string, string> = { admin: 'the admin token', brand_token: 'client token', node_credential: 'node credential', system: 'keypool' };

/** The changed fields in words: `minute_limit 5 → 7`, a secret as "changed". */
function changesText(changes: Record<string, unknown>): string {
  return Object.entries(changes).map(([field, c]) => {
    const change = c as { old?: unknown; new?: unknown; changed?: boolean };
    if (change.changed) return `${field} changed`;
    if (change.old === undefined && change.new === undefined) return `${field} ${JSON.stringify(c)}`;
    return `${field} ${JSON.stringify(change.old ?? null)} → ${JSON.stringify(change.new ?? null)}`;
  }).join('; ');
}

export function Audit({ session }: { session: Session }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: Entry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql(session, DashboardAuditDocument, { offset }).then(({ auditLog }) => setPage(auditLog), (e: unknown) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [offset, session.token]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!page) return <p aria-busy="true">Loading the audit trail…</p>;
  return (
    <section aria-label="Audit trail">
      <h2>Audit trail <small>{page.total} entries</small></h2>
      <table aria-label="Changes, newest first">
        <thead><tr><th>When</th><th>Who</th><th>From</th><th>What</th><th>Changes</th></tr></thead>
        <tbody>
          {page.items.map((e) => (
            <tr key={e.id}>
              <td><time dateTime={e.at}>{time(e.at)}</time></td>
              <td>{e.actorLabel ?? WHO[e.actorKind] ?? e.actorKind}</td>
              <td class="mono">{e.sourceIp ?? ''}</td>
              <td>{e.resource.replace('_', ' ')} {e.resourceId} {e.action.replace('_', ' ')}</td>
              <td>{changesText(e.changes as Record<string, unknown>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - 50))}>Newer</button>
        <button type="button" disabled={offset + 50 >= page.total} onClick={() => setOffset(offset + 50)}>Older</button>
      </div>
    </section>
  );
}
