/**
 * The brand key pool's create/list/get/update/replace/delete, shared by
 * GraphQL and every REST dialect. Every query is scoped to one brand: another
 * brand's integration is indistinguishable from a missing one.
 */
import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { EnvReferences } from '../../config/config.js';
import { isServerVariable } from '../../config/config.js';
import { AppError, badRequest, field } from '../../platform/errors/app-error.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { assertKeysAllowed, invalidProviderMessage, type BrandProvider, type ProviderKeys } from '../providers/index.js';
import { HEALTH_STATUSES, IntegrationSchema, type HealthStatus, type IntegrationEntity } from './integration.entity.js';
import type { IntegrationChangeKind, IntegrationEvent } from './integration.events.js';
import {
  checkKeyDocument, parseKeyDocument, validateKeyId, validateSettings,
  type CreateIntegrationInput, type CredentialDialect, type IntegrationSettings,
} from './integration-input.js';
import { spendUsage, toIntegrationView, type IntegrationView } from './integration.view.js';
import type { CredentialVault } from './credential-vault.js';
import { envReferencesOf, keepStoredSecrets, type KeyDocument } from './key-document.js';
import { utcDay, utcMonthStart } from './limits.js';
import { spendPeriodKey } from './spend.js';

export interface IntegrationFilter {
  providerName?: string;
  healthStatus?: string;
  isActive?: boolean;
}

export type IntegrationPage = Page<IntegrationView>;

/** How the brand's providers are found (the brand's custom providers live in the providers module). */
export interface ProviderDirectory {
  findProvider(brandId: string, name: string, em?: EntityManager): Promise<BrandProvider | null>;
  customProviderNames(brandId: string): Promise<string[]>;
}

/** Rules a dialect adds to a write: Bifrost's names are unique in a brand and its messages are its own. */
export interface WriteOptions {
  dialect?: CredentialDialect;
  uniqueName?: boolean;
}

/** A full replacement of a key (Bifrost's PUT): omitted settings return to their defaults, an omitted name stays. */
export interface ReplaceKeyInput {
  keyLabel?: string | null;
  credentials: unknown;
  providerConfig?: unknown;
  isActive?: boolean;
  weight?: string;
  models?: string[] | null;
  blacklistedModels?: string[];
  useForBatchApi?: boolean;
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
const keyIdTaken = (keyId: string) => new AppError('integration.duplicate', `A key with id ${keyId} already exists`);

export class IntegrationService implements ProviderKeys {
  constructor(
    private readonly em: EntityManager,
    private readonly vault: CredentialVault,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly providers: ProviderDirectory,
    private readonly env: EnvReferences,
  ) {}

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
    const dialect = options.dialect ?? 'fields';
    const doc = keepStoredSecrets(parseKeyDocument(provider.base, input.credentials, input.providerConfig, dialect), null, null);
    checkKeyDocument(provider.base, doc, dialect);
    validateSettings(input);
    const keyId = validateKeyId(input.keyId) ?? randomUUID();
    const envRefs = this.checkEnvironment(doc);
    const sealed = this.vault.seal(provider.name, doc);
    const now = this.clock.now();
    const isPrimary = input.isPrimary ?? false;
    const view = await this.write(async (em) => {
      if (options.uniqueName) await this.claimName(em, brandId, input.keyLabel ?? null, null);
      await this.refuseDuplicate(em, brandId, provider.name, doc, null);
      if ((await em.count(IntegrationSchema, { brand: brandId, keyId })) > 0) throw keyIdTaken(keyId);
      const entity = em.create(IntegrationSchema, {
        keyId,
        brand: brandId,
        providerName: provider.name,
        keyLabel: input.keyLabel ?? null,
        isActive: input.isActive ?? true,
        isPrimary,
        priority: isPrimary ? PRIMARY_PRIORITY : 0,
        weight: input.weight ?? '1',
        models: input.models ?? null,
        blacklistedModels: input.blacklistedModels ?? [],
        useForBatchApi: input.useForBatchApi ?? false,
        envRefs,
        credentialsEncrypted: sealed.encrypted,
        credentialFingerprint: sealed.fingerprint,
        keyPreview: sealed.preview,
        keyView: sealed.view,
        dailyLimit: input.dailyLimit ?? null,
        minuteLimit: input.minuteLimit ?? null,
        spendLimitAmount: input.spendLimitAmount ?? null,
        spendLimitPeriod: input.spendLimitPeriod ?? 'monthly',
        spendLimitAction: input.spendLimitAction ?? 'warn',
        billingNextAt: now,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return toIntegrationView(entity, now);
    }, keyId);
    await this.publishChange(brandId, view, 'CREATED', input.spendLimitAmount !== undefined && input.spendLimitAmount !== null);
    return view;
  }

  async listIntegrations(brandId: string, filter: IntegrationFilter, limit = DEFAULT_PAGE_SIZE, offset = 0): Promise<IntegrationPage> {
    if (filter.providerName !== undefined) await this.resolveProvider(brandId, filter.providerName);
    if (filter.healthStatus !== undefined && !HEALTH_STATUSES.includes(filter.healthStatus as HealthStatus)) {
      throw new AppError('request.invalid', `health_status must be one of ${HEALTH_STATUSES.join(', ')}`);
    }
    checkPage(limit, offset, MAX_PAGE_SIZE);
    const where = {
      brand: brandId,
      ...(filter.providerName !== undefined && { providerName: filter.providerName }),
      ...(filter.healthStatus !== undefined && { healthStatus: filter.healthStatus }),
      ...(filter.isActive !== undefined && { isActive: filter.isActive }),
    };
    const [rows, total] = await this.em.fork().findAndCount(IntegrationSchema, where, { orderBy: { id: 'asc' }, limit, offset });
    const now = this.clock.now();
    return { items: rows.map((r) => toIntegrationView(r, now)), total, limit, offset };
  }

  /** Every key of one provider (not a keyless endpoint), oldest first. */
  async listProviderKeys(brandId: string, providerName: string): Promise<IntegrationView[]> {
    const rows = await this.em.fork().find(
      IntegrationSchema,
      { brand: brandId, providerName, keyless: false },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_PROVIDER_KEYS },
    );
    const now = this.clock.now();
    return rows.map((r) => toIntegrationView(r, now));
  }

  async findIntegration(brandId: string, id: number): Promise<IntegrationView | null> {
    const entity = await this.findEntity(this.em.fork(), brandId, id);
    return entity && toIntegrationView(entity, this.clock.now());
  }

  async getIntegration(brandId: string, id: number): Promise<IntegrationView> {
    const view = await this.findIntegration(brandId, id);
    if (!view) throw notFound();
    return view;
  }

  /** A key of one provider by its string id. */
  async findProviderKey(brandId: string, providerName: string, keyId: string): Promise<IntegrationView | null> {
    const entity = await this.em.fork().findOne(IntegrationSchema, { brand: brandId, providerName, keyId, keyless: false });
    return entity && toIntegrationView(entity, this.clock.now());
  }

  /**
   * Changes settings only; the provider and the credential are fixed for a key's life. The row
   * is locked for the change, so an update racing a delete either lands before it or is a 404.
   */
  async updateIntegration(brandId: string, id: number, update: IntegrationUpdate): Promise<IntegrationView> {
    const { credentials, providerConfig, ...patch } = update;
    validateSettings(patch);
    const replacing = credentials !== undefined || providerConfig !== undefined;
    const { view, spendChanged, wasExceeded } = await this.write(async (em) => {
      const entity = await this.findEntity(em, brandId, id, LockMode.PESSIMISTIC_WRITE, replacing);
      if (!entity) throw notFound();
      const spendBefore = [entity.spendLimitAmount, entity.spendLimitPeriod, entity.spendLimitAction].join('|');
      const wasExceeded = entity.spendLimitExceeded;
      if (replacing) await this.replaceSecrets(em, brandId, entity, credentials, providerConfig);
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      em.assign(entity, defined);
      if (patch.isPrimary !== undefined) entity.priority = patch.isPrimary ? PRIMARY_PRIORITY : 0;
      // An operator enabling a key vouches for it: a 402's out-of-credits mark goes.
      if (patch.isActive === true) Object.assign(entity, { outOfCreditsAt: null, outOfCreditsUntil: null });
      const now = this.clock.now();
      entity.updatedAt = now;
      await em.flush();
      const spendAfter = [entity.spendLimitAmount, entity.spendLimitPeriod, entity.spendLimitAction].join('|');
      if (spendBefore !== spendAfter) Object.assign(entity, await this.judgeSpend(em, id, now));
      return { view: toIntegrationView(entity, now), spendChanged: spendBefore !== spendAfter, wasExceeded };
    });
    await this.publishChange(brandId, view, 'UPDATED', spendChanged, wasExceeded);
    return view;
  }

  /**
   * A new credential or key config for a key (GraphQL updateIntegration): what is not given stays,
   * a secret sent back as its redacted rendering stays, and the result is checked like a new key.
   */
  private async replaceSecrets(em: EntityManager, brandId: string, entity: IntegrationEntity, credentials: unknown, providerConfig: unknown): Promise<void> {
    const provider = await this.resolveProvider(brandId, entity.providerName);
    assertKeysAllowed(provider, 'update');
    const stored = this.vault.open(entity.credentialsEncrypted);
    const given = parseKeyDocument(provider.base, credentials ?? stored.credentials, providerConfig ?? stored.keyConfig?.fields ?? null);
    const doc = keepStoredSecrets(given, stored, toIntegrationView(entity, this.clock.now()).keyView);
    checkKeyDocument(provider.base, doc);
    const envRefs = this.checkEnvironment(doc);
    const sealed = this.vault.seal(provider.name, doc);
    if (sealed.fingerprint !== entity.credentialFingerprint) await this.refuseDuplicate(em, brandId, provider.name, doc, entity.id);
    em.assign(entity, {
      envRefs, credentialsEncrypted: sealed.encrypted, credentialFingerprint: sealed.fingerprint, keyPreview: sealed.preview, keyView: sealed.view, credentialError: null,
    });
  }

  /** Judges a key's spend limit as it now stands (the same SQL as reports and syncs), and stores the verdict. */
  private async judgeSpend(em: EntityManager, id: number, now: Date): Promise<{ spendLimitExceeded: boolean; spendExceededPeriod: string | null }> {
    const today = utcDay(now);
    const month = utcMonthStart(now);
    const [row] = await em.execute<{ spend_limit_exceeded: boolean; spend_exceeded_period: string | null }[]>(
      `update integration set spend_limit_exceeded = j.exceeded,
         spend_exceeded_period = case when j.exceeded then keypool_spend_period(spend_limit_period, ?, ?) end
       from (select id, keypool_spend_over(spend_limit_amount, spend_limit_period,
               case when spend_day = ?::date then spend_today else 0 end, case when spend_month_start = ?::date then spend_month else 0 end,
               cached_usage_today, cached_usage_month, billing_synced_at, ?::date, ?::date) as exceeded
             from integration where id = ?) j
       where integration.id = j.id
       returning integration.spend_limit_exceeded, integration.spend_exceeded_period`,
      [spendPeriodKey('daily', now), spendPeriodKey('monthly', now), today, month, today, month, id],
    );
    return { spendLimitExceeded: row.spend_limit_exceeded, spendExceededPeriod: row.spend_exceeded_period };
  }

  /**
   * Replaces a key's credential and Bifrost settings (Bifrost's PUT). A secret sent back exactly
   * as its redacted rendering keeps the stored secret; limits, priority and spend settings stay.
   */
  async replaceProviderKey(brandId: string, providerName: string, keyId: string, input: ReplaceKeyInput, options: WriteOptions = {}): Promise<IntegrationView> {
    const provider = await this.resolveProvider(brandId, providerName);
    assertKeysAllowed(provider, 'update');
    const dialect = options.dialect ?? 'fields';
    const incoming = parseKeyDocument(provider.base, input.credentials, input.providerConfig, dialect);
    const settings: IntegrationSettings = {
      isActive: input.isActive ?? true,
      weight: input.weight ?? '1',
      models: input.models ?? null,
      blacklistedModels: input.blacklistedModels ?? [],
      useForBatchApi: input.useForBatchApi ?? false,
      ...(input.keyLabel !== undefined && { keyLabel: input.keyLabel }),
    };
    const view = await this.write(async (em) => {
      const entity = await em.findOne(
        IntegrationSchema,
        { brand: brandId, providerName: provider.name, keyId, keyless: false },
        { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['credentialsEncrypted'] },
      );
      if (!entity) throw notFound();
      const stored = this.vault.open(entity.credentialsEncrypted);
      const doc = keepStoredSecrets(incoming, stored, toIntegrationView(entity, this.clock.now()).keyView);
      checkKeyDocument(provider.base, doc, dialect);
      validateSettings(settings);
      const envRefs = this.checkEnvironment(doc);
      if (options.uniqueName && settings.keyLabel !== undefined && settings.keyLabel !== entity.keyLabel) {
        await this.claimName(em, brandId, settings.keyLabel, entity.id);
      }
      const sealed = this.vault.seal(provider.name, doc);
      if (sealed.fingerprint !== entity.credentialFingerprint) await this.refuseDuplicate(em, brandId, provider.name, doc, entity.id);
      em.assign(entity, {
        ...settings,
        envRefs,
        credentialsEncrypted: sealed.encrypted,
        credentialFingerprint: sealed.fingerprint,
        keyPreview: sealed.preview,
        keyView: sealed.view,
        credentialError: null,
      });
      const now = this.clock.now();
      entity.updatedAt = now;
      await em.flush();
      return toIntegrationView(entity, now);
    });
    await this.publishChange(brandId, view, 'UPDATED', false);
    return view;
  }

  /** Deletes a key; of concurrent deletes of one key exactly one succeeds, the others are 404s. */
  async deleteIntegration(brandId: string, id: number): Promise<IntegrationView> {
    return this.deleteWhere(brandId, (em) => this.findEntity(em, brandId, id, LockMode.PESSIMISTIC_WRITE));
  }

  async deleteProviderKey(brandId: string, providerName: string, keyId: string): Promise<IntegrationView> {
    const provider = await this.resolveProvider(brandId, providerName);
    assertKeysAllowed(provider, 'delete');
    return this.deleteWhere(brandId, (em) =>
      em.findOne(IntegrationSchema, { brand: brandId, providerName: provider.name, keyId, keyless: false }, { lockMode: LockMode.PESSIMISTIC_WRITE }));
  }

  // ProviderKeys: what a provider's changes do to its keys, inside the provider's transaction.

  async countKeys(em: EntityManager, brandId: string, provider: string): Promise<number> {
    return em.count(IntegrationSchema, { brand: brandId, providerName: provider, keyless: false });
  }

  async deleteAll(em: EntityManager, brandId: string, provider: string): Promise<() => Promise<void>> {
    const rows = await em.find(IntegrationSchema, { brand: brandId, providerName: provider }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    const now = this.clock.now();
    const views = rows.map((r) => toIntegrationView(r, now));
    for (const row of rows) em.remove(row);
    await em.flush();
    return async () => {
      for (const view of views) await this.publishChange(brandId, view, 'DELETED', false);
    };
  }

  async setKeyless(em: EntityManager, brandId: string, provider: string, keyless: boolean): Promise<() => Promise<void>> {
    const existing = await em.findOne(IntegrationSchema, { brand: brandId, providerName: provider, keyless: true });
    const now = this.clock.now();
    if (keyless && !existing) {
      const sealed = this.vault.seal(provider, { credentials: {}, keyConfig: null });
      const entity = em.create(IntegrationSchema, {
        // A key id no caller can give (ids have no spaces), so it never collides with a key's.
        keyId: `keyless ${provider}`,
        brand: brandId,
        providerName: provider,
        keyLabel: `${provider} (keyless endpoint)`,
        keyless: true,
        credentialsEncrypted: sealed.encrypted,
        credentialFingerprint: sealed.fingerprint,
        keyPreview: sealed.preview,
        keyView: sealed.view,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      const view = toIntegrationView(entity, now);
      return () => this.publishChange(brandId, view, 'CREATED', false);
    }
    if (!keyless && existing) {
      const view = toIntegrationView(existing, now);
      await em.remove(existing).flush();
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
      if (!this.env.allowlist.includes(name)) {
        throw badRequest(`environment variable ${name} is not allowed; the operator can add it to KEYPOOL_ENV_ALLOWLIST`);
      }
      if (this.env.lookup(name) === undefined) throw badRequest(`environment variable ${name} is unset`);
    }
    return names;
  }

  /** Serialises writers of one name in a brand (a transaction-scoped advisory lock), then checks it is free. */
  private async claimName(em: EntityManager, brandId: string, name: string | null, exceptId: number | null): Promise<void> {
    if (name === null || name === '') return;
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`keypool:key-name:${brandId}:${name}`]);
    const taken = await em.count(IntegrationSchema, { brand: brandId, keyLabel: name, ...(exceptId !== null && { id: { $ne: exceptId } }) });
    if (taken > 0) throw nameTaken();
  }

  private async refuseDuplicate(em: EntityManager, brandId: string, providerName: string, doc: KeyDocument, exceptId: number | null): Promise<void> {
    const existing = await em.count(IntegrationSchema, {
      brand: brandId,
      providerName,
      credentialFingerprint: { $in: this.vault.allFingerprints(providerName, doc) },
      ...(exceptId !== null && { id: { $ne: exceptId } }),
    });
    if (existing > 0) throw duplicate();
  }

  /** One transaction; a unique index that fires (a racing duplicate) is the same 409 as the check that lost the race. */
  private async write<T>(work: (em: EntityManager) => Promise<T>, keyId?: string): Promise<T> {
    try {
      return await this.em.fork().transactional(work);
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw keyId !== undefined && String(e.message).includes('integration_brand_key_id_unique') ? keyIdTaken(keyId) : duplicate();
      }
      throw e;
    }
  }

  private async deleteWhere(brandId: string, find: (em: EntityManager) => Promise<IntegrationEntity | null>): Promise<IntegrationView> {
    const view = await this.em.fork().transactional(async (em) => {
      const entity = await find(em);
      if (!entity) throw notFound();
      const deleted = toIntegrationView(entity, this.clock.now());
      await em.remove(entity).flush();
      return deleted;
    });
    await this.publishChange(brandId, view, 'DELETED', false);
    return view;
  }

  private async findEntity(em: EntityManager, brandId: string, id: number, lockMode?: LockMode, withCredential = false): Promise<IntegrationEntity | null> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return null;
    return em.findOne(IntegrationSchema, { id, brand: brandId }, {
      ...(lockMode !== undefined && { lockMode }),
      ...(withCredential && { populate: ['credentialsEncrypted'] as const }),
    });
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
