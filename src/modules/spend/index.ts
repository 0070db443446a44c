/**
 * Spend you can trust: spend limits (the SQL that judges them, shared by
 * reports, syncs and settings changes), billing sync from the providers'
 * billing APIs (and keypool's own ledger), the daily usage ledger's reads,
 * and the background work that keeps spend flags, ledger and lease ids in
 * shape. Builds on keys/.
 */
export { BILLING_PROVIDERS, BillingError, billingAdapters, falBilling, openRouterBilling, type BillingAdapter, type BillingFigures } from './billing-adapters.js';
export { BillingSync, FRESH_MS } from './billing-sync.js';
export { BackgroundWork } from './billing-scheduler.js';
export { UsageService, USAGE_GROUPS, type UsageGroup, type UsageQuery, type UsageReport, type UsageRow } from './usage.service.js';
export { BillingResolver } from './billing.resolver.js';
export { SPEND_FUNCTIONS_SQL } from './spend-function.sql.js';
export type { BackgroundSettings, BillingConfig } from './billing-settings.js';
