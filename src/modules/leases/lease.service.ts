/**
 * The pool at work: lease the best eligible key for one upstream request,
 * then take the report of what happened. The only place a credential is
 * decrypted. Events (health, spend-limit flips) are published after commit.
 */
import { inTransaction, type SqlPool } from '../../platform/db/sql-pool.js';
import type { EnvReferences, HealthConfig } from '../../config/config.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { toDate } from '../../platform/time/dates.js';
import { isUuid } from '../brands/index.js';
import {
  camelNames, nextUtcDay, spendPeriodEnd, spendPeriodKey, toIntegrationView, utcDay, utcMinuteStart, utcMonthStart,
  isSpendExceeded, resolveDocument, spendUsage, type CredentialVault, type FieldNamer, type HealthStatus, type IntegrationEvent, type IntegrationView,
  type KeyDocument, type ProviderDirectory,
} from '../integrations/index.js';
import { invalidProviderMessage, isProviderName, PROVIDER_NAME } from '../providers/index.js';
import { applyOutcome, classify } from './health.js';
import type { LedgerOutcome } from './lease.repository.js';
import { credentialUnreadable, leaseAlreadyReported, leaseNotFound, noKeyAvailable, noKeysForProvider } from './lease-errors.js';
import { LeaseBatcher, type BatchKey } from './lease-batcher.js';
import { LeaseRepository, ReportStatements, type CandidateRow, type LeasedKey } from './lease.repository.js';
import type { LeaseTokenSigner } from './lease-token.js';
import { planLease, type Candidate } from './selection.js';
import { validateUsageReport, type UsageReportInput, type ValidUsageReport } from './usage-input.js';

export interface LeaseRequest {
  providerName: string;
  model?: string | null;
  nodeId?: string | null;
  /** A batch lease takes only keys marked use_for_batch_api (any lease may take those). */
  batch?: boolean | null;
}

export interface KeyLease {
  leaseId: string;
  integration: IntegrationView;
  /** The credential fields with every environment reference resolved, and the key config under its Bifrost name. */
  credentials: Record<string, unknown>;
  /** The provider's base URL when the brand set one (always, for a custom provider). */
  baseUrl: string | null;
  expiresAt: Date;
}

export interface LeaseSettings {
  leaseTtlSeconds: number;
  /** Providers whose billing API tells when credits are back (a 402 lasts until a sync says so). */
  billingProviders: readonly string[];
  health: HealthConfig;
  envReferences: EnvReferences;
}

/** Whether a node exists in a brand (a brand token may attribute a lease to one of its nodes). */
export type NodeLookup = (brandId: string, nodeId: string) => Promise<boolean>;

function toCandidate(r: CandidateRow, now: Date): Candidate {
  const blocked = r.spend_limit_action === 'block' && isSpendExceeded(r.spend_limit_exceeded, r.spend_exceeded_period, r.spend_limit_period, now);
  return {
    id: r.id,
    isActive: r.is_active,
    priority: r.priority,
    weight: Number(r.weight),
    healthStatus: r.health_status as HealthStatus,
    models: r.models,
    blacklistedModels: r.blacklisted_models ?? [],
    minuteLimit: r.minute_limit,
    minuteCount: r.minute_count,
    minuteWindow: toDate(r.minute_window),
    dailyLimit: r.daily_limit,
    dailyCount: r.daily_count,
    dayWindow: r.day_window,
    cooldownUntil: toDate(r.cooldown_until),
    probeDueAt: toDate(r.probe_due_at),
    spendBlockedUntil: blocked ? spendPeriodEnd(r.spend_limit_period, now) : null,
    credentialUnreadable: r.credential_error !== null,
    useForBatchApi: r.use_for_batch_api,
    envRefs: r.env_refs ?? [],
    outOfCredits: r.out_of_credits_at === null ? null : { until: toDate(r.out_of_credits_until) },
  };
}

/** Which ledger column a report counts in. */
function ledgerOutcome(report: ValidUsageReport): LedgerOutcome {
  if (report.errorType === 'timeout') return 'timeouts';
  if (report.errorType === 'network') return 'network_errors';
  switch (classify({ ...report, probe: false })) {
    case 'success':
      return 'successes';
    case 'rate_limited':
      return 'rate_limited';
    case 'auth_failure':
      return 'auth_errors';
    case 'caller_error':
      return 'client_errors';
    default:
      return 'server_errors';
  }
}

export class LeaseService {
  private readonly repository: LeaseRepository;
  private readonly batcher: LeaseBatcher<{ leased: LeasedKey; now: Date }>;

  constructor(
    private readonly pool: SqlPool,
    private readonly vault: CredentialVault,
    private readonly tokens: LeaseTokenSigner,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly settings: LeaseSettings,
    private readonly nodeExists: NodeLookup = async () => false,
    private readonly providers: Pick<ProviderDirectory, 'findProvider' | 'customProviderNames'> | null = null,
  ) {
    this.repository = new LeaseRepository(pool);
    this.batcher = new LeaseBatcher((key, count) => this.leaseMany(key, count));
  }

  /** One round trip for `count` concurrent leases, timed when the batch runs. */
  private async leaseMany(key: BatchKey, count: number): Promise<{ leased: LeasedKey; now: Date }[]> {
    const now = this.clock.now();
    const rows = await this.repository.leaseMany(
      {
        ...key, now, minuteStart: utcMinuteStart(now), today: utcDay(now), envAvailable: this.availableEnvironment(),
        dayKey: spendPeriodKey('daily', now), monthKey: spendPeriodKey('monthly', now),
        probeBaseMs: this.settings.health.probeCooldownMs, probeMaxMs: this.settings.health.probeCooldownMaxMs,
      },
      count,
    );
    return rows.map((leased) => ({ leased, now }));
  }

  /**
   * Grants the best eligible key, counted atomically against its limits, with its decrypted
   * credential. The lease belongs to the caller's node (`actorNodeId`, for a node credential),
   * or to the node a brand token names.
   */
  async leaseKey(brandId: string, request: LeaseRequest, actorNodeId: string | null = null, n: FieldNamer = camelNames): Promise<KeyLease> {
    const providerName = request.providerName;
    if (typeof providerName !== 'string' || !PROVIDER_NAME.test(providerName)) throw new AppError('provider.unknown', invalidProviderMessage());
    const model = request.model ?? undefined;
    if (model !== undefined && (model.length === 0 || model.length > 255)) throw new AppError('request.invalid', `${n('model')} must be 1 to 255 characters`);
    const batch = request.batch ?? false;
    if (typeof batch !== 'boolean') throw new AppError('request.invalid', `${n('batch')} must be a boolean`);
    const nodeId = await this.attributeTo(brandId, request.nodeId ?? null, actorNodeId, n);
    const key = { brandId, providerName, model: model ?? null, batch };
    let granted = await this.batcher.take(key);
    if (!granted) {
      // A refusal the keys cannot explain means the pool changed under us (a window turned over): once more.
      await this.explainRefusal(brandId, providerName, model, batch, this.clock.now(), false);
      granted = await this.batcher.take(key);
      if (!granted) return this.explainRefusal(brandId, providerName, model, batch, this.clock.now(), true);
    }
    const { leased, now } = granted;
    let document: KeyDocument;
    try {
      document = this.vault.open(leased.encrypted);
    } catch {
      return this.refuseUnreadable(brandId, leased, now);
    }
    const resolved = resolveDocument(document, this.settings.envReferences.lookup);
    if ('unset' in resolved) throw new AppError('lease.no_key_available', `No ${providerName} key is available: environment variable ${resolved.unset} is unset`);
    const { credentials } = resolved;
    const expiresAt = new Date(now.getTime() + this.settings.leaseTtlSeconds * 1000);
    const { token } = this.tokens.sign({ integrationId: leased.record.id, brandId, expiresAt, probe: leased.probe, nodeId, model: model ?? null });
    return { leaseId: token, integration: toIntegrationView(leased.record, now), credentials, baseUrl: leased.baseUrl, expiresAt };
  }

  /** The allow-listed environment variables that are set now: a key referring to any other is skipped. */
  private availableEnvironment(): string[] {
    const env = this.settings.envReferences;
    return env.allowlist.filter((name) => env.lookup(name) !== undefined);
  }

  private async attributeTo(brandId: string, requested: string | null, actorNodeId: string | null, n: FieldNamer): Promise<string | null> {
    if (actorNodeId !== null) {
      if (requested !== null && requested !== actorNodeId) throw new AppError('request.invalid', `${n('nodeId')} must be omitted: a node credential leases for its own node`);
      return actorNodeId;
    }
    if (requested === null) return null;
    if (!isUuid(requested)) throw new AppError('request.invalid', `${n('nodeId')} must be a UUID`);
    if (!(await this.nodeExists(brandId, requested))) throw new AppError('node.not_found', 'Node not found');
    return requested;
  }

  /** A credential no key of the ring opens: the key leaves the pool, the lease is un-counted, watchers are told. */
  private async refuseUnreadable(brandId: string, leased: LeasedKey, now: Date): Promise<never> {
    const reason = 'credential cannot be decrypted with the configured encryption keys';
    const record = await this.repository.markCredentialUnreadable(leased.record.id, reason, utcMinuteStart(now), utcDay(now), now);
    const view = toIntegrationView(record, now);
    await this.events.publish({
      type: 'integration.health_changed', brandId, integration: view, at: now, previousStatus: leased.record.healthStatus as HealthStatus,
      status: 'unhealthy', consecutiveFailures: view.consecutiveFailures, reason,
    });
    throw credentialUnreadable(leased.record.id);
  }

  /** Throws why no key could serve, from the keys as they stand; `final` throws even when one looks eligible. */
  private async explainRefusal(brandId: string, providerName: string, model: string | undefined, batch: boolean, now: Date, final: true): Promise<never>;
  private async explainRefusal(brandId: string, providerName: string, model: string | undefined, batch: boolean, now: Date, final: boolean): Promise<void>;
  private async explainRefusal(brandId: string, providerName: string, model: string | undefined, batch: boolean, now: Date, final: boolean): Promise<void> {
    const candidates = (await this.repository.loadCandidates(brandId, providerName)).map((r) => toCandidate(r, now));
    const available = new Set(this.availableEnvironment());
    const plan = planLease(candidates, model, now, Math.random, { batch, envAvailable: (name) => available.has(name) });
    if (plan.kind === 'no_keys') {
      if (!isProviderName(providerName) && this.providers && !(await this.providers.findProvider(brandId, providerName))) {
        throw new AppError('provider.unknown', invalidProviderMessage(await this.providers.customProviderNames(brandId)));
      }
      throw noKeysForProvider(providerName);
    }
    if (plan.kind === 'exhausted') throw noKeyAvailable(providerName, plan.skipped, plan.retryAt, now);
    if (final) throw noKeyAvailable(providerName, plan.skipped, new Date(now.getTime() + 1000), now);
  }

  /**
   * A 402 takes a key out until a billing sync shows a balance, for providers keypool can ask;
   * for the others, until the next UTC day (or until an operator re-enables it).
   */
  private outOfCreditsUntil(providerName: string, now: Date): Date | null {
    return this.settings.billingProviders.includes(providerName) ? null : new Date(nextUtcDay(now));
  }

  /** Applies what happened with a lease: health, cooldown, spend, the usage ledger. A lease is reported at most once. */
  async reportUsage(brandId: string, input: UsageReportInput, n: FieldNamer = camelNames): Promise<IntegrationView> {
    const report = validateUsageReport(input, n);
    const claims = this.tokens.verify(report.leaseId);
    const now = this.clock.now();
    if (!claims || claims.brandId !== brandId || claims.expiresAt <= now) throw leaseNotFound();
    const result = await inTransaction(this.pool, async (tx) => {
      const statements = new ReportStatements(tx);
      const state = await statements.lockHealth(claims.integrationId, brandId);
      if (!state) throw leaseNotFound();
      if (!(await statements.markReported(claims.leaseUuid, claims.integrationId, now))) throw leaseAlreadyReported();
      const previous = { healthStatus: state.health_status as HealthStatus, consecutiveFailures: state.consecutive_failures, probeFailures: state.probe_failures, cooldownUntil: toDate(state.cooldown_until), probeDueAt: toDate(state.probe_due_at) };
      const decision = applyOutcome(previous, { ...report, probe: claims.probe }, this.settings.health, now);
      const outOfCredits = report.statusCode === 402;
      const record = await statements.write(claims.integrationId, {
        ...decision.next, costUsd: report.costUsd, now, today: utcDay(now), monthStart: utcMonthStart(now),
        dayKey: spendPeriodKey('daily', now), monthKey: spendPeriodKey('monthly', now),
        outOfCreditsUntil: outOfCredits ? this.outOfCreditsUntil(state.provider_name, now) : undefined,
        ledger: {
          nodeId: claims.nodeId, model: (claims.model ?? '').toLowerCase(), outcome: ledgerOutcome(report),
          promptTokens: report.promptTokens, completionTokens: report.completionTokens, latencyMs: report.latencyMs ?? null,
        },
      });
      if (claims.nodeId) await statements.addNodeUsage(claims.nodeId, { failed: !report.success, costUsd: report.costUsd, today: utcDay(now), monthStart: utcMonthStart(now) });
      // The stored flag, not the period-aware one: a flag left from an ended period flips back here, with its event.
      const wasExceeded = state.spend_limit_exceeded;
      return { view: toIntegrationView(record, now), previous, decision, wasExceeded, outOfCredits: outOfCredits && state.out_of_credits_at === null };
    });
    await this.publishReportEvents(brandId, result, now);
    return result.view;
  }

  private async publishReportEvents(
    brandId: string,
    r: { view: IntegrationView; previous: { healthStatus: HealthStatus }; decision: ReturnType<typeof applyOutcome>; wasExceeded: boolean; outOfCredits: boolean },
    at: Date,
  ) {
    if (r.outOfCredits) await this.events.publish({ type: 'integration.changed', brandId, integration: r.view, kind: 'UPDATED', at });
    if (r.decision.reason !== null) {
      await this.events.publish({
        type: 'integration.health_changed', brandId, integration: r.view, at, previousStatus: r.previous.healthStatus,
        status: r.view.healthStatus, consecutiveFailures: r.view.consecutiveFailures, reason: r.decision.reason,
      });
    }
    if (r.wasExceeded !== r.view.spendLimitExceeded) {
      await this.events.publish({
        type: 'integration.spend_limit_changed', brandId, integration: r.view, at, exceeded: r.view.spendLimitExceeded,
        previousExceeded: r.wasExceeded, action: r.view.spendLimitAction, amount: r.view.spendLimitAmount, period: r.view.spendLimitPeriod,
        usage: spendUsage(r.view),
      });
    }
  }
}
