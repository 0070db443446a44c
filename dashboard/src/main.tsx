/**
 * keypool's dashboard: the pool at a glance, live. Data comes from the GraphQL
 * API; updates arrive through its subscriptions (never by polling), and every
 * (re)connection re-fetches the keys, so nothing missed while away stays stale.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Client } from 'graphql-ws';
import { ApiError, gql, isAuthError, loadSession, openLive, saveSession, subscribe, type ConnectionState, type Session } from './api';
import {
  DashboardChangesDocument, DashboardEventsSinceDocument, DashboardHealthDocument, DashboardKeysDocument, DashboardLatestEventDocument, DashboardProvidersDocument,
  DashboardSpendDocument, DashboardUsageChangesDocument, type DashboardProvidersQuery,
} from './generated/graphql';
import { store, useStore, type Key } from './store';
import { keyName } from './format';
import { changeEvent, healthEvent, recordedEvent, spendEvent } from './event-text';
import { Alerts } from './views/alerts';
import { Audit } from './views/audit';
import { GatewayFailures } from './views/gateway-failures';
import { SignIn } from './views/sign-in';
import { Overview } from './views/overview';
import { KeysTable } from './views/keys';
import { KeyDetail } from './views/key-detail';
import { EventList } from './views/events';
import { Usage } from './views/usage';
import { AddKey } from './views/add-key';
import './styles.css';

async function loadKeys(session: Session): Promise<Key[]> {
  const keys: Key[] = [];
  for (let offset = 0; ; offset += 100) {
    const { integrations } = await gql(session, DashboardKeysDocument, { offset });
    keys.push(...integrations.items);
    if (integrations.items.length === 0 || keys.length >= integrations.total) return keys;
  }
}

const base = (at: string, k: Key) => ({ at, integrationId: k.id, providerName: k.providerName, label: keyName(k) });

function follow(client: Client): () => void {
  const stops = [
    subscribe(client, DashboardHealthDocument, ({ integrationHealthChanged: e }) => {
      store.upsert(e.integration);
      store.addEvent(healthEvent(base(e.at, e.integration), e), e.id);
    }),
    subscribe(client, DashboardSpendDocument, ({ spendLimitChanged: e }) => {
      store.upsert(e.integration);
      store.addEvent(spendEvent(base(e.at, e.integration), e), e.id);
    }),
    // Counts, spend, last use and cooldowns of every lease and report, a few times a second at most.
    subscribe(client, DashboardUsageChangesDocument, ({ integrationUsageChanged }) => store.patchUsage(integrationUsageChanged)),
    subscribe(client, DashboardChangesDocument, ({ integrationChanged: e }) => {
      if (e.kind === 'DELETED') store.remove(e.integration.id);
      else store.upsert(e.integration);
      store.addEvent(changeEvent(base(e.at, e.integration), e.kind), e.id);
    }),
  ];
  return () => stops.forEach((stop) => stop());
}

/** What happened while the socket was down: the events recorded after the last one seen, in order. */
async function catchUp(session: Session): Promise<void> {
  for (let page = 0; page < 10 && store.lastEventId !== null; page++) {
    const { events } = await gql(session, DashboardEventsSinceDocument, { since: store.lastEventId });
    for (const r of events.items) {
      const k = store.keys.get(r.integrationId);
      const d = r.details as { providerName?: string; keyLabel?: string | null };
      // The key as the event showed it (as a live event's snapshot does), else as it is now.
      const who = { id: r.integrationId, providerName: String(d.providerName ?? k?.providerName ?? ''), label: d.keyLabel ?? (k ? keyName(k) : `#${r.integrationId}`) };
      store.addEvent(recordedEvent(r, who), r.id);
    }
    if (events.items.length < 500) return;
  }
}

const CONNECTION_WORDS: Record<ConnectionState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', refused: 'Signed out' };

/** Opens a key's details (one function for every row, so unchanged rows skip rendering). */
const open = (keyId: number) => void (location.hash = `#/keys/${keyId}`);

function useRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/overview');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/overview');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function Dashboard({ session, onSignOut }: { session: Session; onSignOut: (notice?: string) => void }) {
  const s = useStore();
  const route = useRoute();
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [providers, setProviders] = useState<DashboardProvidersQuery['providers']>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const refresh = () =>
      loadKeys(session).then(
        (keys) => !stopped && store.replaceKeys(keys),
        (e: unknown) => {
          if (stopped) return;
          if (isAuthError(e)) onSignOut(`Signed out: ${(e as ApiError).message}`);
          else setLoadError(e instanceof ApiError ? e.message : String(e));
        },
      );
    gql(session, DashboardProvidersDocument).then(({ providers }) => !stopped && setProviders(providers), () => {});
    const client = openLive(session, {
      onState: (state, detail) => {
        setConnection(state);
        if (state === 'refused') onSignOut(`Signed out: ${detail}`);
      },
      onConnected: () => {
        void refresh();
        // The first connection starts following at the newest event; a reconnection fetches what came after the last one seen.
        if (store.lastEventId === null) void gql(session, DashboardLatestEventDocument).then(({ latestEventId }) => store.startFollowingAt(latestEventId), () => {});
        else void catchUp(session).catch(() => {});
      },
    });
    const unfollow = follow(client);
    return () => {
      stopped = true;
      unfollow();
      void client.dispose();
      store.clear();
    };
  }, [session.token]);

  const keys = [...s.keys.values()];
  const [, section, id] = route.split('/');
  const detail = section === 'keys' && id ? s.keys.get(Number(id)) : undefined;
  /** Providers whose billing API keypool syncs from; every other provider's figures are keypool's own ledger. */
  const billed = new Set(providers.filter((p) => p.billingApi).map((p) => p.name));

  let view;
  if (!s.loaded) view = loadError ? <p class="error" role="alert">{loadError}</p> : <p aria-busy="true">Loading keys…</p>;
  else if (section === 'keys') {
    view = (
      <>
        {detail && <KeyDetail k={detail} events={s.events} session={session} billed={billed.has(detail.providerName)} onClose={() => (location.hash = '#/keys')} />}
        {id && !detail && <p class="error" role="alert">Key #{id} does not exist (or was deleted).</p>}
        <KeysTable keys={keys} billed={billed} onOpen={open} />
      </>
    );
  } else if (section === 'events') {
    view = (
      <>
        <EventList events={s.events} empty="No events since the page opened: they appear here as they happen." />
        <GatewayFailures session={session} />
      </>
    );
  }
  else if (section === 'usage') view = <Usage session={session} />;
  else if (section === 'alerts') view = <Alerts session={session} />;
  else if (section === 'audit') view = <Audit session={session} />;
  else if (section === 'add') view = <AddKey providers={providers} session={session} onAdded={open} />;
  else view = <Overview keys={keys} session={session} />;

  const link = (target: string, label: string) => <a href={`#/${target}`} aria-current={section === target ? 'page' : undefined}>{label}</a>;
  return (
    <>
      <header class="top">
        <strong>keypool</strong>
        <nav aria-label="Views">{link('overview', 'Overview')}{link('keys', 'Keys')}{link('events', 'Events')}{link('usage', 'Usage')}{link('alerts', 'Alerts')}{link('audit', 'Audit')}{link('add', 'Add a key')}</nav>
        <span class={`connection conn-${connection}`} role="status" aria-live="polite">{CONNECTION_WORDS[connection]}</span>
        <span class="muted">{session.label}</span>
        <button type="button" onClick={() => onSignOut()}>Sign out</button>
      </header>
      <main id="view">{view}</main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const [notice, setNotice] = useState<string | null>(null);
  if (!session) {
    return <SignIn notice={notice} onSignedIn={(s) => { saveSession(s); setNotice(null); setSession(s); }} />;
  }
  return <Dashboard session={session} onSignOut={(message) => { saveSession(null); setNotice(message ?? null); setSession(null); }} />;
}

const root = document.getElementById('app')!;
root.textContent = ''; // the page's "Loading…" line
render(<App />, root);
