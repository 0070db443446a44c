/**
 * The OpenAI-compatible gateway: lease, forward, report and fail over for
 * callers that speak OpenAI's API (the REST plugin in src/rest/openai renders it).
 */
export { GatewayService, keypoolMsOf, type GatewayEndpoint, type GatewaySettings, type GatewayTrace } from './gateway.service.js';
export { KeyChecker, type KeyCheckOutcome } from './key-check.js';
export { GatewayFailureLog, MAX_FAILURE_PAGE, type GatewayFailure } from './failure-log.js';
export { GatewayFailureResolver } from './failure.resolver.js';
