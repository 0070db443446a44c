/**
 * Assembles the GraphQL schema from every module's resolvers. The sorted SDL
 * is committed as schema/schema.graphql; a test fails when they drift apart.
 */
import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { BrandResolver } from '../modules/brands/index.js';
import { IntegrationEventsResolver, IntegrationResolver } from '../modules/integrations/index.js';
import { ProviderResolver } from '../modules/providers/index.js';
import { LeaseResolver } from '../modules/leases/index.js';
import { NodeResolver } from '../modules/nodes/index.js';
import { BillingResolver } from '../modules/billing/index.js';
import { authChecker } from './auth-checker.js';

export const RESOLVERS = [BrandResolver, ProviderResolver, IntegrationResolver, LeaseResolver, IntegrationEventsResolver, NodeResolver, BillingResolver] as const;

export async function buildKeypoolSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    authChecker,
    authMode: 'error',
    // Our subscriptions bring their own streams (`subscribe`, fed by the event bus), but
    // type-graphql 2 refuses to build subscriptions without a PubSub instance.
    pubSub: createPubSub(),
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeISOResolver }],
    emitSchemaFile: false,
  });
}

export const printSortedSchema = (schema: GraphQLSchema) => `${printSchema(lexicographicSortSchema(schema))}\n`;
