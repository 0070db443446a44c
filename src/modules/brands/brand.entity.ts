import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const BrandSchema = defineEntity({
  name: 'Brand',
  tableName: 'brand',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(255),
    createdAt: p.datetime().columnType('timestamptz'),
  },
});

export type Brand = InferEntity<typeof BrandSchema>;
