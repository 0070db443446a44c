/**
 * Integrations v1 as one Fastify plugin: register it at V1_DIALECT.prefix
 * (/api/v1). Its routes (keys, leases, nodes and credentials, billing) and
 * every error they raise, a 404 under the prefix included, speak the v1
 * envelope; a refused lease's Retry-After header comes with it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services.js';
import { installErrorHandlers } from '../error-handler.js';
import { mountBillingRoutesV1 } from './billing-routes.js';
import { V1_DIALECT } from './errors.js';
import { mountLeaseRoutesV1 } from './lease-routes.js';
import { mountNodeRoutesV1 } from './node-routes.js';
import { mountCapacityRoutesV1 } from './capacity-routes.js';
import { mountQuotaGroupRoutesV1 } from './quota-group-routes.js';
import { mountIntegrationsV1 } from './routes.js';
import { mountAuditRoutesV1 } from './audit-routes.js';
import { mountAlertRoutesV1 } from './alert-routes.js';
import { mountGatewayFailureRoutesV1 } from './gateway-failure-routes.js';

export const integrationsV1Plugin = (services: Services): FastifyPluginAsync => async (v1) => {
  installErrorHandlers(v1, V1_DIALECT.errorBody);
  mountLeaseRoutesV1(v1, services);
  mountNodeRoutesV1(v1, services);
  mountIntegrationsV1(v1, services);
  mountBillingRoutesV1(v1, services);
  mountQuotaGroupRoutesV1(v1, services);
  mountCapacityRoutesV1(v1, services);
  mountAuditRoutesV1(v1, services);
  mountAlertRoutesV1(v1, services);
  mountGatewayFailureRoutesV1(v1, services);
};
