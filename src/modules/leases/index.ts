/**
 * The pool at work: leases (the best eligible key, counted atomically in
 * PostgreSQL) and usage reports (health, cooldowns, spend). Invariants: no
 * limit is ever overshot; a credential is decrypted only here; a lease is
 * reported at most once. Callers: app.ts, graphql/, rest/.
 */
export { LeaseService, type KeyLease, type LeaseOutcome, type LeaseRequest, type LeaseSettings } from './lease.service.js';
export { refusalError } from './lease-errors.js';
export { LeaseTokenSigner } from './lease-token.js';
export { LeaseResolver } from './lease.resolver.js';
export { UsageFeed, type KeyUsage, type UsageChanged } from './usage-feed.js';
export { UsageFeedResolver } from './usage-feed.resolver.js';
export type { UsageReportInput } from './usage-input.js';
export { POOL_FUNCTIONS_SQL } from './pool-functions.sql.js';
