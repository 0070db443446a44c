/** The service container handed to every transport (GraphQL, REST, CLI). */
import type { Authenticator } from './modules/nodes/authenticator.js';
import type { NodeCredentialService } from './modules/nodes/node-credential.service.js';
import type { NodeService } from './modules/nodes/node.service.js';
import type { BrandService } from './modules/brands/brand.service.js';
import type { RevocationList } from './modules/brands/revocations.js';
import type { IntegrationEvent } from './modules/keys/integration.events.js';
import type { IntegrationService } from './modules/keys/integration.service.js';
import type { QuotaGroupService } from './modules/keys/quota-group.service.js';
import type { IntegrationEventLog } from './modules/keys/integration-event-log.js';
import type { LeaseService } from './modules/pool/lease.service.js';
import type { CapacityService } from './modules/pool/capacity.service.js';
import type { ProviderService } from './modules/providers/provider.service.js';
import type { BillingSync } from './modules/spend/billing-sync.js';
import type { UsageService } from './modules/spend/usage.service.js';
import type { GatewayFailureLog, GatewayService } from './modules/gateway/index.js';
import type { EventBus } from './platform/events/event-bus.js';
import type { UsageFeed, UsageMessage } from './modules/pool/usage-feed.js';
import type { Clock } from './platform/time/clock.js';
import type { AuditLog } from './modules/audit/index.js';
import type { AlertService, AlertWebhookService } from './modules/alerts/index.js';

export interface Services {
  clock: Clock;
  authenticator: Authenticator;
  brands: BrandService;
  revocations: RevocationList;
  nodes: NodeService;
  nodeCredentials: NodeCredentialService;
  providers: ProviderService;
  integrations: IntegrationService;
  quotaGroups: QuotaGroupService;
  billing: BillingSync;
  usage: UsageService;
  leases: LeaseService;
  capacity: CapacityService;
  gateway: GatewayService;
  events: EventBus<IntegrationEvent>;
  usageFeed: UsageFeed;
  /** The recent history of every key's events. */
  eventLog: IntegrationEventLog;
  /** Keys whose usage changed, coalesced (the dashboard's live counts), and which brands are watched (usage-feed.ts). */
  usageChanges: EventBus<UsageMessage>;
  /** Who changed what, when, from where. */
  audit: AuditLog;
  alertWebhooks: AlertWebhookService;
  /** Alert deliveries: listed, replayed, tested. */
  alerts: AlertService;
  /** Gateway calls keypool could not serve, with their routes. */
  gatewayFailures: GatewayFailureLog;
}
