/**
 * Nodes: the named consumers inside a brand (a service, a worker pool, an
 * environment), each with its own credentials and usage. Every query is scoped
 * to one brand: another brand's node is indistinguishable from a missing one.
 */
import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { AppError, field } from '../../platform/errors/app-error.js';
import { requireName } from '../../platform/input/names.js';
import { checkPage, type Page } from '../../platform/input/pages.js';
import type { Clock } from '../../platform/time/clock.js';
import { toDay } from '../../platform/time/dates.js';
import { isUuid } from '../brands/index.js';
import { normalizeDecimal } from '../keys/index.js';
import { utcDay, utcMonthStart } from '../keys/index.js';
import type { NodeCredentialService } from './node-credential.service.js';
import { NodeSchema, type NodeEntity } from './node.entity.js';

export interface NodeUsage {
  leases: number;
  failures: number;
  spendToday: string;
  spendMonth: string;
}

export interface NodeView {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  usage: NodeUsage;
}

export interface NodeInput {
  name?: unknown;
  description?: unknown;
}

export type NodePage = Page<NodeView>;

export const DEFAULT_NODE_PAGE = 50;
/** The largest page. */
export const MAX_NODE_PAGE = 100;
const MAX_DESCRIPTION = 1000;

const invalid = (message: string) => new AppError('request.invalid', message);
export const nodeNotFound = () => new AppError('node.not_found', 'Node not found');
const duplicateName = () => new AppError('node.duplicate', 'A node with this name already exists in this brand');

function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(`${field('description')} must be a string`);
  if (value.length > MAX_DESCRIPTION) throw invalid(`${field('description')} must be at most ${MAX_DESCRIPTION} characters`);
  return value;
}

export class NodeService {
  constructor(
    private readonly em: EntityManager,
    private readonly credentials: NodeCredentialService,
    private readonly clock: Clock,
  ) {}

  /** Runs before every read of a brand's nodes' counters (the pool folds the brand's reports it appended first, so reads show them). */
  private beforeRead: (brandId: string) => Promise<void> = async () => {};

  /** What must happen before a read of a brand's nodes shows their counters as they are. */
  readAfter(work: (brandId: string) => Promise<void>): void {
    this.beforeRead = work;
  }

  /** A new consumer in the brand; 409 when the brand already has a node of that name. */
  async createNode(brandId: string, input: NodeInput): Promise<NodeView> {
    const name = requireName(input.name, field('name'));
    const description = checkDescription(input.description);
    const em = this.em.fork();
    const now = this.clock.now();
    const node = em.create(NodeSchema, { id: randomUUID(), brand: brandId, name, description, createdAt: now, updatedAt: now });
    await this.flushUnique(em, name);
    return this.toView(node);
  }

  async listNodes(brandId: string, limit = DEFAULT_NODE_PAGE, offset = 0): Promise<NodePage> {
    checkPage(limit, offset, MAX_NODE_PAGE);
    await this.beforeRead(brandId);
    const [rows, total] = await this.em.fork().findAndCount(NodeSchema, { brand: brandId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit, offset });
    return { items: rows.map((r) => this.toView(r)), total, limit, offset };
  }

  async findNode(brandId: string, id: string): Promise<NodeView | null> {
    await this.beforeRead(brandId);
    const node = await this.findEntity(this.em.fork(), brandId, id);
    return node && this.toView(node);
  }

  /** Whether the brand has this node (nothing of its counters is read). */
  async nodeExists(brandId: string, id: string): Promise<boolean> {
    return (await this.findEntity(this.em.fork(), brandId, id)) !== null;
  }

  async getNode(brandId: string, id: string): Promise<NodeView> {
    const node = await this.findNode(brandId, id);
    if (!node) throw nodeNotFound();
    return node;
  }

  async updateNode(brandId: string, id: string, input: NodeInput): Promise<NodeView> {
    const name = input.name === undefined ? undefined : requireName(input.name, field('name'));
    const description = input.description === undefined ? undefined : checkDescription(input.description);
    const em = this.em.fork();
    const node = await this.findEntity(em, brandId, id);
    if (!node) throw nodeNotFound();
    if (name !== undefined) node.name = name;
    if (description !== undefined) node.description = description;
    node.updatedAt = this.clock.now();
    await this.flushUnique(em, node.name);
    return this.toView(node);
  }

  /** Deletes the node; its credentials are revoked first, on every instance. */
  async deleteNode(brandId: string, id: string): Promise<NodeView> {
    const em = this.em.fork();
    const node = await this.findEntity(em, brandId, id);
    if (!node) throw nodeNotFound();
    const view = this.toView(node);
    await this.credentials.revokeAllOfNode(brandId, id);
    await em.remove(node).flush();
    return view;
  }

  private async findEntity(em: EntityManager, brandId: string, id: string): Promise<NodeEntity | null> {
    if (!isUuid(id)) return null;
    return em.findOne(NodeSchema, { id, brand: brandId });
  }

  private async flushUnique(em: EntityManager, name: string): Promise<void> {
    try {
      await em.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw duplicateName();
      throw e;
    }
  }

  private toView(node: NodeEntity): NodeView {
    const now = this.clock.now();
    return {
      id: node.id,
      name: node.name,
      description: node.description ?? null,
      createdAt: node.createdAt,
      updatedAt: node.updatedAt,
      usage: {
        leases: Number(node.leaseCount),
        failures: Number(node.failureCount),
        spendToday: toDay(node.spendDay) === utcDay(now) ? normalizeDecimal(String(node.spendToday)) : '0',
        spendMonth: toDay(node.spendMonthStart) === utcMonthStart(now) ? normalizeDecimal(String(node.spendMonth)) : '0',
      },
    };
  }
}
