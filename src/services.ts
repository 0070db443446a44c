/** The service container handed to every transport (GraphQL, REST, CLI). */
import type { Authenticator } from './modules/brands/authenticator.js';
import type { BrandService } from './modules/brands/brand.service.js';
import type { RevocationList } from './modules/brands/revocations.js';
import type { IntegrationEvent } from './modules/integrations/integration.events.js';
import type { IntegrationService } from './modules/integrations/integration.service.js';
import type { LeaseService } from './modules/leases/lease.service.js';
import type { EventBus } from './platform/events/event-bus.js';
import type { Clock } from './platform/time/clock.js';

export interface Services {
  clock: Clock;
  authenticator: Authenticator;
  brands: BrandService;
  revocations: RevocationList;
  integrations: IntegrationService;
  leases: LeaseService;
  events: EventBus<IntegrationEvent>;
}
