import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../platform/errors/app-error.js';
import { requireName } from '../../platform/input/names.js';
import { UseRecorder } from '../../platform/db/use-recorder.js';
import type { Clock } from '../../platform/time/clock.js';
import { BrandSchema } from './brand.entity.js';
import type { ClientTokenSigner } from './client-token.js';
import { ClientTokenSchema, type ClientTokenEntity } from './client-token.entity.js';
import type { RevocationList } from './revocations.js';

export interface BrandView {
  id: string;
  name: string;
  createdAt: Date;
}

/** An issued token as the operator sees it: never the token itself. */
export interface ClientTokenInfo {
  id: string;
  brandId: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ClientTokenView extends ClientTokenInfo {
  token: string;
}

const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

const invalid = (message: string) => new AppError('request.invalid', message);

const toInfo = (t: ClientTokenEntity, brandId: string): ClientTokenInfo => ({
  id: t.id,
  brandId,
  label: t.label ?? null,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt ?? null,
  revokedAt: t.revokedAt ?? null,
});

export class BrandService {
  /** last_used_at at most once a minute per token, so authentication does not write on every request. */
  private readonly uses = new UseRecorder((id, at) => this.em.fork().nativeUpdate(ClientTokenSchema, { id }, { lastUsedAt: at }));

  constructor(
    private readonly em: EntityManager,
    private readonly tokens: ClientTokenSigner,
    private readonly revocations: RevocationList,
    private readonly clock: Clock,
  ) {}

  /** Creates a tenant; everything else in keypool belongs to one. */
  async createBrand(name: string): Promise<BrandView> {
    const em = this.em.fork();
    const brand = em.create(BrandSchema, { id: randomUUID(), name: requireName(name, 'name'), createdAt: this.clock.now() });
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

  /** Issues the `{client_token}` a brand's scripts and workers send as a Bearer token, and records it for listing and revocation. */
  async issueClientToken(brandId: string, expiresInSeconds: number, label?: string | null): Promise<ClientTokenView> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_TOKEN_LIFETIME_SECONDS) {
      throw invalid(`expiresInSeconds must be a whole number from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
    }
    const cleanLabel = label === undefined || label === null ? null : requireName(label, 'label');
    const brand = await this.findBrand(brandId);
    if (!brand) throw new AppError('brand.not_found', 'Brand not found');
    const issuedAt = this.clock.now();
    const expiresAt = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + expiresInSeconds * 1000);
    const em = this.em.fork();
    const record = em.create(ClientTokenSchema, { id: randomUUID(), brand: brand.id, label: cleanLabel, createdAt: issuedAt, expiresAt });
    await em.flush();
    return { ...toInfo(record, brand.id), token: await this.tokens.sign(brand.id, record.id, issuedAt, expiresAt) };
  }

  /** Issued tokens, newest first; one brand's, or every brand's. */
  async listClientTokens(brandId?: string | null): Promise<ClientTokenInfo[]> {
    if (brandId !== undefined && brandId !== null && !isUuid(brandId)) return [];
    const where = brandId ? { brand: brandId } : {};
    const rows = await this.em.fork().find(ClientTokenSchema, where, { orderBy: { createdAt: 'desc' } });
    return rows.map((t) => toInfo(t, t.brand.id));
  }

  /** Revokes a token on every instance (within a second), open WebSockets included. Revoking twice is harmless. */
  async revokeClientToken(id: string): Promise<ClientTokenInfo> {
    if (!isUuid(id)) throw new AppError('client_token.not_found', 'Client token not found');
    const em = this.em.fork();
    const record = await em.findOne(ClientTokenSchema, { id });
    if (!record) throw new AppError('client_token.not_found', 'Client token not found');
    record.revokedAt ??= this.clock.now();
    await em.flush();
    await this.revocations.revoke({ kind: 'client_token', id });
    return toInfo(record, record.brand.id);
  }

  /** Ids of revoked tokens that have not expired yet (the others are refused anyway). */
  async listRevokedTokenIds(): Promise<string[]> {
    const rows = await this.em.fork().find(ClientTokenSchema, { revokedAt: { $ne: null }, expiresAt: { $gt: this.clock.now() } }, { fields: ['id'] });
    return rows.map((t) => t.id);
  }

  /** Notes a token's use (written at most once a minute, in the background). */
  noteTokenUse(tokenId: string, at: Date): void {
    this.uses.note(tokenId, at);
  }
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
