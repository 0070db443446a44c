/** GET /api/v1/capacity (beyond the documents): what is left of each provider's limits, in the v1 dialect. */
import type { FastifyInstance } from 'fastify';
import type { Budget, ProviderCapacity } from '../../modules/pool/index.js';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf } from '../access.js';

const budget = (b: Budget) => ({ limit: b.limit, used: b.used, remaining: b.remaining, resets_at: isoSeconds(b.resetsAt) });

export function toV1Capacity(c: ProviderCapacity) {
  return {
    provider_name: c.providerName,
    keys: c.keys,
    requests_this_minute: budget(c.requestsThisMinute),
    requests_today: budget(c.requestsToday),
    tokens_this_minute: budget(c.tokensThisMinute),
    tokens_today: budget(c.tokensToday),
    requests_per_minute: c.requestsPerMinute,
    tokens_per_minute: c.tokensPerMinute,
    requests_run_out_at: c.requestsRunOutAt && isoSeconds(c.requestsRunOutAt),
    tokens_run_out_at: c.tokensRunOutAt && isoSeconds(c.tokensRunOutAt),
  };
}

export function mountCapacityRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.get('/capacity', { config: { permission: 'integrations.read' } }, async (request) => {
    const { brandId } = accessOf(request);
    return { success: true, providers: (await services.capacity.ofBrand(brandId)).map(toV1Capacity) };
  });
}
