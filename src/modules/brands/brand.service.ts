import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../platform/errors/app-error.js';
import { findNulCharacter, nulCharacterMessage } from '../../platform/input/nul-characters.js';
import type { Clock } from '../../platform/time/clock.js';
import { BrandSchema } from './brand.entity.js';
import type { ClientTokenSigner } from './client-token.js';

export interface BrandView {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ClientTokenView {
  token: string;
  expiresAt: Date;
}

const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

export class BrandService {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: ClientTokenSigner,
    private readonly clock: Clock,
  ) {}

  /** Creates a tenant; everything else in keypool belongs to one. */
  async createBrand(name: string): Promise<BrandView> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 255) {
      throw new AppError('request.invalid', 'name must be 1 to 255 characters');
    }
    if (findNulCharacter(trimmed)) throw new AppError('request.invalid', nulCharacterMessage('name'));
    const em = this.em.fork();
    const brand = em.create(BrandSchema, { id: randomUUID(), name: trimmed, createdAt: this.clock.now() });
    await em.flush();
    return { id: brand.id, name: brand.name, createdAt: brand.createdAt };
  }

  async findBrand(id: string): Promise<BrandView | null> {
    if (!isUuid(id)) return null;
    const brand = await this.em.fork().findOne(BrandSchema, { id });
    return brand && { id: brand.id, name: brand.name, createdAt: brand.createdAt };
  }

  async listBrands(): Promise<BrandView[]> {
    const brands = await this.em.fork().find(BrandSchema, {}, { orderBy: { createdAt: 'asc' } });
    return brands.map((b) => ({ id: b.id, name: b.name, createdAt: b.createdAt }));
  }

  /** Issues the `{client_token}` a brand's scripts and workers send as a Bearer token. */
  async issueClientToken(brandId: string, expiresInSeconds: number): Promise<ClientTokenView> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new AppError('request.invalid', `expiresInSeconds must be a whole number from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
    }
    const brand = await this.findBrand(brandId);
    if (!brand) throw new AppError('brand.not_found', 'Brand not found');
    const issuedAt = this.clock.now();
    const expiresAt = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + expiresInSeconds * 1000);
    return { token: await this.tokens.sign(brand.id, issuedAt, expiresAt), expiresAt };
  }
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
