/**
 * The audit trail: who changed what, when, from where. Every change to keys, providers, quota
 * groups, nodes, credentials, client tokens, brands and alert webhooks is written by a trigger in
 * the transaction that makes it (so there is no change without its entry, and no path can forget
 * one), with the actor the request handed the transaction; secrets are never written, only that
 * they changed. Operator actions that change no audited column are recorded by their services.
 * Read one brand at a time; pruned past KEYPOOL_AUDIT_RETENTION_DAYS. Callers: app.ts, graphql/, rest/.
 */
export { AuditLog, AUDIT_ACTOR_KINDS, AUDIT_RESOURCES, MAX_AUDIT_PAGE, type AuditAction, type AuditEntry, type AuditFilter } from './audit-log.js';
export { AUDIT_FUNCTIONS_SQL, AUDITED_TABLES } from './audit-triggers.sql.js';
export { AuditResolver } from './audit.resolver.js';
