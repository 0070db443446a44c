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
import { IntegrationEventsResolver, IntegrationResolver, QuotaGroupResolver } from '../modules/keys/index.js';
import { ProviderResolver } from '../modules/providers/index.js';
import { CapacityResolver, LeaseResolver, UsageFeedResolver } from '../modules/pool/index.js';
import { NodeResolver } from '../modules/nodes/index.js';
import { BillingResolver } from '../modules/spend/index.js';
import { AuditResolver } from '../modules/audit/index.js';
import { AlertResolver } from '../modules/alerts/index.js';
import { GatewayFailureResolver } from '../modules/gateway/index.js';
import type { ContainerType } from 'type-graphql';
import type { Services } from '../services.js';
import { authChecker } from './auth-checker.js';

export const RESOLVERS = [BrandResolver, ProviderResolver, IntegrationResolver, QuotaGroupResolver, LeaseResolver, CapacityResolver, IntegrationEventsResolver, UsageFeedResolver, NodeResolver, BillingResolver,
  AuditResolver, AlertResolver, GatewayFailureResolver,
] as const;

/** Each resolver with the services it is given (type-graphql asks this container for them). */
function resolverContainer(s: Services): ContainerType {
  const instances = new Map<unknown, object>([
    [BrandResolver, new BrandResolver(s.brands)],
    [ProviderResolver, new ProviderResolver(s.providers)],
    [IntegrationResolver, new IntegrationResolver(s.integrations)],
    [QuotaGroupResolver, new QuotaGroupResolver(s.quotaGroups)],
    [LeaseResolver, new LeaseResolver(s.leases)],
    [CapacityResolver, new CapacityResolver(s.capacity)],
    [IntegrationEventsResolver, new IntegrationEventsResolver(s.eventLog)],
    [UsageFeedResolver, new UsageFeedResolver()],
    [NodeResolver, new NodeResolver(s.nodes, s.nodeCredentials)],
    [BillingResolver, new BillingResolver(s.usage, s.billing)],
    [AuditResolver, new AuditResolver(s.audit)],
    [AlertResolver, new AlertResolver(s.alertWebhooks, s.alerts)],
    [GatewayFailureResolver, new GatewayFailureResolver(s.gatewayFailures)],
  ]);
  return { get: (resolver) => instances.get(resolver) };
}

/** Without services the schema can be printed (schema:emit) but not executed. */
const NO_SERVICES: ContainerType = {
  get: () => {
    throw new Error('this schema was built without services: it can be printed, not executed');
  },
};

export async function buildKeypoolSchema(services?: Services): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    container: services ? resolverContainer(services) : NO_SERVICES,
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
