/**
 * A brand's providers: every standard provider of the catalog exists for
 * every brand; a brand adds custom providers (built on a standard one, maybe
 * keyless) and sets network settings. Deleting a provider deletes its keys,
 * in the same transaction.
 */
import type { Queryable } from '../../platform/db/sql-pool.js';
import { AppError, badRequest } from '../../platform/errors/app-error.js';
import { isUniqueViolation } from '../../platform/errors/database-errors.js';
import type { Clock } from '../../platform/time/clock.js';
import {
  checkCustomProviderName, parseConcurrency, parseCustomProviderConfig, parseNetworkConfig, toBrandProvider, type BrandProvider,
} from './brand-provider.js';
import { BIFROST_STANDARD_PROVIDERS, PROVIDER_NAMES, isProviderName } from './catalog.js';
import type { ProviderConfigRepository, ProviderConfigRow } from './provider-config.repository.js';

/**
 * What happens to a provider's keys when the provider changes, in the provider's transaction
 * (`db`); each change returns its after-commit publisher.
 */
export interface ProviderKeys {
  /** The provider's keys, not counting a keyless endpoint. */
  countKeys(db: Queryable, brandId: string, provider: string): Promise<number>;
  deleteAll(db: Queryable, brandId: string, provider: string): Promise<() => Promise<void>>;
  /** The providers the brand has keys of. */
  providersWithKeys(brandId: string): Promise<string[]>;
  /** Makes the keyless endpoint of a provider exist (or not). */
  setKeyless(db: Queryable, brandId: string, provider: string, keyless: boolean): Promise<() => Promise<void>>;
  /** A provider's settings changed (committed): whoever holds a copy of its keys and settings reads them again. */
  settingsChanged(brandId: string, provider: string): void;
}

export interface ProviderInput {
  customProviderConfig?: unknown;
  networkConfig?: unknown;
  concurrencyAndBufferSize?: unknown;
}

export const providerNotFound = () => new AppError('provider.not_found', 'Provider not found');

export class ProviderService {
  constructor(
    private readonly configs: ProviderConfigRepository,
    private readonly clock: Clock,
    private readonly keys: ProviderKeys,
  ) {}

  /** Standard and custom providers, sorted by name. */
  async listProviders(brandId: string): Promise<BrandProvider[]> {
    const rows = await this.configs.list(brandId);
    const byName = new Map(rows.map((r) => [r.name, r]));
    const names = [...new Set([...PROVIDER_NAMES, ...rows.map((r) => r.name)])].sort();
    return names.map((name) => toBrandProvider(name, byName.get(name) ?? null)).filter((p): p is BrandProvider => p !== null);
  }

  /**
   * The providers as Bifrost's list shows them: Bifrost's standard providers and those the brand
   * configured or has keys of, less the standard ones it deleted (until written again or given a key).
   */
  async listBifrostProviders(brandId: string): Promise<BrandProvider[]> {
    const [rows, withKeys] = await Promise.all([this.configs.list(brandId), this.keys.providersWithKeys(brandId)]);
    const byName = new Map(rows.map((r) => [r.name, r]));
    const names = new Set<string>([
      ...BIFROST_STANDARD_PROVIDERS.filter((name) => !byName.get(name)?.unlisted),
      ...rows.filter((r) => !r.unlisted).map((r) => r.name),
      ...withKeys,
    ]);
    return [...names].sort().map((name) => toBrandProvider(name, byName.get(name) ?? null)).filter((p): p is BrandProvider => p !== null);
  }

  async findProvider(brandId: string, name: string): Promise<BrandProvider | null> {
    if (name.length === 0 || name.length > 64) return null;
    const row = await this.configs.find(this.configs.pool, brandId, name);
    return toBrandProvider(name, row);
  }

  async getProvider(brandId: string, name: string): Promise<BrandProvider> {
    const provider = await this.findProvider(brandId, name);
    if (!provider) throw providerNotFound();
    return provider;
  }

  /** The brand's custom provider names (for messages that list what is accepted). */
  async customProviderNames(brandId: string): Promise<string[]> {
    const rows = await this.configs.list(brandId, { customOnly: true });
    return rows.map((r) => r.name);
  }

  async createProvider(brandId: string, name: unknown, input: ProviderInput): Promise<BrandProvider> {
    if (typeof name !== 'string' || name === '') throw badRequest('provider is required');
    const custom = parseCustomProviderConfig(input.customProviderConfig);
    const network = parseNetworkConfig(input.networkConfig);
    const concurrency = parseConcurrency(input.concurrencyAndBufferSize);
    if (isProviderName(name)) {
      if (custom) throw badRequest('Custom provider cannot be same as a standard provider');
    } else {
      checkCustomProviderName(name);
      if (!custom) throw badRequest('custom_provider_config is required: the name is not a standard provider\'s');
      if (!network?.base_url) throw badRequest('network_config.base_url is required for a custom provider');
    }
    const now = this.clock.now();
    let publish: () => Promise<void> = async () => {};
    const row = await this.write(async (db) => {
      const existing = await this.configs.find(db, brandId, name, { lock: true });
      if (existing && !existing.unlisted) throw duplicate();
      const created = await this.configs.save(db, {
        brandId,
        name,
        custom: custom !== undefined,
        baseProviderType: custom?.base_provider_type ?? name,
        isKeyLess: custom?.is_key_less ?? false,
        allowedRequests: custom?.allowed_requests ?? null,
        requestPathOverrides: custom?.request_path_overrides ?? null,
        networkConfig: network ? { ...network } : null,
        concurrencyAndBufferSize: concurrency ? { ...concurrency } : null,
        unlisted: false,
        createdAt: now,
        updatedAt: now,
      }, { insertOnly: existing === null });
      if (custom?.is_key_less) publish = await this.keys.setKeyless(db, brandId, name, true);
      return created;
    }, name);
    this.keys.settingsChanged(brandId, name);
    await publish();
    return toBrandProvider(name, row)!;
  }

  /**
   * Replaces the settings the request carries; custom_provider_config only on custom providers.
   * `upsert` (Bifrost's PUT): a custom provider that does not exist is created from the request.
   */
  async updateProvider(brandId: string, name: string, input: ProviderInput, options: { upsert?: boolean } = {}): Promise<BrandProvider> {
    if (options.upsert && !isProviderName(name) && input.customProviderConfig !== undefined && input.customProviderConfig !== null) {
      const row = await this.configs.find(this.configs.pool, brandId, name);
      if (!row) return this.createProvider(brandId, name, input);
    }
    const custom = parseCustomProviderConfig(input.customProviderConfig);
    const network = parseNetworkConfig(input.networkConfig);
    const concurrency = parseConcurrency(input.concurrencyAndBufferSize);
    const standard = isProviderName(name);
    if (standard && custom) throw badRequest('Custom provider cannot be same as a standard provider');
    const now = this.clock.now();
    let publish: () => Promise<void> = async () => {};
    const row = await this.write(async (db) => {
      const stored = await this.configs.find(db, brandId, name, { lock: true });
      if (!stored && !standard) throw providerNotFound();
      const row: ProviderConfigRow = stored ?? {
        brandId, name, custom: false, baseProviderType: name, isKeyLess: false, allowedRequests: null, requestPathOverrides: null,
        networkConfig: null, concurrencyAndBufferSize: null, unlisted: false, createdAt: now, updatedAt: now,
      };
      row.unlisted = false;
      if (custom) {
        const keys = await this.keys.countKeys(db, brandId, name);
        if (keys > 0 && custom.base_provider_type !== row.baseProviderType) {
          throw badRequest('custom_provider_config.base_provider_type cannot change while the provider has keys: delete its keys first');
        }
        if (keys > 0 && custom.is_key_less) throw badRequest('Cannot make a provider keyless while it has keys: delete its keys first');
        publish = await this.keys.setKeyless(db, brandId, name, custom.is_key_less);
        Object.assign(row, {
          baseProviderType: custom.base_provider_type,
          isKeyLess: custom.is_key_less,
          allowedRequests: custom.allowed_requests,
          requestPathOverrides: custom.request_path_overrides,
        });
      }
      if (network) {
        if (row.custom && !network.base_url) throw badRequest('network_config.base_url is required for a custom provider');
        row.networkConfig = { ...network };
      }
      if (concurrency) row.concurrencyAndBufferSize = { ...concurrency };
      row.updatedAt = now;
      return this.configs.save(db, row);
    }, name);
    this.keys.settingsChanged(brandId, name);
    await publish();
    return toBrandProvider(name, row)!;
  }

  /**
   * Deletes the provider's keys and the brand's settings of it; returns the provider as it was.
   * A standard provider goes on existing (with the defaults) but leaves Bifrost's list.
   */
  async deleteProvider(brandId: string, name: string): Promise<BrandProvider> {
    let publish: () => Promise<void> = async () => {};
    const provider = await this.write(async (db) => {
      const row = await this.configs.find(db, brandId, name, { lock: true });
      const provider = toBrandProvider(name, row);
      if (!provider) throw providerNotFound();
      publish = await this.keys.deleteAll(db, brandId, name);
      if (provider.custom) await this.configs.delete(db, brandId, name);
      else {
        const now = this.clock.now();
        await this.configs.save(db, {
          brandId, name, custom: false, baseProviderType: name, isKeyLess: false, allowedRequests: null, requestPathOverrides: null,
          networkConfig: null, concurrencyAndBufferSize: null, unlisted: true, createdAt: row?.createdAt ?? now, updatedAt: now,
        });
      }
      return provider;
    }, name);
    this.keys.settingsChanged(brandId, name);
    await publish();
    return provider;
  }

  /** One transaction; a racing create of the same provider (the primary key) is the same 409 as the check that lost the race. */
  private async write<T>(work: (db: Queryable) => Promise<T>, name: string): Promise<T> {
    try {
      return await this.configs.transaction(work);
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicate();
      throw e;
    }
  }
}

const duplicate = () => new AppError('provider.duplicate', 'A provider with this name already exists');
