/**
 * The pool at work: lease the best eligible key for one upstream request,
 * then take the report of what happened. The only place a credential is
 * decrypted. Events (health, spend-limit flips) are published after commit.
 */
import type { HealthConfig } from './health-settings.js';
import { isDatabaseUnavailable } from '../../platform/errors/database-errors.js';
import { AppError, field } from '../../platform/errors/app-error.js';
import { StatementBatcher, type BatchStats } from '../../platform/db/statement-batcher.js';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { isUuid } from '../brands/index.js';
import {
  IntegrationRepository, spendPeriodKey, toIntegrationView, utcDay, utcMinuteStart, utcMonthStart, resolveDocument, spendUsage,
  type CredentialVault, type EnvReferences, type HealthStatus, type IntegrationEvent, type IntegrationView, type KeyDocument, type ProviderDirectory,
} from '../keys/index.js';
import { invalidProviderMessage, isProviderName, PROVIDER_NAME, type UpstreamSettings } from '../providers/index.js';
import { credentialUnreadable, leaseAlreadyReported, leaseNotFound, type LeaseRefusal } from './lease-errors.js';
import { LeaseRepository, type LeaseRow, type PoolResult, type PoolTime, type PoolWork, type ReportRow, type SkippedKey } from './lease.repository.js';
import type { LeaseTokenSigner } from './lease-token.js';
import { validateUsageReport, type UsageReportInput } from './usage-input.js';
import type { UsageFeed } from './usage-feed.js';

export interface LeaseRequest {
  providerName: string;
  model?: string | null;
  nodeId?: string | null;
  /** A batch lease takes only keys marked use_for_batch_api (any lease may take those). */
  batch?: boolean | null;
  /** Keys the lease must not be (a failover's earlier attempts). */
  excludeIntegrationIds?: readonly number[];
}

export interface KeyLease {
  leaseId: string;
  integration: IntegrationView;
  /** The credential fields with every environment reference resolved, and the key config under its Bifrost name. */
  credentials: Record<string, unknown>;
  /** The provider's base URL when the brand set one (always, for a custom provider). */
  baseUrl: string | null;
  /** The catalog provider the key's provider is (or, for a custom provider, is built on). */
  baseProvider: string;
  /** Headers the brand adds to every request to the provider. */
  extraHeaders: Record<string, string>;
  /** The brand's network options for the provider that the gateway honours (timeouts, retries). */
  upstream: UpstreamSettings;
  expiresAt: Date;
}

/** What a lease request comes to: a key, a refusal (why each key was skipped, when to retry), or no keys at all. */
export type LeaseOutcome = { kind: 'leased'; lease: KeyLease } | LeaseRefusal;

export interface LeaseSettings {
  leaseTtlSeconds: number;
  /** Providers whose billing API tells when credits are back (a 402 lasts until a sync says so). */
  billingProviders: readonly string[];
  health: HealthConfig;
  envReferences: EnvReferences;
  /** The weighted pick's random source, in [0, 1) (Math.random unless a test fixes it). */
  random?: () => number;
}

/** Whether a node exists in a brand (a brand token may attribute a lease to one of its nodes). */
export type NodeLookup = (brandId: string, nodeId: string) => Promise<boolean>;

function poolTime(now: Date): PoolTime {
  return {
    now, minuteStart: utcMinuteStart(now), today: utcDay(now), monthStart: utcMonthStart(now),
    dayKey: spendPeriodKey('daily', now), monthKey: spendPeriodKey('monthly', now),
  };
}

const CONTENDED_RETRY_MS = 1000;

export class LeaseService {
  private readonly repository: LeaseRepository;
  private readonly integrations: IntegrationRepository;
  private readonly batches: StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>;

  constructor(
    pool: SqlPool,
    private readonly vault: CredentialVault,
    private readonly tokens: LeaseTokenSigner,
    private readonly events: EventBus<IntegrationEvent>,
    private readonly clock: Clock,
    private readonly settings: LeaseSettings,
    private readonly nodeExists: NodeLookup = async () => false,
    private readonly providers: Pick<ProviderDirectory, 'findProvider' | 'customProviderNames'> | null = null,
    /** Where each lease's and report's effect on a key goes for watching dashboards. */
    private readonly feed: Pick<UsageFeed, 'note'> | null = null,
  ) {
    const health = settings.health;
    this.integrations = new IntegrationRepository(pool);
    this.repository = new LeaseRepository(pool, {
      probeBaseMs: health.probeCooldownMs, probeMaxMs: health.probeCooldownMaxMs, degradedAfter: health.degradedAfter,
      unhealthyAfter: health.unhealthyAfter, rateLimitCooldownMs: health.rateLimitCooldownMs, creditProviders: settings.billingProviders,
      envAvailable: () => this.availableEnvironment(),
    }, settings.random);
    // Concurrent leases and reports, of any brands, share one statement; each batch is timed when it runs.
    this.batches = new StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>(
      async (work) => {
        const time = poolTime(this.clock.now());
        return (await this.repository.apply(work, time)).map((result) => ({ result, time }));
      },
      { isShared: isDatabaseUnavailable },
    );
  }

  /** Pool batches retried after a deadlock or serialization conflict, since start (for /metrics). */
  get batchRetries(): number {
    return this.repository.retries;
  }

  /** Pool batches run since start, the leases and reports they held, and their time (for /metrics). */
  get batchStats(): Readonly<BatchStats> {
    return this.batches.stats;
  }

  /**
   * The best eligible key, counted atomically against its limits, with its decrypted
   * credential; or why none can serve. The lease belongs to the caller's node (`actorNodeId`,
   * for a node credential), or to the node a brand token names.
   */
  async leaseKey(brandId: string, request: LeaseRequest, actorNodeId: string | null = null): Promise<LeaseOutcome> {
    const providerName = request.providerName;
    if (typeof providerName !== 'string' || !PROVIDER_NAME.test(providerName)) throw new AppError('provider.unknown', invalidProviderMessage());
    const model = request.model ?? null;
    if (model !== null && (model.length === 0 || model.length > 255)) throw new AppError('request.invalid', `${field('model')} must be 1 to 255 characters`);
    const batch = request.batch ?? false;
    if (typeof batch !== 'boolean') throw new AppError('request.invalid', `${field('batch')} must be a boolean`);
    const nodeId = await this.attributeTo(brandId, request.nodeId ?? null, actorNodeId);
    const exclude = request.excludeIntegrationIds ?? [];
    const { result, time } = await this.batches.take({ lease: { brandId, providerName, model, batch, exclude } });
    const row = (result as { lease: LeaseRow }).lease;
    if (!('leased' in row)) return this.refusal(brandId, providerName, row.skipped, row.contended, time.now);
    const { leased } = row;
    let document: KeyDocument;
    try {
      document = this.vault.open(leased.encrypted);
    } catch {
      return this.refuseUnreadable(brandId, leased.record.id, leased.record.healthStatus as HealthStatus, time);
    }
    const resolved = resolveDocument(document, this.settings.envReferences.lookup);
    if ('unset' in resolved) {
      // The variable went away between the pick and now.
      return { kind: 'refused', providerName, skipped: [{ integrationId: leased.record.id, reason: 'environment_unset', until: null, variable: resolved.unset }], retryAt: null, at: time.now };
    }
    const expiresAt = new Date(time.now.getTime() + this.settings.leaseTtlSeconds * 1000);
    const { token } = this.tokens.sign({ integrationId: leased.record.id, brandId, expiresAt, probe: leased.probe, nodeId, model });
    const integration = toIntegrationView(leased.record, time.now);
    this.feed?.note(brandId, integration);
    return {
      kind: 'leased',
      lease: {
        leaseId: token, integration, credentials: resolved.credentials, baseUrl: leased.baseUrl,
        baseProvider: leased.baseProviderType ?? providerName, extraHeaders: leased.extraHeaders, upstream: leased.upstream, expiresAt,
      },
    };
  }

  private async refusal(brandId: string, providerName: string, skipped: SkippedKey[], contended: boolean, now: Date): Promise<LeaseOutcome> {
    if (skipped.length === 0 && !contended) {
      if (!isProviderName(providerName) && this.providers && !(await this.providers.findProvider(brandId, providerName))) {
        throw new AppError('provider.unknown', invalidProviderMessage(await this.providers.customProviderNames(brandId)));
      }
      return { kind: 'no_keys', providerName };
    }
    const times = skipped.map((s) => s.until?.getTime()).filter((t): t is number => t !== undefined);
    // A key freed up while the pick ran: worth trying again in a moment.
    if (contended) times.push(now.getTime() + CONTENDED_RETRY_MS);
    const retryAt = times.length > 0 ? new Date(Math.min(...times)) : null;
    return { kind: 'refused', providerName, skipped, retryAt, at: now };
  }

  /** The allow-listed environment variables that are set now: a key referring to any other is skipped. */
  private availableEnvironment(): string[] {
    const env = this.settings.envReferences;
    return env.allowlist.filter((name) => env.lookup(name) !== undefined);
  }

  private async attributeTo(brandId: string, requested: string | null, actorNodeId: string | null): Promise<string | null> {
    if (actorNodeId !== null) {
      if (requested !== null && requested !== actorNodeId) throw new AppError('request.invalid', `${field('nodeId')} must be omitted: a node credential leases for its own node`);
      return actorNodeId;
    }
    if (requested === null) return null;
    if (!isUuid(requested)) throw new AppError('request.invalid', `${field('nodeId')} must be a UUID`);
    if (!(await this.nodeExists(brandId, requested))) throw new AppError('node.not_found', 'Node not found');
    return requested;
  }

  /** A credential no key of the ring opens: the key leaves the pool, the lease is un-counted, watchers are told. */
  private async refuseUnreadable(brandId: string, integrationId: number, previousStatus: HealthStatus, time: PoolTime): Promise<never> {
    const reason = 'credential cannot be decrypted with the configured encryption keys';
    const record = await this.integrations.markCredentialUnreadable(integrationId, reason, time);
    const view = toIntegrationView(record, time.now);
    await this.events.publish({
      type: 'integration.health_changed', brandId, integration: view, at: time.now, previousStatus,
      status: 'unhealthy', consecutiveFailures: view.consecutiveFailures, reason,
    });
    throw credentialUnreadable(integrationId);
  }

  /**
   * Applies what happened with a lease: health, cooldown, spend, the usage ledger. A lease is
   * reported at most once, and before it expires, unless `heldForCall`: the gateway leased it
   * for one call and held it until the call ended, however long that took (a slow stream's
   * tokens and cost count like any other's).
   */
  async reportUsage(brandId: string, input: UsageReportInput, options: { heldForCall?: boolean } = {}): Promise<IntegrationView> {
    const report = validateUsageReport(input);
    const claims = this.tokens.verify(report.leaseId);
    if (!claims || claims.brandId !== brandId || (!options.heldForCall && claims.expiresAt <= this.clock.now())) throw leaseNotFound();
    const { result, time } = await this.batches.take({
      report: {
        leaseUuid: claims.leaseUuid, integrationId: claims.integrationId, brandId, nodeId: claims.nodeId, model: claims.model,
        success: report.success, statusCode: report.statusCode ?? null, errorType: report.errorType ?? null,
        retryAfterSeconds: report.retryAfterSeconds ?? null, probe: claims.probe, costUsd: report.costUsd,
        promptTokens: report.promptTokens, completionTokens: report.completionTokens, latencyMs: report.latencyMs ?? null,
        firstTokenMs: report.timeToFirstTokenMs ?? null,
      },
    });
    const row = (result as { report: ReportRow }).report;
    if (row.outcome === 'not_found') throw leaseNotFound();
    if (row.outcome === 'already_reported') throw leaseAlreadyReported();
    const view = toIntegrationView(row.record, time.now);
    this.feed?.note(brandId, view);
    await this.publishReportEvents(brandId, view, row, time.now);
    return view;
  }

  private async publishReportEvents(brandId: string, view: IntegrationView, row: Extract<ReportRow, { outcome: 'reported' }>, at: Date) {
    if (row.creditsFlagged) await this.events.publish({ type: 'integration.changed', brandId, integration: view, kind: 'UPDATED', at });
    if (row.healthReason !== null) {
      await this.events.publish({
        type: 'integration.health_changed', brandId, integration: view, at, previousStatus: row.previousStatus as HealthStatus,
        status: view.healthStatus, consecutiveFailures: view.consecutiveFailures, reason: row.healthReason,
      });
    }
    if (row.wasExceeded !== view.spendLimitExceeded) {
      await this.events.publish({
        type: 'integration.spend_limit_changed', brandId, integration: view, at, exceeded: view.spendLimitExceeded,
        previousExceeded: row.wasExceeded, action: view.spendLimitAction, amount: view.spendLimitAmount, period: view.spendLimitPeriod,
        usage: spendUsage(view),
      });
    }
  }
}
