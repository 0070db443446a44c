/**
 * Node credentials (the node-integrations document's "integrations"): an
 * api_key and a secret shown once, permissions, an optional expiry; list,
 * revoke, roll, verify, node tokens. Only a hash of the secret is stored.
 * Authentication is CredentialLookup's (cached, no round trip per request).
 */
import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { AppError, field } from '../../platform/errors/app-error.js';
import { requireName } from '../../platform/input/names.js';
import type { Clock } from '../../platform/time/clock.js';
import { isUuid, type RevocationList } from '../brands/index.js';
import { generateApiKey, generateSecret, hashSecret } from './credential-format.js';
import { secretFits, type CredentialLookup } from './credential-lookup.js';
import { NodeCredentialSchema, NodeSchema, type NodeCredentialEntity } from './node.entity.js';
import { NODE_TOKEN_SECONDS, type NodeTokenSigner } from './node-token.js';
import { firstNotHeld, grants, validatePermissions } from './permissions.js';

export interface NodeCredentialView {
  id: string;
  nodeId: string;
  name: string;
  apiKey: string;
  permissions: string[];
  expiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A credential with its secret: only ever the answer to a create or a roll. */
export interface IssuedNodeCredential extends NodeCredentialView {
  secret: string;
}

export interface CreateNodeCredentialInput {
  nodeId?: unknown;
  name?: unknown;
  permissions?: unknown;
  expiresAt?: unknown;
}

/** What the caller holds: a brand token holds everything; a node credential only its permissions, and the credential's own life. */
export type Grantor = { permissions: readonly string[] | 'all'; credentialId: string | null };

export const VERIFY_CODES = ['VALID', 'NOT_FOUND', 'EXPIRED', 'REVOKED', 'INSUFFICIENT_PERMISSIONS'] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];
export type VerifyResult =
  | { valid: false; code: 'NOT_FOUND' }
  | { valid: boolean; code: Exclude<VerifyCode, 'NOT_FOUND'>; nodeId: string; credentialId: string; permissions: string[]; expiresAt: Date | null };

const MAX_GRACE_SECONDS = 30 * 24 * 3600;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

const invalid = (message: string) => new AppError('request.invalid', message);
const credentialNotFound = () => new AppError('node_credential.not_found', 'Credential not found');
const duplicate = () => new AppError('node_credential.duplicate', 'API key already exists for this node');

function toView(c: NodeCredentialEntity): NodeCredentialView {
  return {
    id: c.id,
    nodeId: c.node.id,
    name: c.name,
    apiKey: c.apiKey,
    permissions: [...c.permissions],
    expiresAt: c.expiresAt ?? null,
    createdAt: c.createdAt,
    lastUsedAt: c.lastUsedAt ?? null,
    revokedAt: c.revokedAt ?? null,
  };
}

export class NodeCredentialService {
  constructor(
    private readonly em: EntityManager,
    private readonly revocations: RevocationList,
    private readonly lookup: CredentialLookup,
    private readonly nodeTokens: NodeTokenSigner,
    private readonly clock: Clock,
  ) {}

  /** Issues a credential for a node; the secret is in this answer and nowhere else, ever. */
  async createCredential(brandId: string, grantor: Grantor, input: CreateNodeCredentialInput): Promise<IssuedNodeCredential> {
    if (typeof input.nodeId !== 'string' || !isUuid(input.nodeId)) throw invalid(`${field('nodeId')} must be a UUID`);
    const name = requireName(input.name, field('name'));
    const permissions = checkPermissions(input.permissions, grantor);
    const em = this.em.fork();
    const parent = grantor.credentialId === null ? null : await em.findOne(NodeCredentialSchema, { id: grantor.credentialId, brandId });
    if (grantor.credentialId !== null && (!parent || parent.revokedAt)) throw new AppError('auth.unauthenticated', 'The credential behind this request was revoked');
    const expiresAt = inheritExpiry(this.checkExpiry(input.expiresAt), parent?.expiresAt ?? null);
    const node = await em.findOne(NodeSchema, { id: input.nodeId, brand: brandId });
    if (!node) throw new AppError('node.not_found', 'Node not found');
    const secret = generateSecret();
    const credential = em.create(NodeCredentialSchema, {
      id: randomUUID(), brandId, node, parentId: parent?.id ?? null, name, apiKey: generateApiKey(), secretHash: hashSecret(secret), previousSecretHash: null,
      permissions, expiresAt, createdAt: this.clock.now(),
    });
    try {
      await em.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw duplicate();
      throw e;
    }
    return { ...toView(credential), secret };
  }

  /** A node's credentials, newest first, never with a secret. */
  async listCredentials(brandId: string, nodeId: string): Promise<NodeCredentialView[]> {
    if (!isUuid(nodeId)) throw new AppError('node.not_found', 'Node not found');
    const em = this.em.fork();
    if (!(await em.count(NodeSchema, { id: nodeId, brand: brandId }))) throw new AppError('node.not_found', 'Node not found');
    const rows = await em.find(NodeCredentialSchema, { node: nodeId, brandId }, { orderBy: { createdAt: 'desc' } });
    return rows.map(toView);
  }

  /** Revokes a credential, and every credential made below it, on every instance within a second (open sockets included). */
  async revokeCredential(brandId: string, nodeId: string, credentialId: string): Promise<NodeCredentialView> {
    const em = this.em.fork();
    const credential = await this.findOwned(em, brandId, nodeId, credentialId);
    await this.revokeLines(em, brandId, [credential.id]);
    await em.refresh(credential);
    return toView(credential);
  }

  /** Every credential of a node, and every credential made below them, before the node is deleted. */
  async revokeAllOfNode(brandId: string, nodeId: string): Promise<void> {
    const em = this.em.fork();
    const live = await em.find(NodeCredentialSchema, { node: nodeId, brandId, revokedAt: null });
    await this.revokeLines(em, brandId, live.map((c) => c.id));
  }

  /** Revokes these credentials and their descendants in one statement, then tells every instance. */
  private async revokeLines(em: EntityManager, brandId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    // In a transaction of the ORM's, so the audit trail records the request's actor.
    const rows: { id: string }[] = await em.transactional((tx) => tx.getConnection().execute(
      `with recursive line as (
         select id from node_credential where id in (?) and brand_id = ?
         union select c.id from node_credential c join line on c.parent_id = line.id
       )
       update node_credential set revoked_at = ? where id in (select id from line) and revoked_at is null returning id`,
      [ids, brandId, this.clock.now()], 'all', tx.getTransactionContext(),
    ));
    for (const { id } of rows) await this.revocations.revoke({ kind: 'node_credential', id, reason: 'revoked' });
  }

  /** A new secret, shown once; the old one keeps working for `graceSeconds` (default 0: not at all). */
  async rollCredential(brandId: string, grantor: Grantor, nodeId: string, credentialId: string, graceSeconds: unknown): Promise<IssuedNodeCredential> {
    const grace = graceSeconds ?? 0;
    if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw invalid(`${field('graceSeconds')} must be a whole number from 0 to ${MAX_GRACE_SECONDS}`);
    }
    const em = this.em.fork();
    const credential = await this.findOwned(em, brandId, nodeId, credentialId);
    if (credential.revokedAt) throw new AppError('node_credential.not_found', 'Credential not found (it was revoked)');
    const beyond = grantor.permissions === 'all' ? null : firstNotHeld(grantor.permissions, credential.permissions);
    if (beyond) throw new AppError('auth.forbidden', `Forbidden: needs ${beyond} to roll a credential that holds it`);
    const now = this.clock.now();
    const secret = generateSecret();
    credential.previousSecretHash = grace > 0 ? credential.secretHash : null;
    credential.previousSecretExpiresAt = grace > 0 ? new Date(now.getTime() + grace * 1000) : null;
    credential.secretHash = hashSecret(secret);
    await em.flush();
    await this.revocations.revoke({ kind: 'node_credential', id: credential.id, reason: 'rolled' });
    return { ...toView(credential), secret };
  }

  /**
   * For other services that use keypool's credentials for their own callers: what this
   * api_key and secret are, as a code. Only the caller's brand's credentials verify.
   */
  async verifyCredential(brandId: string, apiKey: unknown, secret: unknown, permission: unknown): Promise<VerifyResult> {
    if (typeof apiKey !== 'string' || apiKey.length === 0) throw invalid(`${field('apiKey')} is required`);
    if (typeof secret !== 'string' || secret.length === 0) throw invalid(`${field('secret')} is required`);
    if (permission !== undefined && permission !== null && typeof permission !== 'string') throw invalid(`${field('permission')} must be a string`);
    const credential = await this.lookup.load(apiKey);
    const now = this.clock.now();
    if (!credential || credential.brandId !== brandId || !secretFits(credential, secret, now)) return { valid: false, code: 'NOT_FOUND' };
    const facts = { nodeId: credential.nodeId, credentialId: credential.id, permissions: credential.permissions, expiresAt: credential.expiresAt };
    if (credential.revokedAt) return { valid: false, code: 'REVOKED', ...facts };
    if (credential.expiresAt && credential.expiresAt <= now) return { valid: false, code: 'EXPIRED', ...facts };
    if (typeof permission === 'string' && !grants(credential.permissions, permission)) return { valid: false, code: 'INSUFFICIENT_PERMISSIONS', ...facts };
    return { valid: true, code: 'VALID', ...facts };
  }

  /** A short-lived token for a node authenticated with its credential (for browsers and dashboards). */
  async issueNodeToken(
    credential: { brandId: string; nodeId: string; credentialId: string; permissions: string[]; expiresAt: Date | null; secretGeneration: string },
    apiKey: string,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = this.clock.now();
    const lifetimeEnd = new Date(Math.floor(now.getTime() / 1000) * 1000 + NODE_TOKEN_SECONDS * 1000);
    const expiresAt = credential.expiresAt && credential.expiresAt < lifetimeEnd ? credential.expiresAt : lifetimeEnd;
    const token = await this.nodeTokens.sign({ ...credential, apiKey, expiresAt }, now);
    return { token, expiresAt };
  }

  private async findOwned(em: EntityManager, brandId: string, nodeId: string, credentialId: string): Promise<NodeCredentialEntity> {
    if (!isUuid(nodeId) || !(await em.count(NodeSchema, { id: nodeId, brand: brandId }))) throw new AppError('node.not_found', 'Node not found');
    if (!isUuid(credentialId)) throw credentialNotFound();
    const credential = await em.findOne(NodeCredentialSchema, { id: credentialId, node: nodeId, brandId });
    if (!credential) throw credentialNotFound();
    return credential;
  }

  private checkExpiry(value: unknown): Date | null {
    if (value === undefined || value === null) return null;
    const message = `${field('expiresAt')} must be an ISO 8601 date-time, e.g. "2026-12-31T23:59:59Z"`;
    if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) throw invalid(message);
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) throw invalid(message);
    if (at <= this.clock.now()) throw invalid(`${field('expiresAt')} must be in the future`);
    return at;
  }
}

/** A credential made by another expires no later than its maker: with no expiry of its own, at its maker's. */
function inheritExpiry(requested: Date | null, parentExpiry: Date | null): Date | null {
  if (parentExpiry === null) return requested;
  if (requested === null) return parentExpiry;
  if (requested > parentExpiry) {
    throw invalid(`${field('expiresAt')} must not be later than the expiry of the credential creating it (${parentExpiry.toISOString().replace('.000Z', 'Z')})`);
  }
  return requested;
}

function checkPermissions(value: unknown, grantor: Grantor): string[] {
  if (value === undefined || value === null) return [];
  const check = validatePermissions(value, field('permissions'));
  if (check.kind === 'invalid') throw invalid(check.message);
  const beyond = grantor.permissions === 'all' ? null : firstNotHeld(grantor.permissions, check.permissions);
  if (beyond) throw new AppError('auth.forbidden', `Forbidden: needs ${beyond} to grant it`);
  return check.permissions;
}
