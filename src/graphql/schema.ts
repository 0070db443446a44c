/**
 * Assembles the GraphQL schema from every module's resolvers. The sorted SDL
 * is committed as schema/schema.graphql; a test fails when they drift apart.
 */
import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { buildSchema, type PubSub } from 'type-graphql';
import { BrandResolver } from '../modules/brands/index.js';
import { IntegrationResolver } from '../modules/integrations/index.js';
import { ProviderResolver } from '../modules/providers/index.js';
import { LeaseResolver } from '../modules/leases/index.js';
import { authChecker } from './auth-checker.js';

export const RESOLVERS = [BrandResolver, ProviderResolver, IntegrationResolver, LeaseResolver] as const;

export async function buildKeypoolSchema(pubSub?: PubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    authChecker,
    authMode: 'error',
    pubSub,
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeISOResolver }],
    emitSchemaFile: false,
  });
}

export const printSortedSchema = (schema: GraphQLSchema) => `${printSchema(lexicographicSortSchema(schema))}\n`;
