/**
 * The pool at work: lease the best eligible key for one upstream request,
 * then take the report of what happened. The only place a credential is
 * decrypted. Events (health, spend-limit flips) are published after commit.
 */
import type { EnvReferences, HealthConfig } from '../../config/config.js';
import { isDatabaseUnavailable } from '../../platform/errors/database-errors.js';
import { AppError, field } from '../../platform/errors/app-error.js';
import { StatementBatcher, type BatchStats } from '../../platform/db/statement-batcher.js';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { isUuid } from '../brands/index.js';
import {
  IntegrationRepository, toIntegrationView, resolveDocument, spendUsage,
  type CredentialVault, type HealthStatus, type IntegrationEvent, type IntegrationRecord, type IntegrationView, type ProviderDirectory,
} from '../integrations/index.js';
import { invalidProviderMessage, isProviderName, PROVIDER_NAME, type UpstreamSettings } from '../providers/index.js';
import { credentialUnreadable, leaseAlreadyReported, leaseNotFound, type LeaseRefusal } from './lease-errors.js';
import {
  LeaseRepository, type ClaimItem, type ClaimRow, type PoolResult, type PoolTime, type PoolWork, type ReleaseItem, type ReportRow, type SkippedKey,
} from './lease.repository.js';
import { Allowance } from './allowance.js';
import { KeyBook, type BookGroup, type BookKey } from './key-book.js';
import { isProbe, pickKey, poolTime, skipReason, skipUntil, type LeaseAsk } from './selection.js';
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
  /** The longest a key book group is used before it is read again (bounds how long a change that published no event goes unseen). */
  bookMaxAgeMs: number;
}

/** Whether a node exists in a brand (a brand token may attribute a lease to one of its nodes). */
export type NodeLookup = (brandId: string, nodeId: string) => Promise<boolean>;

const CONTENDED_RETRY_MS = 1000;
/** How often unused allowance is looked at (given back when idle or of a past minute). */
const RELEASE_TICK_MS = 100;

/** The engine's own dependencies: where its warnings go, and its random draws (tests make them fixed). */
export interface LeaseEngineOptions {
  warn?: (message: string, error?: unknown) => void;
  random?: () => number;
}

export class LeaseService {
  private readonly repository: LeaseRepository;
  private readonly integrations: IntegrationRepository;
  private readonly batches: StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>;
  /** This instance's copy of the keys it leases from. */
  readonly book: KeyBook;
  private readonly allowance = new Allowance();
  private readonly random: (i: number) => number;
  private readonly warn: (message: string, error?: unknown) => void;
  private releasing: Promise<void> = Promise.resolve();
  private readonly releaseTimer: NodeJS.Timeout;

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
    engine: LeaseEngineOptions = {},
  ) {
    const random = engine.random ?? Math.random;
    this.random = () => random();
    this.warn = engine.warn ?? (() => {});
    const health = settings.health;
    this.integrations = new IntegrationRepository(pool);
    this.repository = new LeaseRepository(pool, {
      probeBaseMs: health.probeCooldownMs, probeMaxMs: health.probeCooldownMaxMs, degradedAfter: health.degradedAfter,
      unhealthyAfter: health.unhealthyAfter, rateLimitCooldownMs: health.rateLimitCooldownMs, creditProviders: settings.billingProviders,
      envAvailable: () => this.availableEnvironment(),
    });
    // Concurrent reports and claims, of any brands, share one statement; each batch is timed when it runs.
    this.batches = new StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>((work) => this.settle(work), { isShared: isDatabaseUnavailable });
    this.book = new KeyBook((brandId, providerName) => this.repository.loadGroup(brandId, providerName), settings.bookMaxAgeMs);
    this.releaseTimer = setInterval(() => this.release(this.allowance.idle(poolTime(this.clock.now()))), RELEASE_TICK_MS);
    this.releaseTimer.unref();
  }

  /** Gives back every slice this instance holds (shutdown), and waits for it. */
  async close(): Promise<void> {
    clearInterval(this.releaseTimer);
    this.release(this.allowance.all(poolTime(this.clock.now())));
    await this.releasing;
  }

  /**
   * One batch in one statement. Claims go one per key: one lease for each waiter plus the largest
   * slice one of them asked to hold; each waiter then gets one lease, in arrival order, and what
   * is left is held for the next leases of the key.
   */
  private async settle(work: PoolWork[]): Promise<{ result: PoolResult; time: PoolTime }[]> {
    const time = poolTime(this.clock.now());
    const byKey = new Map<number, ClaimItem & { waiters: number; extra: number }>();
    for (const w of work) {
      if (!('claim' in w)) continue;
      const item = w.claim;
      const merged = byKey.get(item.integrationId);
      if (merged) Object.assign(merged, { waiters: merged.waiters + 1, extra: Math.max(merged.extra, item.n - 1), probe: merged.probe || item.probe });
      else byKey.set(item.integrationId, { ...item, waiters: 1, extra: item.n - 1 });
    }
    for (const merged of byKey.values()) merged.n = merged.probe ? 1 : merged.waiters + merged.extra;
    const statement: PoolWork[] = [...work.filter((w) => 'report' in w), ...[...byKey.values()].map((claim) => ({ claim }))];
    const results = await this.repository.settle(statement, time);
    const reports = results.filter((r): r is { report: ReportRow } => 'report' in r);
    const claims = new Map<number, ClaimRow>();
    const left = new Map<number, number>();
    results.forEach((r, i) => {
      if (!('claim' in r)) return;
      const id = (statement[i] as { claim: ClaimItem }).claim.integrationId;
      claims.set(id, r.claim);
      left.set(id, r.claim.granted);
    });
    let nextReport = 0;
    const out = work.map((w) => {
      if ('report' in w) return { result: reports[nextReport++] as PoolResult, time };
      const row = claims.get(w.claim.integrationId)!;
      const granted = Math.min(1, left.get(w.claim.integrationId)!);
      left.set(w.claim.integrationId, left.get(w.claim.integrationId)! - granted);
      return { result: { claim: { ...row, granted } } as PoolResult, time };
    });
    for (const [id, surplus] of left) if (surplus > 0) this.allowance.hold(id, surplus, time);
    return out;
  }

  /**
   * Keys of a brand's provider changed (written here, or an event from any instance said so): the
   * next lease reads them again.
   */
  keysChanged(brandId: string, providerName?: string): void {
    this.book.drop(brandId, providerName);
  }

  /** Pool batches retried after a deadlock or serialization conflict, since start (for /metrics). */
  get batchRetries(): number {
    return this.repository.retries;
  }

  /** Pool batches run since start (reports, and claims of allowance), the items they held, and their time (for /metrics). */
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
    const excluded = new Set(request.excludeIntegrationIds ?? []);
    const ask: LeaseAsk = { model, batch, envAvailable: new Set(this.availableEnvironment()) };
    const group = await this.book.group(brandId, providerName);
    // A key the database just refused a claim for is judged again on what the claim returned.
    for (let attempt = 0; ; attempt++) {
      const time = poolTime(this.clock.now());
      const keys = group.keys.filter((k) => !excluded.has(k.record.id)).map((k) => ({ ...k, held: this.allowance.held(k.record.id, time) }));
      if (keys.length === 0) return this.refusal(brandId, providerName, [], false, time.now);
      const eligible = keys.filter((k) => skipReason(k, ask, time) === null);
      const picked = pickKey(eligible, this.random);
      // (More refused claims than keys: the keys keep changing under the pick; worth a retry in a moment.)
      if (!picked || attempt > keys.length) {
        const skipped = keys.map((k): SkippedKey | null => {
          const reason = skipReason(k, ask, time);
          if (reason === null) return null;
          const variable = reason === 'environment_unset' ? (k.record.envRefs ?? []).find((name) => !ask.envAvailable.has(name)) : undefined;
          return { integrationId: k.record.id, reason, until: skipUntil(k, reason, time), ...(variable !== undefined && { variable }) };
        }).filter((s): s is SkippedKey => s !== null);
        return this.refusal(brandId, providerName, skipped, picked !== null, time.now);
      }
      const id = picked.record.id;
      const probe = isProbe(picked.record);
      if (probe || !this.allowance.take(id, time)) {
        const { result } = await this.batches.take({ claim: { integrationId: id, n: probe ? 1 : this.allowance.sliceSize(id, picked.record), probe } });
        const claim = (result as { claim: ClaimRow }).claim;
        if (claim.record === null) {
          this.book.remove(brandId, providerName, id);
          continue;
        }
        this.book.update(claim.record, claim.encrypted);
        if (claim.granted === 0) continue;
        this.allowance.claimed(id);
      }
      const leased = group.keys.find((k) => k.record.id === id) ?? picked;
      return this.grant(brandId, providerName, leased, probe, nodeId, model, group);
    }
  }

  /** The lease of a key just counted: its credential opened (once per ciphertext), its token signed. */
  private async grant(brandId: string, providerName: string, key: BookKey, probe: boolean, nodeId: string | null, model: string | null, group: BookGroup): Promise<LeaseOutcome> {
    const time = poolTime(this.clock.now());
    if (!key.document) {
      try {
        key.document = this.vault.open(key.encrypted);
      } catch {
        this.release(this.allowance.drop(key.record.id, time));
        return this.refuseUnreadable(brandId, key.record.id, key.record.healthStatus as HealthStatus, time);
      }
    }
    const resolved = resolveDocument(key.document, this.settings.envReferences.lookup);
    if ('unset' in resolved) {
      // The variable went away between the pick and now.
      return { kind: 'refused', providerName, skipped: [{ integrationId: key.record.id, reason: 'environment_unset', until: null, variable: resolved.unset }], retryAt: null, at: time.now };
    }
    const expiresAt = new Date(time.now.getTime() + this.settings.leaseTtlSeconds * 1000);
    const { token } = this.tokens.sign({ integrationId: key.record.id, brandId, expiresAt, probe, nodeId, model });
    const integration = toIntegrationView(key.record, time.now);
    this.feed?.note(brandId, integration);
    const { provider } = group;
    return {
      kind: 'leased',
      lease: {
        leaseId: token, integration, credentials: resolved.credentials, baseUrl: provider.baseUrl,
        baseProvider: provider.baseProviderType ?? providerName, extraHeaders: provider.upstream.extraHeaders, upstream: provider.upstream, expiresAt,
      },
    };
  }

  /**
   * Gives allowance back in the background (watchers see the counts come down); a failure only
   * leaves it counted until its window ends.
   */
  private release(items: ReleaseItem[]): void {
    if (items.length === 0) return;
    this.releasing = this.releasing
      .then(async () => {
        const now = this.clock.now();
        for (const row of await this.repository.release(items)) {
          const record = this.book.patch(row.integrationId, row.counters);
          if (record) this.feed?.note((record as IntegrationRecord & { brandId: string }).brandId, toIntegrationView(record, now));
        }
      })
      .catch((e: unknown) => this.warn('could not give back unused allowance (it is counted until its window ends)', e));
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
    this.book.update(row.record, row.encrypted);
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
