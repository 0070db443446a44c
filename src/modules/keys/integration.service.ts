/**
 * The brand key pool's create/list/get/update/replace/delete, shared by
 * GraphQL and every REST dialect. Every query is scoped to one brand: another
 * brand's integration is indistinguishable from a missing one.
 */
import { randomUUID } from 'node:crypto';
import { isServerVariable, type EnvReferences } from './env-references.js';
import { AppError, badRequest, field } from '../../platform/errors/app-error.js';
import { isUniqueViolation } from '../../platform/errors/database-errors.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { Queryable } from '../../platform/db/sql-pool.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { assertKeysAllowed, invalidProviderMessage, type BrandProvider, type ProviderKeys } from '../providers/index.js';
import { HEALTH_STATUSES, type HealthStatus } from './integration.entity.js';
import type { IntegrationRepository, KeyAddress, KeyChange, KeyRecovery, StoredKey } from './integration.repository.js';
import type { IntegrationChangeKind, IntegrationEvent } from './integration.events.js';
import {
  checkKeyDocument, parseKeyDocument, validateKeyId, validateSettings,
  type CreateIntegrationInput, type IntegrationSettings,
} from './integration-input.js';
import { spendUsage, toIntegrationView, type IntegrationView } from './integration.view.js';
import type { CredentialVault } from './credential-vault.js';
import { envReferencesOf, keepStoredSecrets, resolveDocument, type KeyDocument } from './key-document.js';
import { providerResetZone } from './reset-clock.js';
import type { AuditLog } from '../audit/index.js';

/** What a read must see written first (the pool's pending usage and reports): a brand's keys, or some of them. */
export interface ReadScope {
  brandId: string;
  keys?: readonly number[];
}

export interface IntegrationFilter {
  providerName?: string;
  healthStatus?: string;
  isActive?: boolean;
}

export type IntegrationPage = Page<IntegrationView>;

/** How the brand's providers are found (the brand's custom providers live in the providers module). */
export interface ProviderDirectory {
  findProvider(brandId: string, name: string): Promise<BrandProvider | null>;
  customProviderNames(brandId: string): Promise<string[]>;
}

/** Rules a caller adds to a write: Bifrost's key names are unique in a brand. */
export interface WriteOptions {
  uniqueName?: boolean;
}

/** A full replacement of a key (Bifrost's PUT): omitted settings return to their defaults, an omitted name stays. */
/** A Bifrost key write: each field left undefined is not part of it. */
export interface ProviderKeyInput {
  keyLabel?: string | null;
  credentials?: unknown;
  providerConfig?: unknown;
  isActive?: boolean;
  weight?: string;
  models?: string[] | null;
  blacklistedModels?: string[];
  useForBatchApi?: boolean;
  aliases?: Record<string, string> | null;
}

/** A key as Bifrost's GET /api/keys lists it. */
export interface KeySummary {
  keyId: string;
  keyLabel: string | null;
  providerName: string;
  models: string[] | null;
}

/** Settings, and (GraphQL only) a new credential or key config. */
export interface IntegrationUpdate extends IntegrationSettings {
  credentials?: unknown;
  providerConfig?: unknown;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const PRIMARY_PRIORITY = 10;
/** At most this many keys of one provider are listed at once by the provider-key routes. */
export const MAX_PROVIDER_KEYS = 10_000;
export const notFound = () => new AppError('integration.not_found', 'Integration not found');
const duplicate = () => new AppError('integration.duplicate', 'A key with this credential already exists for this provider');
const nameTaken = () => new AppError('integration.name_taken', 'API key names must be unique across providers. Choose a different name');
const keyIdTaken = () => new AppError('integration.duplicate', 'A key with this id already exists');

/** The settings a request gives (undefined: unchanged), as a change to write. */
const settingsOf = (s: IntegrationSettings): Omit<KeyChange, 'updatedAt'> => ({
  keyLabel: s.keyLabel, isActive: s.isActive, isPrimary: s.isPrimary, weight: s.weight, models: s.models, blacklistedModels: s.blacklistedModels,
  useForBatchApi: s.useForBatchApi, aliases: s.aliases, dailyLimit: s.dailyLimit, minuteLimit: s.minuteLimit,
  tokenMinuteLimit: s.tokenMinuteLimit, tokenDailyLimit: s.tokenDailyLimit, concurrencyLimit: s.concurrencyLimit, dailyResetZone: s.dailyResetZone,
  quotaGroup: s.quotaGroup,
  spendLimitAmount: s.spendLimitAmount, spendLimitPeriod: s.spendLimitPeriod, spendLimitAction: s.spendLimitAction,
});
/** A stored document with what an update sent laid over it: credential fields and key-config fields it names replace the stored ones. */
function mergeDocuments(stored: KeyDocument, incoming: KeyDocument): KeyDocument {
  const sameKind = stored.keyConfig !== null && incoming.keyConfig !== null && stored.keyConfig.kind === incoming.keyConfig.kind;
  return {
    credentials: { ...stored.credentials, ...incoming.credentials },
    keyConfig: incoming.keyConfig === null
      ? stored.keyConfig
      : { kind: incoming.keyConfig.kind, fields: { ...(sameKind ? stored.keyConfig!.fields : {}), ...incoming.keyConfig.fields } },
  };
}

const spendSettings = (k: StoredKey) => [k.spendLimitAmount ?? null, k.spendLimitPeriod, k.spendLimitAction].join('|');

/** A check of a new key with its provider: the provider's refusal in its own words, or null (accepted, or no clear answer). */
export type KeyCheck = (target: { providerName: string; baseProvider: string; brandBaseUrl: string | null; credentials: Record<string, unknown> }) => Promise<string | null>;

export class IntegrationService implements Omit<ProviderKeys, 'settingsChanged'> {
  constructor(
    private readonly keys: IntegrationRepository,
    private readonly vault: CredentialVault,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly providers: ProviderDirectory,
    private readonly env: EnvReferences,
  ) {}

  /**
   * Runs before every read of keys and every change of their settings (the pool writes the usage of
   * leases it granted and folds the reports it appended first, so reads show them): of the keys
   * named, for a read of those alone, or of every key of the brand.
   */
  private beforeRead: (scope: ReadScope) => Promise<void> = async () => {};

  /** What must happen before a read of keys shows them as they are. */
  readAfter(work: (scope: ReadScope) => Promise<void>): void {
    this.beforeRead = work;
  }

  /** Where an operator's hand on a key (a cooldown reset, a probe asked for) is recorded. */
  private audit: Pick<AuditLog, 'record'> | null = null;

  auditWith(audit: Pick<AuditLog, 'record'>): void {
    this.audit = audit;
  }

  /**
   * Ends a key's cooldown now (`cooldown_reset`: a 429's rest, a provider-wide backoff), or makes
   * an unhealthy key's probe due now (`reprobe_requested`: the next lease tries it, and its answer
   * heals the key or sends it back). Recorded in the audit trail; every instance reads the key again.
   */
  async recover(brandId: string, id: number, action: KeyRecovery): Promise<IntegrationView> {
    await this.beforeRead({ brandId, keys: [id] });
    const view = await this.write(async (db) => {
      const key = await this.findKey(db, brandId, { id }, { lock: true });
      if (!key) throw notFound();
      const now = this.clock.now();
      const before = toIntegrationView(key, now);
      if (action === 'cooldown_reset' && !(before.cooldownUntil && before.cooldownUntil > now)) {
        throw new AppError('request.invalid', 'This key is not cooling down: there is no cooldown to reset');
      }
      if (action === 'reprobe_requested' && before.healthStatus !== 'unhealthy') {
        throw new AppError('request.invalid', `Only an unhealthy key is probed: this key is ${before.healthStatus}`);
      }
      const after = toIntegrationView(await this.keys.recover(db, key.id, action, now), now);
      const changes = action === 'cooldown_reset'
        ? { cooldown_until: { old: before.cooldownUntil, new: null } }
        : { probe_due_at: { old: before.probeDueAt, new: after.probeDueAt } };
      await this.audit?.record(db, { brandId, resource: 'integration', resourceId: String(key.id), action, changes });
      return after;
    });
    await this.publishChange(brandId, view, 'UPDATED', false);
    return view;
  }

  /** Asks the provider about each new key before it is added (KEYPOOL_VALIDATE_KEYS); unset: keys are added unchecked. */
  private keyCheck: KeyCheck | null = null;

  /** Checks every key added from now on with `check` (its refusal, in the provider's words, or null). */
  checkKeysWith(check: KeyCheck): void {
    this.keyCheck = check;
  }

  /** A standard provider or one of the brand's custom providers; 400 naming every accepted one otherwise. */
  async resolveProvider(brandId: string, name: unknown): Promise<BrandProvider> {
    if (typeof name !== 'string') throw badRequest(`${field('providerName')} must be a string`);
    const provider = await this.providers.findProvider(brandId, name);
    if (!provider) throw new AppError('provider.unknown', invalidProviderMessage(await this.providers.customProviderNames(brandId)));
    return provider;
  }

  /** Adds a key to the brand's pool, encrypted; 409 when the same credential (or key id) is already there. */
  async createIntegration(brandId: string, input: CreateIntegrationInput, options: WriteOptions = {}): Promise<IntegrationView> {
    const provider = await this.resolveProvider(brandId, input.providerName);
    assertKeysAllowed(provider, 'add');
    const doc = keepStoredSecrets(parseKeyDocument(provider.base, input.credentials, input.providerConfig), null, null);
    checkKeyDocument(provider.base, doc);
    validateSettings(input);
    const keyId = validateKeyId(input.keyId) ?? randomUUID();
    const envRefs = this.checkEnvironment(doc);
    await this.checkWithProvider(provider, doc);
    const sealed = this.vault.seal(provider.name, doc);
    const now = this.clock.now();
    const isPrimary = input.isPrimary ?? false;
    const view = await this.write(async (db) => {
      if (options.uniqueName) await this.claimName(db, brandId, input.keyLabel ?? null, null);
      await this.refuseDuplicate(db, brandId, provider.name, doc, null);
      if (await this.keys.keyIdTaken(db, brandId, keyId)) throw keyIdTaken();
      await this.checkQuotaGroup(db, brandId, input.quotaGroup);
      const key = await this.keys.insert(db, {
        keyId,
        brandId,
        providerName: provider.name,
        keyLabel: input.keyLabel ?? null,
        isActive: input.isActive ?? true,
        isPrimary,
        priority: isPrimary ? PRIMARY_PRIORITY : 0,
        weight: input.weight ?? '1',
        models: input.models ?? null,
        blacklistedModels: input.blacklistedModels ?? [],
        useForBatchApi: input.useForBatchApi ?? false,
        aliases: input.aliases && Object.keys(input.aliases).length > 0 ? input.aliases : null,
        keyless: false,
        envRefs,
        credentialsEncrypted: sealed.encrypted,
        credentialFingerprint: sealed.fingerprint,
        keyPreview: sealed.preview,
        keyView: sealed.view,
        dailyLimit: input.dailyLimit ?? null,
        minuteLimit: input.minuteLimit ?? null,
        tokenMinuteLimit: input.tokenMinuteLimit ?? null,
        tokenDailyLimit: input.tokenDailyLimit ?? null,
        concurrencyLimit: input.concurrencyLimit ?? null,
        dailyResetZone: input.dailyResetZone ?? providerResetZone(provider.base.name),
        quotaGroup: input.quotaGroup ?? null,
        spendLimitAmount: input.spendLimitAmount ?? null,
        spendLimitPeriod: input.spendLimitPeriod ?? 'monthly',
        spendLimitAction: input.spendLimitAction ?? 'warn',
        billingNextAt: now,
        createdAt: now,
        updatedAt: now,
      });
      return toIntegrationView(key, now);
    }, keyId);
    await this.publishChange(brandId, view, 'CREATED', input.spendLimitAmount !== undefined && input.spendLimitAmount !== null);
    return view;
  }

  async listIntegrations(brandId: string, filter: IntegrationFilter, limit = DEFAULT_PAGE_SIZE, offset = 0): Promise<IntegrationPage> {
    await this.beforeRead({ brandId });
    if (filter.providerName !== undefined) await this.resolveProvider(brandId, filter.providerName);
    if (filter.healthStatus !== undefined && !HEALTH_STATUSES.includes(filter.healthStatus as HealthStatus)) {
      throw new AppError('request.invalid', `health_status must be one of ${HEALTH_STATUSES.join(', ')}`);
    }
    checkPage(limit, offset, MAX_PAGE_SIZE);
    const { rows, total } = await this.keys.listKeys(brandId, filter, limit, offset);
    const now = this.clock.now();
    return { items: rows.map((r) => toIntegrationView(r, now)), total, limit, offset };
  }

  /** Every key of one provider (not a keyless endpoint), oldest first. */
  async listProviderKeys(brandId: string, providerName: string): Promise<IntegrationView[]> {
    await this.beforeRead({ brandId });
    const rows = await this.keys.providerKeys(this.keys.pool, brandId, providerName, { keyless: false, limit: MAX_PROVIDER_KEYS });
    const now = this.clock.now();
    return rows.map((r) => toIntegrationView(r, now));
  }

  async findIntegration(brandId: string, id: number): Promise<IntegrationView | null> {
    // One key: only its pending usage and reports are written first.
    await this.beforeRead({ brandId, keys: [id] });
    const key = await this.findKey(this.keys.pool, brandId, { id });
    return key && toIntegrationView(key, this.clock.now());
  }

  async getIntegration(brandId: string, id: number): Promise<IntegrationView> {
    // findIntegration writes what is pending first (once: each time is a fold's round trip).
    const view = await this.findIntegration(brandId, id);
    if (!view) throw notFound();
    return view;
  }

  /** A key of one provider by its string id. */
  async findProviderKey(brandId: string, providerName: string, keyId: string): Promise<IntegrationView | null> {
    await this.beforeRead({ brandId });
    const key = await this.findKey(this.keys.pool, brandId, { providerName, keyId });
    return key && toIntegrationView(key, this.clock.now());
  }

  /**
   * Changes settings only; the provider and the credential are fixed for a key's life. The row
   * is locked for the change, so an update racing a delete either lands before it or is a 404.
   */
  async updateIntegration(brandId: string, id: number, update: IntegrationUpdate): Promise<IntegrationView> {
    const { credentials, providerConfig, ...patch } = update;
    validateSettings(patch);
    const replacing = credentials !== undefined || providerConfig !== undefined;
    // A spend limit is judged on every report acknowledged before it (the key's appended ones folded first).
    await this.beforeRead({ brandId, keys: [id] });
    const { view, spendChanged, wasExceeded } = await this.write(async (db) => {
      const key = await this.findKey(db, brandId, { id }, { lock: true, withCredential: replacing });
      if (!key) throw notFound();
      await this.checkQuotaGroup(db, brandId, patch.quotaGroup);
      const now = this.clock.now();
      const change: KeyChange = { ...settingsOf(patch), updatedAt: now };
      if (replacing) Object.assign(change, await this.replaceSecrets(db, brandId, key, credentials, providerConfig));
      if (patch.isPrimary !== undefined) change.priority = patch.isPrimary ? PRIMARY_PRIORITY : 0;
      // An operator enabling a key vouches for it: a 402's out-of-credits mark goes.
      if (patch.isActive === true) Object.assign(change, { outOfCreditsAt: null, outOfCreditsUntil: null });
      let changed = await this.keys.change(db, key.id, change);
      const spendChanged = spendSettings(key) !== spendSettings(changed);
      if (spendChanged) changed = await this.keys.judgeSpend(db, key.id, now);
      return { view: toIntegrationView(changed, now), spendChanged, wasExceeded: key.spendLimitExceeded };
    });
    await this.publishChange(brandId, view, 'UPDATED', spendChanged, wasExceeded);
    return view;
  }

  /**
   * A new credential or key config for a key (GraphQL updateIntegration): what is not given stays,
   * a secret sent back as its redacted rendering stays, and the result is checked like a new key.
   */
  private async replaceSecrets(db: Queryable, brandId: string, key: StoredKey, credentials: unknown, providerConfig: unknown): Promise<KeyChange> {
    const provider = await this.resolveProvider(brandId, key.providerName);
    assertKeysAllowed(provider, 'update');
    const stored = this.vault.open(key.credentialsEncrypted!);
    const given = parseKeyDocument(provider.base, credentials ?? stored.credentials, providerConfig ?? stored.keyConfig?.fields ?? null);
    const doc = keepStoredSecrets(given, stored, toIntegrationView(key, this.clock.now()).keyView);
    checkKeyDocument(provider.base, doc);
    return this.reseal(db, brandId, provider.name, key, doc);
  }

  /** A key may only join a quota group its brand has (locked until the write commits, so it is not deleted meanwhile). */
  private async checkQuotaGroup(db: Queryable, brandId: string, name: string | null | undefined): Promise<void> {
    if (name === undefined || name === null) return;
    if (!(await this.keys.lockQuotaGroup(db, brandId, name))) {
      throw new AppError('request.invalid', `${field('quotaGroup')} names no quota group of this brand: create it first (POST /api/v1/quota-groups or createQuotaGroup)`);
    }
  }

  /** A key its provider refuses (KEYPOOL_VALIDATE_KEYS) is a 400 that says what the provider answered. */
  private async checkWithProvider(provider: BrandProvider, doc: KeyDocument): Promise<void> {
    if (!this.keyCheck) return;
    const resolved = resolveDocument(doc, this.env.lookup);
    if ('unset' in resolved) return;
    const refusal = await this.keyCheck({ providerName: provider.name, baseProvider: provider.base.name, brandBaseUrl: provider.baseUrl, credentials: resolved.credentials });
    if (refusal !== null) throw new AppError('integration.key_refused', `${provider.label} refused this key when keypool checked it (${refusal})`);
  }

  /** The change that stores a key's new credential, checked for its environment references and for duplicates. */
  private async reseal(db: Queryable, brandId: string, providerName: string, key: StoredKey, doc: KeyDocument): Promise<KeyChange> {
    const envRefs = this.checkEnvironment(doc);
    const sealed = this.vault.seal(providerName, doc);
    if (sealed.fingerprint !== key.credentialFingerprint) await this.refuseDuplicate(db, brandId, providerName, doc, key.id);
    return {
      envRefs, credentialsEncrypted: sealed.encrypted, credentialFingerprint: sealed.fingerprint, keyPreview: sealed.preview, keyView: sealed.view,
      credentialError: null, updatedAt: this.clock.now(),
    };
  }

  /**
   * Bifrost's key PUT: changes what the request carries and keeps everything it leaves out (or
   * sends as null): a rotation that sends only { name, value } leaves the key's models, state,
   * weight and config as they were, so a restricted or disabled key never comes back unrestricted
   * or enabled. A key config that is sent changes the fields it names. A secret sent back masked
   * keeps the stored one, as Bifrost does, whether or not the rendering is current.
   */
  async updateProviderKey(brandId: string, providerName: string, keyId: string, input: ProviderKeyInput, options: WriteOptions = {}): Promise<IntegrationView> {
    const provider = await this.resolveProvider(brandId, providerName);
    assertKeysAllowed(provider, 'update');
    const incoming = parseKeyDocument(provider.base, input.credentials ?? {}, input.providerConfig, { partial: true });
    const { credentials: _c, providerConfig: _p, ...settings } = input;
    validateSettings(settings);
    const view = await this.write(async (db) => {
      const key = await this.findKey(db, brandId, { providerName: provider.name, keyId }, { lock: true, withCredential: true });
      if (!key) throw notFound();
      const stored = this.vault.open(key.credentialsEncrypted!);
      const doc = keepStoredSecrets(mergeDocuments(stored, incoming), stored, toIntegrationView(key, this.clock.now()).keyView, 'keep');
      checkKeyDocument(provider.base, doc);
      if (options.uniqueName && settings.keyLabel !== undefined && settings.keyLabel !== key.keyLabel) {
        await this.claimName(db, brandId, settings.keyLabel ?? null, key.id);
      }
      const secrets = await this.reseal(db, brandId, provider.name, key, doc);
      const now = this.clock.now();
      return toIntegrationView(await this.keys.change(db, key.id, { ...settingsOf(settings), ...secrets, updatedAt: now }), now);
    });
    await this.publishChange(brandId, view, 'UPDATED', false);
    return view;
  }

  /** Every key of the brand (not keyless endpoints), oldest first: Bifrost's GET /api/keys. */
  async listKeySummaries(brandId: string): Promise<KeySummary[]> {
    await this.beforeRead({ brandId });
    return this.keys.keySummaries(brandId, MAX_PROVIDER_KEYS);
  }

  /** The providers the brand has keys of (a keyless endpoint counts). */
  providersWithKeys(brandId: string): Promise<string[]> {
    return this.keys.providersWithKeys(brandId);
  }

  /** Deletes a key; of concurrent deletes of one key exactly one succeeds, the others are 404s. */
  async deleteIntegration(brandId: string, id: number): Promise<IntegrationView> {
    return this.deleteWhere(brandId, { id });
  }

  async deleteProviderKey(brandId: string, providerName: string, keyId: string): Promise<IntegrationView> {
    const provider = await this.resolveProvider(brandId, providerName);
    assertKeysAllowed(provider, 'delete');
    return this.deleteWhere(brandId, { providerName: provider.name, keyId });
  }

  // ProviderKeys: what a provider's changes do to its keys, inside the provider's transaction.

  countKeys(db: Queryable, brandId: string, provider: string): Promise<number> {
    return this.keys.countProviderKeys(db, brandId, provider);
  }

  async deleteAll(db: Queryable, brandId: string, provider: string): Promise<() => Promise<void>> {
    const rows = await this.keys.providerKeys(db, brandId, provider, { keyless: true, lock: true });
    const now = this.clock.now();
    const views = rows.map((r) => toIntegrationView(r, now));
    await this.keys.deleteKeys(db, rows.map((r) => r.id));
    return async () => {
      for (const view of views) await this.publishChange(brandId, view, 'DELETED', false);
    };
  }

  async setKeyless(db: Queryable, brandId: string, provider: string, keyless: boolean): Promise<() => Promise<void>> {
    const existing = await this.keys.findKeyless(db, brandId, provider);
    const now = this.clock.now();
    if (keyless && !existing) {
      const sealed = this.vault.seal(provider, { credentials: {}, keyConfig: null });
      const key = await this.keys.insert(db, {
        // A key id no caller can give (ids have no spaces), so it never collides with a key's.
        keyId: `keyless ${provider}`,
        brandId,
        providerName: provider,
        keyLabel: `${provider} (keyless endpoint)`,
        isActive: true,
        isPrimary: false,
        priority: 0,
        weight: '1',
        models: null,
        blacklistedModels: [],
        useForBatchApi: false,
        aliases: null,
        keyless: true,
        envRefs: [],
        credentialsEncrypted: sealed.encrypted,
        credentialFingerprint: sealed.fingerprint,
        keyPreview: sealed.preview,
        keyView: sealed.view,
        dailyLimit: null,
        minuteLimit: null,
        tokenMinuteLimit: null,
        tokenDailyLimit: null,
        concurrencyLimit: null,
        dailyResetZone: 'UTC',
        quotaGroup: null,
        spendLimitAmount: null,
        spendLimitPeriod: 'monthly',
        spendLimitAction: 'warn',
        billingNextAt: null,
        createdAt: now,
        updatedAt: now,
      });
      const view = toIntegrationView(key, now);
      return () => this.publishChange(brandId, view, 'CREATED', false);
    }
    if (!keyless && existing) {
      const view = toIntegrationView(existing, now);
      await this.keys.deleteKeys(db, [existing.id]);
      return () => this.publishChange(brandId, view, 'DELETED', false);
    }
    return async () => {};
  }

  /**
   * The environment variables a key refers to must be allow-listed by the operator and set now;
   * keypool's own variables never are. Returns the names, stored so selection can skip the key
   * when one disappears.
   */
  private checkEnvironment(doc: KeyDocument): string[] {
    const names = envReferencesOf(doc);
    for (const name of names) {
      if (isServerVariable(name)) throw badRequest(`environment variable ${name} is keypool's own and can never be referenced`);
      // Not named: what is not an allowed variable may be a key pasted into env_var.
      if (!this.env.allowlist.includes(name)) throw badRequest('the environment variable referred to is not allowed; the operator can add it to KEYPOOL_ENV_ALLOWLIST');
      if (this.env.lookup(name) === undefined) throw badRequest(`environment variable ${name} is unset`);
    }
    return names;
  }

  /** Serialises writers of one name in a brand (a transaction-scoped lock), then checks it is free. */
  private async claimName(db: Queryable, brandId: string, name: string | null, exceptId: number | null): Promise<void> {
    if (name === null || name === '') return;
    if (!(await this.keys.claimName(db, brandId, name, exceptId))) throw nameTaken();
  }

  private async refuseDuplicate(db: Queryable, brandId: string, providerName: string, doc: KeyDocument, exceptId: number | null): Promise<void> {
    if (await this.keys.credentialTaken(db, brandId, providerName, this.vault.allFingerprints(providerName, doc), exceptId)) throw duplicate();
  }

  /** One transaction; a unique index that fires (a racing duplicate) is the same 409 as the check that lost the race. */
  private async write<T>(work: (db: Queryable) => Promise<T>, keyId?: string): Promise<T> {
    try {
      return await this.keys.transaction(work);
    } catch (e) {
      if (isUniqueViolation(e)) throw keyId !== undefined && e.constraint === 'integration_brand_key_id_unique' ? keyIdTaken() : duplicate();
      throw e;
    }
  }

  private async deleteWhere(brandId: string, address: KeyAddress): Promise<IntegrationView> {
    const view = await this.keys.transaction(async (db) => {
      const key = await this.findKey(db, brandId, address, { lock: true });
      if (!key) throw notFound();
      await this.keys.deleteKeys(db, [key.id]);
      return toIntegrationView(key, this.clock.now());
    });
    await this.publishChange(brandId, view, 'DELETED', false);
    return view;
  }

  /** A key of the brand; an id no key can have is simply not found. */
  private findKey(db: Queryable, brandId: string, address: KeyAddress, options?: { lock?: boolean; withCredential?: boolean }): Promise<StoredKey | null> {
    if ('id' in address && (!Number.isSafeInteger(address.id) || address.id < 1 || address.id > 2_147_483_647)) return Promise.resolve(null);
    return this.keys.findKey(db, brandId, address, options);
  }

  private async publishChange(
    brandId: string, view: IntegrationView, kind: IntegrationChangeKind, spendSettingChanged: boolean, previousExceeded = view.spendLimitExceeded,
  ) {
    const at = this.clock.now();
    await this.events.publish({ type: 'integration.changed', brandId, integration: view, kind, at });
    if (spendSettingChanged) {
      await this.events.publish({
        type: 'integration.spend_limit_changed',
        brandId,
        integration: view,
        at,
        exceeded: view.spendLimitExceeded,
        previousExceeded,
        action: view.spendLimitAction,
        amount: view.spendLimitAmount,
        period: view.spendLimitPeriod,
        usage: spendUsage(view),
      });
    }
  }
}
