/**
 * Nodes (named consumers inside a brand: a service, a worker pool, an
 * environment) with their usage counters, and their credentials. A
 * credential's secret is stored only as a SHA-256; a rolled credential keeps
 * the previous hash until its grace period ends.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { BrandSchema } from '../brands/index.js';

const timestamptz = () => p.datetime().columnType('timestamptz');
const spend = () => p.decimal('string').precision(38).scale(12);

export const NodeSchema = defineEntity({
  name: 'Node',
  tableName: 'node',
  properties: {
    id: p.uuid().primary(),
    brand: p.manyToOne(BrandSchema).deleteRule('cascade'),
    name: p.string().length(255),
    description: p.text().nullable(),
    leaseCount: p.bigint('number').default(0),
    failureCount: p.bigint('number').default(0),
    spendToday: spend().default('0'),
    spendDay: p.string().columnType('date').nullable(),
    spendMonth: spend().default('0'),
    spendMonthStart: p.string().columnType('date').nullable(),
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
  uniques: [{ name: 'node_brand_name_unique', properties: ['brand', 'name'] }],
});

export type NodeEntity = InferEntity<typeof NodeSchema>;

export const NodeCredentialSchema = defineEntity({
  name: 'NodeCredential',
  tableName: 'node_credential',
  properties: {
    id: p.uuid().primary(),
    brandId: p.uuid(),
    node: p.manyToOne(NodeSchema).deleteRule('cascade'),
    /** The credential that made this one (null: a brand token did): it expires no later and is revoked with it. */
    parentId: p.uuid().nullable(),
    name: p.string().length(255),
    apiKey: p.string().length(64).unique(),
    secretHash: p.string().length(64).hidden(),
    previousSecretHash: p.string().length(64).nullable(),
    previousSecretExpiresAt: timestamptz().nullable(),
    permissions: p.array().default('{}'),
    expiresAt: timestamptz().nullable(),
    createdAt: timestamptz(),
    lastUsedAt: timestamptz().nullable(),
    revokedAt: timestamptz().nullable(),
  },
});

export type NodeCredentialEntity = InferEntity<typeof NodeCredentialSchema>;
