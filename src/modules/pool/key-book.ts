/**
 * The key book: each instance's copy of the keys it leases from, by brand and
 * provider, so picking a key reads no database. A group is loaded on first
 * use and then kept current three ways:
 * - every key this instance claims allowance for or reports on comes back from
 *   the database with its new state, and replaces its entry; usage counts it
 *   writes patch their entry;
 * - every integration event (a key created, changed, deleted; a health or
 *   spend-limit change), published here or on any other instance, drops the
 *   brand's group for that provider (this instance's own changes synchronously,
 *   before the request that made them is answered);
 * - a group older than `maxAgeMs` is read again before use, which bounds how
 *   long a change that published no event (another instance's cooldown after a
 *   429, a counter another instance moved) goes unseen here.
 * Limits never depend on the book: a claim checks them in the database.
 */
import type { IntegrationRecord, KeyDocument } from '../keys/index.js';
import { upstreamSettingsOf, type UpstreamSettings } from '../providers/index.js';
import type { GroupRow } from './lease.repository.js';

export interface BookKey {
  record: IntegrationRecord;
  encrypted: string;
  /** The opened credential, once a lease has opened it (kept while the ciphertext stays the same, dropped with the entry). */
  document?: KeyDocument;
}

/** The brand's settings of the provider, as every key of the group shares them. */
export interface GroupProvider {
  baseUrl: string | null;
  baseProviderType: string | null;
  upstream: UpstreamSettings;
}

export interface BookGroup {
  keys: BookKey[];
  provider: GroupProvider;
}

interface Entry {
  group: BookGroup;
  loadedAt: number;
}

const NO_PROVIDER: GroupProvider = { baseUrl: null, baseProviderType: null, upstream: upstreamSettingsOf(null) };

export class KeyBook {
  private readonly groups = new Map<string, Entry>();
  /** Which group each key the book holds is in. */
  private readonly groupOf = new Map<number, string>();
  private readonly loading = new Map<string, { promise: Promise<BookGroup>; generation: number }>();
  /** Bumped by every drop: a load that started before a drop is not kept. */
  private generation = 0;

  constructor(
    private readonly load: (brandId: string, providerName: string) => Promise<GroupRow[]>,
    private readonly maxAgeMs: number,
  ) {}

  async group(brandId: string, providerName: string): Promise<BookGroup> {
    const name = `${brandId}/${providerName}`;
    const entry = this.groups.get(name);
    if (entry && performance.now() - entry.loadedAt < this.maxAgeMs) return entry.group;
    const pending = this.loading.get(name);
    if (pending && pending.generation === this.generation) return pending.promise;
    const generation = this.generation;
    const started = performance.now();
    const promise = this.load(brandId, providerName).then((rows) => {
      const group = toGroup(rows, entry?.group);
      if (generation === this.generation) {
        this.groups.set(name, { group, loadedAt: started });
        for (const key of group.keys) this.groupOf.set(key.record.id, name);
      }
      return group;
    }).finally(() => {
      if (this.loading.get(name)?.promise === promise) this.loading.delete(name);
    });
    this.loading.set(name, { promise, generation });
    return promise;
  }

  /** Fields of a key the database just returned (a claim's or a release's counters): laid over the book's entry; the entry, or null when the book does not hold the key. */
  /** How many keys the group of a key the book holds has (0: not held). */
  groupSizeOf(integrationId: number): number {
    const name = this.groupOf.get(integrationId);
    return name === undefined ? 0 : this.groups.get(name)?.group.keys.length ?? 0;
  }

  /** The brand of a key the book has held (null: never held here). */
  brandOf(integrationId: number): string | null {
    const name = this.groupOf.get(integrationId);
    return name === undefined ? null : name.slice(0, name.indexOf('/'));
  }

  /** The brand's settings of the provider of a key the book holds (null: not held). */
  providerOf(integrationId: number): GroupProvider | null {
    const name = this.groupOf.get(integrationId);
    return name === undefined ? null : this.groups.get(name)?.group.provider ?? null;
  }

  patch(integrationId: number, fields: Partial<IntegrationRecord>): IntegrationRecord | null {
    const name = this.groupOf.get(integrationId);
    const group = name === undefined ? undefined : this.groups.get(name)?.group;
    const key = group?.keys.find((k) => k.record.id === integrationId);
    if (!key) return null;
    // In place: the entry is the book's own (a lease or a view reads it when it needs it, never keeps a copy to compare).
    Object.assign(key.record, fields);
    return key.record;
  }

  /** A key as the database just returned it (a report, a claim): it replaces the book's entry, if the book has the group. */
  update(record: IntegrationRecord, encrypted: string): void {
    const group = this.groups.get(`${brandOf(record)}/${record.providerName}`)?.group;
    const at = group?.keys.findIndex((k) => k.record.id === record.id) ?? -1;
    if (!group || at < 0) return;
    const old = group.keys[at];
    group.keys[at] = { record, encrypted, ...(old.encrypted === encrypted && old.document && { document: old.document }) };
  }

  /** The key's entry, if the book holds its group. */
  find(integrationId: number): BookKey | undefined {
    const name = this.groupOf.get(integrationId);
    return name === undefined ? undefined : this.groups.get(name)?.group.keys.find((k) => k.record.id === integrationId);
  }

  /** A key that is gone: out of its group at once. */
  remove(brandId: string, providerName: string, integrationId: number): void {
    const group = this.groups.get(`${brandId}/${providerName}`)?.group;
    if (group) group.keys = group.keys.filter((k) => k.record.id !== integrationId);
    this.groupOf.delete(integrationId);
  }

  /** Drops the brand's group of the provider (or every group of the brand): the next lease reads it again. */
  drop(brandId: string, providerName?: string): void {
    this.generation++;
    if (providerName !== undefined) {
      this.groups.delete(`${brandId}/${providerName}`);
      return;
    }
    for (const name of this.groups.keys()) if (name.startsWith(`${brandId}/`)) this.groups.delete(name);
  }

  /** Drops every group (a test that wrote keys behind keypool's back; a database that came back). */
  clear(): void {
    this.generation++;
    this.groups.clear();
    this.groupOf.clear();
  }
}

const brandOf = (record: IntegrationRecord) => (record as IntegrationRecord & { brandId: string }).brandId;

/** The rows as a group; opened credentials of keys whose ciphertext did not change are kept. */
function toGroup(rows: GroupRow[], previous: BookGroup | undefined): BookGroup {
  const opened = new Map(previous?.keys.filter((k) => k.document).map((k) => [k.record.id, k]));
  const keys = rows.map((row): BookKey => {
    const before = opened.get(row.record.id);
    return { record: row.record, encrypted: row.encrypted, ...(before?.encrypted === row.encrypted && { document: before.document }) };
  });
  const first = rows[0];
  return { keys, provider: first ? { baseUrl: first.baseUrl, baseProviderType: first.baseProviderType, upstream: first.upstream } : NO_PROVIDER };
}
