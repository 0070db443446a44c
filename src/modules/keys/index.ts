/**
 * Keys: a brand's provider keys as records: identity, the credential
 * (encrypted at rest, env references), settings, limits as configured, CRUD,
 * views and events, and every statement on the key table
 * (integration.repository.ts). Invariants: a credential is stored only as a
 * Fernet token and leaves only through a lease; every read and write is
 * scoped to one brand. Below pool/ and spend/, which build on it. Callers:
 * app.ts, graphql/, rest/, the CLI.
 */
export { IntegrationSchema, ReportedLeaseSchema, type HealthStatus, type SpendLimitAction, type SpendLimitPeriod } from './integration.entity.js';
export { IntegrationService, type ReadScope, type IntegrationFilter, type IntegrationPage, type ProviderDirectory, type ProviderKeyInput, type KeySummary, type WriteOptions } from './integration.service.js';
export { HealthStatusEnum, IntegrationType } from './integration.types.js';
export { validateProvider, type CreateIntegrationInput, type IntegrationSettings } from './integration-input.js';
export { RECORD_COLUMNS } from './key-columns.js';
export { IntegrationRepository, rowToRecord, type BillingClaim, type BillingFigures } from './integration.repository.js';
export { countsAt, normalizeDecimal, spendUsage, toIntegrationView, type IntegrationRecord, type IntegrationView } from './integration.view.js';
export { CredentialVault } from './credential-vault.js';
export { isServerVariable, type EnvReferences } from './env-references.js';
export { resolveDocument, type KeyDocument, type KeyView, type SecretView } from './key-document.js';
export { isSpendExceeded, spendPeriodKey } from './spend.js';
export { modelAllowed } from './model-rule.js';
export { currentCounts, nextUtcDay, nextUtcMinute, utcDay, utcMinuteStart, utcMonthStart } from './limits.js';
export { countInDay, countInMinute, dayIn, isResetZone, nextDayStart, providerResetZone } from './reset-clock.js';
export type { IntegrationEvent, IntegrationChangeKind } from './integration.events.js';
export { rotateEncryption, type RotationReport } from './key-rotation.js';
export { checkEncryptionKeys, EncryptionKeysError } from './encryption-check.js';
export { IntegrationResolver } from './integration.resolver.js';
export { QuotaGroupResolver } from './quota-group.resolver.js';
export { QuotaGroupService } from './quota-group.service.js';
export { QuotaGroupRepository, type CreateQuotaGroupInput, type QuotaGroupSettings, type QuotaGroupView } from './quota-group.js';
export { IntegrationEventsResolver } from './integration-events.resolver.js';
export { createIntegrationEventCodec } from './integration-event-codec.js';
export { IntegrationEventLog, RecordingEventBus, MAX_REPLAY, type HistoryFilter, type RecordedEvent } from './integration-event-log.js';
