/**
 * The pool at work: allowance claims (allowance.ts), the instance's copy of
 * the keys (key-book.ts), selection (selection.ts), leases (the best eligible
 * key, picked in memory and counted from allowance claimed in PostgreSQL) and
 * usage reports (health, cooldowns, spend; a plain success appended and folded
 * later, any other applied at once), with their SQL functions
 * (pool-functions.sql.ts), the lease tokens and the live usage feed. Invariants: no limit is ever
 * overshot; a credential is decrypted only here; a lease is reported at most
 * once. Builds on keys/. Callers: app.ts, graphql/, rest/, gateway/.
 */
export { LeaseService, type KeyLease, type LeaseOutcome, type LeaseRequest, type LeaseSettings, type RouteStep } from './lease.service.js';
export { refusalError } from './lease-errors.js';
export { CapacityService } from './capacity.service.js';
export { CapacityResolver } from './capacity.resolver.js';
export type { Budget, ProviderCapacity } from './capacity.js';
export type { TokenEstimate } from './selection.js';
export { LeaseTokenSigner } from './lease-token.js';
export { LeaseResolver } from './lease.resolver.js';
export { UsageFeed, type KeyUsage, type UsageChanged, type UsageMessage } from './usage-feed.js';
export { UsageFeedResolver } from './usage-feed.resolver.js';
export { MAX_ERROR_BODY_BYTES, type UsageReportInput } from './usage-input.js';
export { SIGNAL_HEADER } from './provider-signals.js';
export { POOL_FUNCTIONS_SQL } from './pool-functions.sql.js';
export { KeyChangeBus, keyChangesOf, usageSeenBy } from './key-change-bus.js';
export type { HealthConfig } from './health-settings.js';
