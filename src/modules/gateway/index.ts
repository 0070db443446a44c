/**
 * The OpenAI-compatible gateway: lease, forward, report and fail over for
 * callers that speak OpenAI's API (the REST plugin in src/rest/openai renders it).
 */
export { GATEWAY_ENDPOINTS, GatewayService, modelNotFound, type GatewayAnswer, type GatewayCall, type GatewayEndpoint, type GatewayModel, type GatewaySettings, type GatewayTrace } from './gateway.service.js';
export { parsePriceTable, costOf, priceOf, type ModelPrice, type PriceTable } from './prices.js';
export { OPENAI_COMPATIBLE, splitModel, supportsOpenAi } from './upstreams.js';
export { isForbiddenAddress } from './address-guard.js';
