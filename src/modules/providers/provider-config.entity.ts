/**
 * A brand's own settings of one provider: a custom provider (built on a
 * standard one, maybe keyless), or the network settings of a standard one.
 * Standard providers without a row exist with the defaults. This declaration
 * describes the table for migrations; every statement on it is
 * ProviderConfigRepository's.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

const timestamptz = () => p.datetime().columnType('timestamptz');

export const ProviderConfigSchema = defineEntity({
  name: 'ProviderConfig',
  tableName: 'provider_config',
  properties: {
    brandId: p.uuid().primary(),
    name: p.string().length(64).primary(),
    custom: p.boolean(),
    baseProviderType: p.string().length(64),
    isKeyLess: p.boolean().default(false),
    allowedRequests: p.json<Record<string, boolean>>().nullable(),
    requestPathOverrides: p.json<Record<string, string>>().nullable(),
    networkConfig: p.json<Record<string, unknown>>().nullable(),
    concurrencyAndBufferSize: p.json<Record<string, number>>().nullable(),
    /** A standard provider the brand deleted: Bifrost's provider list leaves it out until it is written again or gets a key. */
    unlisted: p.boolean().default(false),
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

export type ProviderConfigEntity = InferEntity<typeof ProviderConfigSchema>;
