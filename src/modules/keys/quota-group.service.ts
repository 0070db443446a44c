/** A brand's quota groups: list, read, create, change and delete (quota-group.ts has the rules and the SQL). Each write is a transaction of its own, so the audit trail records its actor. */
import { AppError, field } from '../../platform/errors/app-error.js';
import { inTransaction, type SqlPool } from '../../platform/db/sql-pool.js';
import type { Clock } from '../../platform/time/clock.js';
import {
  QuotaGroupRepository, quotaGroupNotFound, validateQuotaGroupName, validateQuotaGroupSettings,
  type CreateQuotaGroupInput, type QuotaGroupSettings, type QuotaGroupView,
} from './quota-group.js';

export class QuotaGroupService {
  private readonly groups = new QuotaGroupRepository();

  constructor(
    private readonly pool: SqlPool,
    private readonly clock: Clock,
    /** A group deleted: its keys are ungrouped (the pool reads the brand's keys again). */
    private readonly membersChanged: (brandId: string) => void = () => {},
  ) {}

  list(brandId: string): Promise<QuotaGroupView[]> {
    return this.groups.list(this.pool, brandId, this.clock.now());
  }

  async get(brandId: string, name: string): Promise<QuotaGroupView> {
    return (await this.groups.find(this.pool, brandId, validateQuotaGroupName(name), this.clock.now())) ?? raise(quotaGroupNotFound());
  }

  async create(brandId: string, input: CreateQuotaGroupInput): Promise<QuotaGroupView> {
    const name = validateQuotaGroupName(input.name);
    validateQuotaGroupSettings(input);
    if (!(await inTransaction(this.pool, (db) => this.groups.insert(db, brandId, { ...input, name }, this.clock.now())))) {
      throw new AppError('quota_group.duplicate', `This brand already has a quota group named by ${field('name')}`);
    }
    return this.get(brandId, name);
  }

  async update(brandId: string, name: string, settings: QuotaGroupSettings): Promise<QuotaGroupView> {
    validateQuotaGroupSettings(settings);
    if (!(await inTransaction(this.pool, (db) => this.groups.update(db, brandId, validateQuotaGroupName(name), settings, this.clock.now())))) throw quotaGroupNotFound();
    return this.get(brandId, name);
  }

  /** Deletes the group (its keys stay, ungrouped) and returns it as it was. */
  async delete(brandId: string, name: string): Promise<QuotaGroupView> {
    const group = await this.get(brandId, name);
    if (!(await inTransaction(this.pool, (db) => this.groups.delete(db, brandId, name)))) throw quotaGroupNotFound();
    this.membersChanged(brandId);
    return group;
  }
}

const raise = (e: AppError): never => {
  throw e;
};
