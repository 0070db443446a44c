/** An issued client token: its id is the JWT's `jti`. The token itself is never stored. */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { BrandSchema } from './brand.entity.js';

const timestamptz = () => p.datetime().columnType('timestamptz');

export const ClientTokenSchema = defineEntity({
  name: 'ClientToken',
  tableName: 'client_token',
  properties: {
    id: p.uuid().primary(),
    brand: p.manyToOne(BrandSchema).deleteRule('cascade'),
    label: p.string().length(255).nullable(),
    createdAt: timestamptz(),
    expiresAt: timestamptz(),
    lastUsedAt: timestamptz().nullable(),
    revokedAt: timestamptz().nullable(),
  },
  indexes: [{ name: 'client_token_brand_index', properties: ['brand'] }],
});

export type ClientTokenEntity = InferEntity<typeof ClientTokenSchema>;
