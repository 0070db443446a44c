/**
 * The brand key pool's create/list/get/update/delete, shared by GraphQL and
 * every REST dialect. Every query is scoped to one brand: another brand's
 * integration is indistinguishable from a missing one.
 */
import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../platform/errors/app-error.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { HEALTH_STATUSES, IntegrationSchema, type HealthStatus, type IntegrationEntity } from './integration.entity.js';
import type { IntegrationEvent } from './integration.events.js';
import {
  camelNames, validateCredentials, validateProvider, validateSettings,
  type CreateIntegrationInput, type FieldNamer, type IntegrationSettings,
} from './integration-input.js';
import { spendUsage, toIntegrationView, type IntegrationView } from './integration.view.js';
import type { CredentialVault } from './credential-vault.js';

export interface IntegrationFilter {
  providerName?: string;
  healthStatus?: string;
  isActive?: boolean;
}

export type IntegrationPage = Page<IntegrationView>;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const PRIMARY_PRIORITY = 10;
export const notFound = () => new AppError('integration.not_found', 'Integration not found');
const duplicate = () => new AppError('integration.duplicate', 'A key with this credential already exists for this provider');

export class IntegrationService {
  constructor(
    private readonly em: EntityManager,
    private readonly vault: CredentialVault,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
  ) {}

  /** Adds a key to the brand's pool, encrypted; 409 when the same credential is already there. */
  async createIntegration(brandId: string, input: CreateIntegrationInput, n: FieldNamer = camelNames): Promise<IntegrationView> {
    const provider = validateProvider(input.providerName);
    const credentials = validateCredentials(provider, input.credentials, n);
    validateSettings(input, n);
    const sealed = this.vault.seal(provider.name, credentials);
    const em = this.em.fork();
    const existing = await em.count(IntegrationSchema, {
      brand: brandId,
      providerName: provider.name,
      credentialFingerprint: { $in: this.vault.allFingerprints(provider.name, credentials) },
    });
    if (existing > 0) throw duplicate();
    const now = this.clock.now();
    const isPrimary = input.isPrimary ?? false;
    const entity = em.create(IntegrationSchema, {
      keyId: randomUUID(),
      brand: brandId,
      providerName: provider.name,
      keyLabel: input.keyLabel ?? null,
      isActive: input.isActive ?? true,
      isPrimary,
      priority: isPrimary ? PRIMARY_PRIORITY : 0,
      weight: input.weight ?? '1',
      models: input.models ?? null,
      blacklistedModels: input.blacklistedModels ?? [],
      credentialsEncrypted: sealed.encrypted,
      credentialFingerprint: sealed.fingerprint,
      keyPreview: sealed.preview,
      dailyLimit: input.dailyLimit ?? null,
      minuteLimit: input.minuteLimit ?? null,
      spendLimitAmount: input.spendLimitAmount ?? null,
      spendLimitPeriod: input.spendLimitPeriod ?? 'monthly',
      spendLimitAction: input.spendLimitAction ?? 'warn',
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw duplicate();
      throw e;
    }
    const view = toIntegrationView(entity, now);
    await this.publishChange(brandId, view, 'CREATED', input.spendLimitAmount !== undefined && input.spendLimitAmount !== null);
    return view;
  }

  async listIntegrations(brandId: string, filter: IntegrationFilter, limit = DEFAULT_PAGE_SIZE, offset = 0): Promise<IntegrationPage> {
    if (filter.providerName !== undefined) validateProvider(filter.providerName);
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

  async findIntegration(brandId: string, id: number): Promise<IntegrationView | null> {
    const entity = await this.findEntity(this.em.fork(), brandId, id);
    return entity && toIntegrationView(entity, this.clock.now());
  }

  async getIntegration(brandId: string, id: number): Promise<IntegrationView> {
    const view = await this.findIntegration(brandId, id);
    if (!view) throw notFound();
    return view;
  }

  /**
   * Changes settings only; the provider and the credential are fixed for a key's life. The row
   * is locked for the change, so an update racing a delete either lands before it or is a 404.
   */
  async updateIntegration(brandId: string, id: number, patch: IntegrationSettings, n: FieldNamer = camelNames): Promise<IntegrationView> {
    validateSettings(patch, n);
    const { view, spendChanged } = await this.em.fork().transactional(async (em) => {
      const entity = await this.findEntity(em, brandId, id, LockMode.PESSIMISTIC_WRITE);
      if (!entity) throw notFound();
      const spendBefore = [entity.spendLimitAmount, entity.spendLimitPeriod, entity.spendLimitAction].join('|');
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      em.assign(entity, defined);
      if (patch.isPrimary !== undefined) entity.priority = patch.isPrimary ? PRIMARY_PRIORITY : 0;
      const now = this.clock.now();
      entity.updatedAt = now;
      await em.flush();
      const spendAfter = [entity.spendLimitAmount, entity.spendLimitPeriod, entity.spendLimitAction].join('|');
      return { view: toIntegrationView(entity, now), spendChanged: spendBefore !== spendAfter };
    });
    await this.publishChange(brandId, view, 'UPDATED', spendChanged);
    return view;
  }

  /** Deletes a key; of concurrent deletes of one key exactly one succeeds, the others are 404s. */
  async deleteIntegration(brandId: string, id: number): Promise<IntegrationView> {
    const view = await this.em.fork().transactional(async (em) => {
      const entity = await this.findEntity(em, brandId, id, LockMode.PESSIMISTIC_WRITE);
      if (!entity) throw notFound();
      const deleted = toIntegrationView(entity, this.clock.now());
      await em.remove(entity).flush();
      return deleted;
    });
    await this.publishChange(brandId, view, 'DELETED', false);
    return view;
  }

  private async findEntity(em: EntityManager, brandId: string, id: number, lockMode?: LockMode): Promise<IntegrationEntity | null> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return null;
    return em.findOne(IntegrationSchema, { id, brand: brandId }, lockMode === undefined ? {} : { lockMode });
  }

  private async publishChange(brandId: string, view: IntegrationView, kind: 'CREATED' | 'UPDATED' | 'DELETED', spendSettingChanged: boolean) {
    const at = this.clock.now();
    await this.events.publish({ type: 'integration.changed', brandId, integration: view, kind, at });
    if (spendSettingChanged) {
      await this.events.publish({
        type: 'integration.spend_limit_changed',
        brandId,
        integration: view,
        at,
        exceeded: view.spendLimitExceeded,
        previousExceeded: view.spendLimitExceeded,
        action: view.spendLimitAction,
        amount: view.spendLimitAmount,
        period: view.spendLimitPeriod,
        usage: spendUsage(view),
      });
    }
  }
}
