/**
 * The pool at work: lease the best eligible key for one upstream request,
 * then take the report of what happened. The only place a credential is
 * decrypted. Events (health, spend-limit flips) are published after commit.
 *
 * A lease is picked in memory, from this instance's key book (key-book.ts),
 * by the pool's rule (selection.ts), and counted against the key's limits from
 * allowance claimed in slices (allowance.ts): a lease reaches the database
 * only when its key's slice is used up. Claims, reports, the usage counts of
 * leases granted and allowance given back share one statement per batch
 * (keypool_settle), and every instance's claims together never pass a limit.
 * A plain success is appended there with no lock on its key and folded into the
 * key, the ledger and its node by the next fold (any instance's, or a read's);
 * any other report is applied in the batch.
 */
import type { HealthConfig } from './health-settings.js';
import { isDatabaseUnavailable } from '../../platform/errors/database-errors.js';
import { AppError, field } from '../../platform/errors/app-error.js';
import { StatementBatcher, type BatchStats } from '../../platform/db/statement-batcher.js';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { Clock } from '../../platform/time/clock.js';
import { timeOrderedUuid } from '../../platform/crypto/time-ordered-uuid.js';
import { toDate, toDay } from '../../platform/time/dates.js';
import { isUuid } from '../brands/index.js';
import {
  countsAt, IntegrationRepository, providerResetZone, spendPeriodKey, toIntegrationView, utcDay, utcMinuteStart, utcMonthStart, resolveDocument, spendUsage,
  type CredentialVault, type EnvReferences, type HealthStatus, type IntegrationEvent, type IntegrationRecord, type IntegrationView, type KeyDocument,
  type ProviderDirectory, type ReadScope,
} from '../keys/index.js';
import { invalidProviderMessage, isProviderName, PROVIDER_NAME, type UpstreamSettings } from '../providers/index.js';
import { Allowance } from './allowance.js';
import { GrantedCounts } from './granted-counts.js';
import { Headroom } from './headroom.js';
import { KeyBook, type BookKey, type GroupProvider } from './key-book.js';
import { credentialUnreadable, leaseAlreadyReported, leaseNotFound, type LeaseRefusal, type SkipReason } from './lease-errors.js';
import {
  LeaseRepository, type ClaimItem, type ClaimRow, type CountItem, type FoldResult, type PoolTime, type ReportItem, type ReportRow, type Reservation,
  type ReserveItem, type ReserveRow, type ReturnItem, type SkippedKey, type FoldTarget,
} from './lease.repository.js';
import type { LeaseTokenSigner } from './lease-token.js';
import { OVERLOAD_BACKOFF_MS, readSignals, statedLimits, type ReportSignals } from './provider-signals.js';
import { isMetered, isProbe, pickKey, skipReason, skipUntil, timeOf, type LeaseAsk, type PoolKey, type TokenEstimate } from './selection.js';
import { validateUsageReport, type UsageReportInput } from './usage-input.js';
import type { UsageChanged, UsageFeed } from './usage-feed.js';
import { inSpan } from '../../platform/telemetry/spans.js';

export interface LeaseRequest {
  providerName: string;
  model?: string | null;
  nodeId?: string | null;
  /** A batch lease takes only keys marked use_for_batch_api (any lease may take those). */
  batch?: boolean | null;
  /** Keys the lease must not be (a failover's earlier attempts). */
  excludeIntegrationIds?: readonly number[];
  /** The tokens the request may use (input + output cap), reserved of a key's token limits; 0 to 100,000,000. */
  estimatedTokens?: number | null;
  /** Return the lease's routing story: every key of the provider and why it was chosen or passed over. */
  explain?: boolean | null;
  /** The same, as the gateway counts it: the input, and an output cap clamped to what each key allows (a function: counted only when a key with token limits is considered). */
  tokens?: TokenEstimate | (() => TokenEstimate) | null;
}

export interface KeyLease {
  leaseId: string;
  integrationId: number;
  providerName: string;
  /** The key's model aliases (the name a caller asks for -> the name its provider knows). */
  aliases: Record<string, string>;
  /** The key as it stands (built when read). */
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
  /** With `explain`: the keys of the provider in the pool's order, the chosen one first. */
  route?: RouteStep[];
}

/**
 * One key's part in a lease (explain): chosen; eligible but not drawn; or skipped, with the reason
 * and when it frees up. The figures the pick ranks by come with it (a due probe first, then
 * positive weights, priority, healthy before degraded, then the weighted draw, each weight times
 * the key's headroom).
 */
export interface RouteStep {
  integrationId: number;
  outcome: 'chosen' | 'eligible' | 'skipped';
  reason: SkipReason | null;
  until: Date | null;
  priority: number;
  weight: string;
  healthStatus: string;
  headroom: number;
  quotaGroup: string | null;
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
  /** The longest the key book uses a brand's provider before reading it again (bounds how long a change that published no event goes unseen here). */
  bookMaxAgeMs: number;
  /** How often idle allowance goes back (leases granted here are written to their keys' usage every COUNTS_INTERVAL_MS, or with it). */
  settleIntervalMs?: number;
  /** How often appended reports are folded into their keys (0: every report is applied at once). */
  foldIntervalMs?: number;
  /** The longest a batch waits for company while work arrives faster than one item per this many ms (0 or absent: never; StatementBatcher). */
  gatherMs?: number;
  /** Where the pool's background work reports a failure. */
  warn?: (message: string, error?: unknown) => void;
}

/** One item of a batch: a report, a claim of allowance, a lease of a key with token or concurrency limits, or usage counts and allowance given back. */
type PoolWork = { report: ReportItem } | { claim: ClaimItem } | { reserve: ReserveItem } | { housekeeping: Housekeeping };
/** The timer's work: usage counts written, allowance given back, and slices claimed ahead for keys in steady use (`refills`, held on arrival). */
interface Housekeeping {
  counts: CountItem[];
  returns: ReturnItem[];
  refills?: ClaimItem[];
}
type PoolResult = { report: ReportRow } | { claim: ClaimRow } | { reserve: ReserveRow } | { housekeeping: true };

/** A lease the database recorded before it is signed (a key with token or concurrency limits): its id, expiry, reserved tokens, and whether it is open. */
interface RecordedLease {
  leaseUuid: string;
  expiresAt: Date;
  reservation: Reservation | null;
  open: boolean;
}

/** A key of the group as a lease weighs it: the book's entry, and what selection reads of it now. */
interface CandidateKey extends PoolKey {
  key: BookKey;
}

const isTokenShort = (reason: SkipReason | null) => reason === 'token_minute_limit' || reason === 'token_daily_limit';

/** The largest estimate a lease may give. */
const MAX_ESTIMATED_TOKENS = 100_000_000;

/** Whether a node exists in a brand (a brand token may attribute a lease to one of its nodes). */
export type NodeLookup = (brandId: string, nodeId: string) => Promise<boolean>;

/** The last UTC minute poolTime was asked for, and what follows from it (every field but `now` turns with the minute). */
let lastMinute: { minute: number; time: Omit<PoolTime, 'now'> } | null = null;

/** The pool's clock reading for `now`: its UTC minute, day and month, and the spend periods' keys (worked out once a minute). */
function poolTime(now: Date): PoolTime {
  const minute = Math.floor(now.getTime() / 60_000);
  if (lastMinute?.minute !== minute) {
    lastMinute = {
      minute,
      time: { minuteStart: utcMinuteStart(now), today: utcDay(now), monthStart: utcMonthStart(now), dayKey: spendPeriodKey('daily', now), monthKey: spendPeriodKey('monthly', now) },
    };
  }
  const t = lastMinute.time;
  return { now, minuteStart: t.minuteStart, today: t.today, monthStart: t.monthStart, dayKey: t.dayKey, monthKey: t.monthKey };
}

const CONTENDED_RETRY_MS = 1000;
const SETTLE_INTERVAL_MS = 200;
/** Usage counts go to their keys once a second (or with allowance given back): one row write per busy key and second, not five. */
const COUNTS_INTERVAL_MS = 1000;
const FOLD_INTERVAL_MS = 1000;
/** What the folds of this instance did since start. */
export interface FoldStats {
  /** Fold timer turns this instance took (of every instance's timers, one folds per interval). */
  turns: number;
  /** Fold transactions: each folds a chunk of whole keys' appended reports, in key order. */
  transactions: number;
  /** Appended reports folded into their keys. */
  reports: number;
  /** Vacuums of pool_outcome run here, after timer turns (its rows deleted by folds cleared). */
  vacuums: number;
}

/** Within this long, 429s from half a provider's keys (three at least) are one limit on the provider. */
const MANY_RATE_LIMITED_WINDOW_MS = 10_000;
/**
 * Appended outcomes folded in one transaction at most, in key order (a fold with more to do runs
 * again at once): a batch that needs a key the fold holds waits for one such chunk.
 */
export const FOLD_LIMIT = 128;
/** A fold timer folds when no instance's timer did within this share of its interval (one fold per interval for the deployment). */
const FOLD_DUE_SHARE = 0.8;
/**
 * After a timer's turn, pool_outcome is vacuumed once this instance's folds have deleted this many
 * outcomes since its last vacuum: about a millisecond of PostgreSQL's time per thousand, against
 * scans that step over every dead row until autovacuum comes by.
 */
export const VACUUM_AFTER_FOLDED = 1000;

/**
 * Whether a success on this key may be appended and folded later, not applied at once: the key is
 * healthy with no failure counted (nothing to heal now) and has no `block` spend limit. A `warn`
 * limit is judged at the fold, so its event comes within the fold interval; a `block` limit is
 * judged on the report itself, so the report that crosses it takes the key out at once. A copy of
 * the key that is out of date is safe: the fold heals and judges spend limits as a report would.
 */
function appendable(record: IntegrationRecord | undefined): boolean {
  return record !== undefined && record.healthStatus === 'healthy' && record.consecutiveFailures === 0 && !isMetered(record)
    && ((record.spendLimitAmount ?? null) === null || record.spendLimitAction !== 'block');
}

/**
 * The routing story of a lease granted on `chosen`: the chosen key, then the other eligible ones
 * by priority and weight (one weighted draw decided among them), then the skipped ones with why.
 */
function routeOf(keys: readonly (PoolKey & { headroom?: number })[], chosen: number, ask: LeaseAsk, t: PoolTime, refusedByClaim: ReadonlyMap<number, SkippedKey>): RouteStep[] {
  const steps = keys.map((k): RouteStep => {
    const r = k.record;
    const skipped = r.id === chosen ? null : refusedByClaim.get(r.id) ?? (() => {
      const reason = skipReason(k, ask, t);
      return reason === null ? null : { integrationId: r.id, reason, until: skipUntil(k, reason, t, ask) };
    })();
    return {
      integrationId: r.id, outcome: r.id === chosen ? 'chosen' : skipped ? 'skipped' : 'eligible', reason: skipped?.reason ?? null, until: skipped?.until ?? null,
      priority: r.priority, weight: String(r.weight), healthStatus: r.healthStatus, headroom: k.headroom ?? 1, quotaGroup: r.quotaGroup ?? null,
    };
  });
  const rank = { chosen: 0, eligible: 1, skipped: 2 } as const;
  return steps.sort((a, b) => rank[a.outcome] - rank[b.outcome] || b.priority - a.priority || Number(b.weight) - Number(a.weight) || a.integrationId - b.integrationId);
}

/**
 * A lease's token estimate, as LeaseAsk.tokens: the gateway's (counted when first read), or a
 * caller's estimated_tokens (all of it input: never clamped).
 */
function tokenEstimate(request: LeaseRequest): Pick<LeaseAsk, 'tokens'> {
  const given = request.tokens;
  if (typeof given === 'function') {
    let counted: TokenEstimate | undefined;
    return { get tokens() { return (counted ??= given()); } };
  }
  if (given) return { tokens: given };
  const estimated = request.estimatedTokens ?? null;
  if (estimated === null) return { tokens: null };
  if (!Number.isInteger(estimated) || estimated < 0 || estimated > MAX_ESTIMATED_TOKENS) {
    throw new AppError('request.invalid', `${field('estimatedTokens')} must be a whole number from 0 to ${MAX_ESTIMATED_TOKENS}`);
  }
  return { tokens: { input: estimated, output: 0 } };
}

/** Counts of a key moved by a batch, as the SQL moves them: added in the same window, started over in a newer one. */
function countsAfter(record: IntegrationRecord, c: CountItem): Partial<IntegrationRecord> {
  const minute = toDate(record.minuteWindow ?? null);
  const day = toDay(record.dayWindow);
  const fields: Partial<IntegrationRecord> = {};
  if (minute !== null && minute.getTime() === c.minute.getTime()) fields.minuteCount = record.minuteCount + c.minuteN;
  else if (minute === null || minute.getTime() < c.minute.getTime()) Object.assign(fields, { minuteCount: c.minuteN, minuteWindow: c.minute });
  if (day === c.day) fields.dailyCount = record.dailyCount + c.dayN;
  else if (day === null || day < c.day) Object.assign(fields, { dailyCount: c.dayN, dayWindow: c.day });
  const lastUsed = toDate(record.lastUsedAt ?? null);
  if (lastUsed === null || lastUsed.getTime() < c.lastUsedAt.getTime()) fields.lastUsedAt = c.lastUsedAt;
  return fields;
}

/** Items of one kind for the same key, merged into one (one row update per key and statement). */
function mergeByKey<T extends { integrationId: number; minute: Date; minuteN: number; day: string; dayN: number; lastUsedAt?: Date }>(items: T[]): T[] {
  const byKey = new Map<number, T>();
  for (const item of items) {
    const seen = byKey.get(item.integrationId);
    if (!seen) {
      byKey.set(item.integrationId, { ...item });
      continue;
    }
    if (item.day > seen.day) Object.assign(seen, { day: item.day, dayN: 0 });
    if (item.day === seen.day) seen.dayN += item.dayN;
    if (item.minute.getTime() > seen.minute.getTime()) Object.assign(seen, { minute: item.minute, minuteN: 0 });
    if (item.minute.getTime() === seen.minute.getTime()) seen.minuteN += item.minuteN;
    if (item.lastUsedAt && seen.lastUsedAt && item.lastUsedAt > seen.lastUsedAt) seen.lastUsedAt = item.lastUsedAt;
  }
  return [...byKey.values()];
}

export class LeaseService {
  private readonly repository: LeaseRepository;
  private readonly integrations: IntegrationRepository;
  private readonly batches: StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>;
  /** This instance's copy of the keys it leases from. */
  private readonly book: KeyBook;
  private readonly allowance = new Allowance();
  private readonly granted = new GrantedCounts();
  /** What providers said is left of each key's budgets (a preference of the pick, per instance). */
  private readonly headroom = new Headroom();
  private readonly random: () => number;
  private readonly warn: (message: string, error?: unknown) => void;
  private readonly timer: NodeJS.Timeout;
  private readonly foldTimer: NodeJS.Timeout | null;
  private housekeeping: Promise<void> = Promise.resolve();
  /** Folds run one after another here; the timer's waits for none. */
  private folding: Promise<void> = Promise.resolve();
  private foldQueued = false;
  /**
   * Usage counts are written in turns, the keys of one share at each tick (each key once per
   * COUNTS_INTERVAL_MS), so no batch holds every busy key's lock at once.
   */
  private readonly countShares: number;
  private readonly folds: FoldStats = { turns: 0, transactions: 0, reports: 0, vacuums: 0 };
  /** Outcomes this instance's folds deleted since its last vacuum of pool_outcome. */
  private foldedSinceVacuum = 0;
  private countTurn = 0;
  /** The keys of each brand's provider that were rate limited lately, and when (manyRateLimited). */
  private readonly rateLimited = new Map<string, Map<number, number>>();

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
    this.random = settings.random ?? Math.random;
    this.warn = settings.warn ?? (() => {});
    this.integrations = new IntegrationRepository(pool);
    this.repository = new LeaseRepository(pool, {
      probeBaseMs: health.probeCooldownMs, probeMaxMs: health.probeCooldownMaxMs, degradedAfter: health.degradedAfter,
      unhealthyAfter: health.unhealthyAfter, rateLimitCooldownMs: health.rateLimitCooldownMs, creditProviders: settings.billingProviders,
    });
    // Concurrent reports, claims and counts, of any brands, share one statement; each batch is timed when it runs. Under load a
    // small batch waits a moment for more: with K instances each sees a K-th of the work, and its batches would be that much smaller.
    this.batches = new StatementBatcher<PoolWork, { result: PoolResult; time: PoolTime }>((work) => this.settle(work), {
      isShared: isDatabaseUnavailable, gatherMs: settings.gatherMs ?? 0,
    });
    this.book = new KeyBook((brandId, providerName) => this.repository.loadGroup(brandId, providerName), settings.bookMaxAgeMs);
    const settleMs = settings.settleIntervalMs ?? SETTLE_INTERVAL_MS;
    this.countShares = Math.max(1, Math.round(COUNTS_INTERVAL_MS / settleMs));
    this.timer = setInterval(() => void this.tick(), settleMs);
    this.timer.unref();
    const foldMs = settings.foldIntervalMs ?? FOLD_INTERVAL_MS;
    this.foldTimer = foldMs > 0 ? setInterval(() => void this.timedFold(foldMs).catch((e: unknown) => this.warn('pool: folding reports failed', e)), foldMs) : null;
    this.foldTimer?.unref();
  }

  /** Pool batches retried after a deadlock or serialization conflict, since start (for /metrics). */
  get batchRetries(): number {
    return this.repository.retries;
  }

  /** Pool batches run since start (reports, claims of allowance, usage counts), the items they held, and their time (for /metrics). */
  get batchStats(): Readonly<BatchStats> {
    return this.batches.stats;
  }

  /** Folds run here since start (for /metrics): the timer's turns taken, the transactions (a chunk of keys each), the reports folded. */
  get foldStats(): Readonly<FoldStats> {
    return this.folds;
  }

  /** Keys of a brand's provider changed (written here, or an event from any instance said so): the next lease reads them again. */
  keysChanged(brandId: string, providerName?: string): void {
    this.book.drop(brandId, providerName);
  }

  /**
   * What the usage feed says of keys, from any instance: a cooldown another instance's report set
   * (a 429 publishes no key event) reaches this instance's copy within the feed's interval.
   */
  usageSeen(event: UsageChanged): void {
    for (const usage of event.usages) {
      if (usage.cooldownUntil === null) continue;
      const key = this.book.find(usage.integrationId);
      const until = new Date(usage.cooldownUntil);
      const known = toDate(key?.record.cooldownUntil ?? null);
      if (key && (known === null || known < until)) this.book.patch(usage.integrationId, { cooldownUntil: until });
    }
  }

  /** Forgets every key this instance holds a copy of (what wrote keys behind the pool's back, such as a test, says so). */
  forgetKeys(): void {
    this.book.clear();
  }

  /**
   * Writes the leases granted here to their keys' usage now (before a read of keys, so it shows
   * them; of the keys in scope, or of every key), after the timer's batch in flight, if any (it
   * holds counts drained before this call).
   */
  async writeGrantedCounts(scope?: ReadScope): Promise<void> {
    await this.housekeeping;
    if (this.granted.size === 0) return;
    const counts = this.granted.drain(scope && this.inScope(scope));
    if (counts.length === 0) return;
    try {
      await this.batches.take({ housekeeping: { counts, returns: [] } });
    } catch (e) {
      this.granted.written(counts, false);
      throw e;
    }
  }

  /**
   * Writes what a read of a brand's keys must show first: the leases granted here, and the brand's
   * appended reports (of any instance) folded. A read of some keys alone (one key by its id) names
   * them: only theirs are written and folded. Either way a read waits for its own round trips, not
   * for a fold of every tenant's reports.
   */
  async writePending(scope: ReadScope): Promise<void> {
    await this.writeGrantedCounts(scope);
    await this.foldPending(scope);
  }

  /**
   * Folds the appended reports in scope (the keys named, or every key of the brand, those deleted
   * since included: a usage or node read counts them), after a fold of this instance in flight,
   * which may hold some of them.
   */
  async foldPending(scope: ReadScope): Promise<void> {
    await this.folding.catch(() => {});
    await this.foldUntilDone(scope.keys ? { keys: scope.keys } : { brandId: scope.brandId });
  }

  /** Whether a key is in a read's scope (by its brand as the key book knows it; a key it never held counts in every brand's). */
  private inScope(scope: ReadScope): (integrationId: number) => boolean {
    const { keys, brandId } = scope;
    if (keys) return (id) => keys.includes(id);
    return (id) => (this.book.brandOf(id) ?? brandId) === brandId;
  }

  /** Fold transactions (of the outcomes in scope, or of any key's) until one comes back short of a chunk: none is left. */
  private async foldUntilDone(target: FoldTarget | null): Promise<void> {
    for (;;) if ((await this.foldOnce(target)).folded < FOLD_LIMIT) return;
  }

  /**
   * Folds appended reports, of any instance, until none is left (one fold at a time here; a call
   * while one runs waits for it and for one more, which takes what was appended meanwhile).
   */
  foldOutcomes(): Promise<void> {
    if (this.foldQueued) return this.folding;
    this.foldQueued = true;
    const run = async () => {
      this.foldQueued = false;
      await this.foldUntilDone(null);
    };
    this.folding = this.folding.then(run, run);
    return this.folding;
  }

  /** One fold transaction (of the outcomes in scope, or of any key's), its changes to keys taken in and announced. */
  private async foldOnce(target: FoldTarget | null): Promise<FoldResult> {
    const time = poolTime(this.clock.now());
    const result = await this.repository.fold(time, FOLD_LIMIT, target);
    this.folds.transactions++;
    this.folds.reports += result.folded;
    this.foldedSinceVacuum += result.folded;
    for (const key of result.changed) {
      this.book.update(key.record, key.encrypted);
      const view = toIntegrationView(key.record, time.now);
      this.feed?.note(key.brandId, view.id, () => view);
      await this.publishReportEvents(key.brandId, view, { outcome: 'reported', ...key, creditsFlagged: false }, time.now);
    }
    return result;
  }

  /**
   * The timer's fold: only when no instance's timer folded within most of the interval, so a
   * deployment folds about once per interval however many instances it runs (each fold adds up
   * more outcomes per key, and holds the keys' locks once). An instance that stops leaves the turn
   * to the others at their next tick; a read folds at once, whoever's turn it is.
   */
  private async timedFold(intervalMs: number): Promise<void> {
    if (this.foldQueued) return;
    if (!(await this.repository.foldDue(Math.floor(intervalMs * FOLD_DUE_SHARE)))) return;
    this.folds.turns++;
    await this.foldOutcomes();
    if (this.foldedSinceVacuum < VACUUM_AFTER_FOLDED) return;
    this.foldedSinceVacuum = 0;
    this.folds.vacuums++;
    await this.repository.vacuumOutcomes();
  }

  /** Writes what is pending and gives back every slice this instance holds (shutdown), and waits for it. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.foldTimer) clearInterval(this.foldTimer);
    await this.housekeeping;
    const returns = this.allowance.all(poolTime(this.clock.now()));
    const counts = this.granted.drain();
    if (returns.length > 0 || counts.length > 0) await this.batches.take({ housekeeping: { counts, returns } }).catch((e: unknown) => this.warn('pool: giving back allowance at shutdown failed', e));
    // Appended reports would be folded by another instance, or at the next start; folding them now leaves nothing behind.
    await this.foldOutcomes().catch((e: unknown) => this.warn('pool: folding reports at shutdown failed', e));
  }

  /**
   * The timer's work, in one batch: allowance idle or of a past minute given back, the usage counts
   * of leases granted (each key's once per COUNTS_INTERVAL_MS, or with allowance given back), and the
   * next slice of each roomy key in steady use whose slice is nearly used up or ended with its minute.
   */
  private tick(): Promise<void> {
    const time = poolTime(this.clock.now());
    // The keys of one share are due at each tick, each key once per COUNTS_INTERVAL_MS: their usage counts, and when a minute
    // turns, their slices of the past minute (claimed again ahead, then given back), so no batch holds every busy key at once.
    // Paced by the timer's ticks (the process's own time: the pool's clock may be a test's, standing still).
    const turn = this.countTurn++ % this.countShares;
    const due = (id: number) => id % this.countShares === turn;
    // Claimed ahead before slices of a past minute go back (a key in use when the minute turned is claimed for the new one).
    const { refills, outdated } = this.refills(time, due);
    const returns = [...outdated, ...this.allowance.idle(time, undefined, due)];
    // With allowance given back, every count goes with it.
    const counts = this.granted.size === 0 ? [] : this.granted.drain(returns.length > 0 ? undefined : due);
    if (returns.length === 0 && counts.length === 0 && refills.length === 0) return this.housekeeping;
    this.housekeeping = this.batches.take({ housekeeping: { counts, returns, refills } }).then(
      () => {},
      (e: unknown) => {
        // Counts are noted again for the next batch; allowance not given back stays claimed until its window ends (never past a limit).
        this.granted.written(counts, false);
        this.warn('pool: writing usage counts and giving back allowance failed', e);
      },
    );
    return this.housekeeping;
  }

  /**
   * Slices to claim ahead: keys this instance holds a slice of, in use, that a lease could take now
   * (selection's rule, with no allowance held) and whose slice is down to a quarter, or ended with
   * its minute and the key is `due` (allowance.ts refill). And slices claimed under limits the key
   * no longer has, to give back (allowance.ts outdated).
   */
  private refills(time: PoolTime, due: (integrationId: number) => boolean): { refills: ClaimItem[]; outdated: ReturnItem[] } {
    const out: ClaimItem[] = [];
    const outdated: ReturnItem[] = [];
    let ask: LeaseAsk | undefined;
    for (const id of this.allowance.inUse()) {
      const key = this.book.find(id);
      if (!key || isMetered(key.record) || isProbe(key.record)) continue;
      const t = timeOf(key.record, time);
      if (this.allowance.outdated(id, key.record)) {
        outdated.push(...this.allowance.drop(id, t));
        continue;
      }
      if (!due(id) && this.allowance.outlived(id, t)) continue;
      const n = this.allowance.refill(id, key.record, t);
      if (n === 0) continue;
      ask ??= { model: null, batch: false, envAvailable: new Set(this.availableEnvironment()) };
      if (skipReason({ record: key.record, held: 0 }, ask, time) === null) out.push({ integrationId: id, n, probe: false });
    }
    return { refills: out, outdated };
  }

  /**
   * One batch in one statement. Claims go one per key: one lease for each waiter plus the largest
   * slice one of them asked to hold; each waiter then gets one lease, in arrival order, and what
   * is left is held for the next leases of the key.
   */
  private async settle(work: PoolWork[]): Promise<{ result: PoolResult; time: PoolTime }[]> {
    const time = poolTime(this.clock.now());
    const reports: ReportItem[] = [];
    const counts: CountItem[] = [];
    const returns: ReturnItem[] = [];
    const reserves: ReserveItem[] = [];
    const merged = new Map<number, ClaimItem & { waiters: number; extra: number }>();
    /** One claim of a key per batch: a lease for each waiter, plus the largest slice one of them asked to hold. */
    const want = (claim: ClaimItem, waiters: 0 | 1) => {
      const seen = merged.get(claim.integrationId);
      if (seen) Object.assign(seen, { waiters: seen.waiters + waiters, extra: Math.max(seen.extra, claim.n - waiters), probe: seen.probe || claim.probe });
      else merged.set(claim.integrationId, { ...claim, waiters, extra: claim.n - waiters });
    };
    for (const w of work) {
      if ('report' in w) reports.push(w.report);
      else if ('reserve' in w) reserves.push(w.reserve);
      else if ('housekeeping' in w) {
        counts.push(...w.housekeeping.counts);
        returns.push(...w.housekeeping.returns);
        // A slice claimed ahead: no lease waits on it, all of it is held.
        for (const refill of w.housekeeping.refills ?? []) want(refill, 0);
      } else want(w.claim, 1);
    }
    const claims = [...merged.values()].map((m) => ({ integrationId: m.integrationId, n: m.probe ? 1 : m.waiters + m.extra, probe: m.probe }));
    const writtenCounts = mergeByKey(counts);
    const result = await this.repository.settle({ reports, claims, reserves, counts: writtenCounts, returns: mergeByKey(returns) }, time);
    for (const c of writtenCounts) {
      const key = this.book.find(c.integrationId);
      if (key) this.book.patch(c.integrationId, countsAfter(key.record, c));
    }
    this.granted.written(counts, true);
    for (const row of result.reports) {
      if (row.outcome === 'reported') this.book.update(row.record, row.encrypted);
      else if (row.outcome === 'appended') this.book.patch(row.integrationId, row.spend);
    }
    const left = new Map<number, number>();
    const byKey = new Map<number, ClaimRow>();
    claims.forEach((claim, at) => {
      const row = result.claims[at];
      byKey.set(claim.integrationId, row);
      left.set(claim.integrationId, row.granted);
      if (row.record) this.book.update(row.record, row.encrypted);
    });
    for (const row of result.reserves) if (row.record) this.book.update(row.record, row.encrypted);
    let nextReport = 0;
    let nextReserve = 0;
    const out = work.map((w): { result: PoolResult; time: PoolTime } => {
      if ('report' in w) return { result: { report: result.reports[nextReport++] }, time };
      if ('reserve' in w) return { result: { reserve: result.reserves[nextReserve++] }, time };
      if ('housekeeping' in w) return { result: { housekeeping: true }, time };
      const id = w.claim.integrationId;
      const row = byKey.get(id)!;
      const granted = Math.min(1, left.get(id)!);
      left.set(id, left.get(id)! - granted);
      return { result: { claim: { ...row, granted } }, time };
    });
    for (const [id, surplus] of left) {
      const record = byKey.get(id)?.record;
      if (surplus > 0 && record) this.allowance.hold(id, surplus, record, timeOf(record, time));
    }
    return out;
  }

  /**
   * The best eligible key, counted against its limits, with its decrypted credential; or why
   * none can serve. The lease belongs to the caller's node (`actorNodeId`, for a node
   * credential), or to the node a brand token names.
   */
  async leaseKey(brandId: string, request: LeaseRequest, actorNodeId: string | null = null): Promise<LeaseOutcome> {
    const attributes = { 'keypool.provider': String(request.providerName), 'keypool.model': request.model ?? '', 'keypool.excluded_keys': request.excludeIntegrationIds?.length ?? 0 };
    return inSpan('keypool.lease', attributes, async (span) => {
      const outcome = await this.leaseUntraced(brandId, request, actorNodeId);
      span.setAttribute('keypool.lease.outcome', outcome.kind);
      if (outcome.kind === 'leased') span.setAttribute('keypool.integration_id', outcome.lease.integrationId);
      return outcome;
    });
  }

  private async leaseUntraced(brandId: string, request: LeaseRequest, actorNodeId: string | null): Promise<LeaseOutcome> {
    const providerName = request.providerName;
    if (typeof providerName !== 'string' || !PROVIDER_NAME.test(providerName)) throw new AppError('provider.unknown', invalidProviderMessage());
    const model = request.model ?? null;
    if (model !== null && (model.length === 0 || model.length > 255)) throw new AppError('request.invalid', `${field('model')} must be 1 to 255 characters`);
    const batch = request.batch ?? false;
    if (typeof batch !== 'boolean') throw new AppError('request.invalid', `${field('batch')} must be a boolean`);
    const explain = request.explain ?? false;
    if (typeof explain !== 'boolean') throw new AppError('request.invalid', `${field('explain')} must be a boolean`);
    const nodeId = await this.attributeTo(brandId, request.nodeId ?? null, actorNodeId);
    const excluded = new Set(request.excludeIntegrationIds ?? []);
    const ask: LeaseAsk = { model, batch, envAvailable: new Set(this.availableEnvironment()), ...tokenEstimate(request) };
    // Keys whose own lease claim refused this lease (a limit another instance used up, the concurrency limit): skipped, with the database's reason.
    const refusedByClaim = new Map<number, SkippedKey>();
    for (let attempt = 0; ; attempt++) {
      const group = await this.book.group(brandId, providerName);
      const time = poolTime(this.clock.now());
      const keys: CandidateKey[] = [];
      for (const key of group.keys) {
        const id = key.record.id;
        if (!excluded.has(id)) keys.push({ key, record: key.record, held: this.allowance.held(id, timeOf(key.record, time)), headroom: this.headroom.of(id, time.now) });
      }
      if (keys.length === 0) return this.refusal(brandId, providerName, [], false, time.now);
      const untried = keys.filter((k) => !refusedByClaim.has(k.record.id));
      // A key this instance saw without room for the tokens may have got some back from another instance's report (only its claim can say): tried when no other key can serve.
      const picked = pickKey(untried.filter((k) => skipReason(k, ask, time) === null), this.random)
        ?? pickKey(untried.filter((k) => isTokenShort(skipReason(k, ask, time))), this.random);
      // More refused claims than keys: the keys keep changing under the pick; worth a retry in a moment.
      if (!picked || attempt > keys.length) {
        const skipped = keys.map((k): SkippedKey | null => {
          const reason = skipReason(k, ask, time);
          const claimed = refusedByClaim.get(k.record.id);
          if (reason === null || (claimed && isTokenShort(reason))) return claimed ?? null;
          const variable = reason === 'environment_unset' ? (k.record.envRefs ?? []).find((name) => !ask.envAvailable.has(name)) : undefined;
          return { integrationId: k.record.id, reason, until: skipUntil(k, reason, time, ask), ...(variable !== undefined && { variable }) };
        }).filter((s): s is SkippedKey => s !== null);
        return this.refusal(brandId, providerName, skipped, picked !== null, time.now);
      }
      const id = picked.record.id;
      const probe = isProbe(picked.record);
      if (!probe && isMetered(picked.record)) {
        // Token and concurrency limits, a quota group: each lease is counted on its own, in the database, with its estimate.
        const reserve: ReserveItem = {
          integrationId: id, input: ask.tokens?.input ?? 0, output: ask.tokens?.output ?? 0, leaseUuid: timeOrderedUuid(),
          expiresAt: new Date(this.clock.now().getTime() + this.settings.leaseTtlSeconds * 1000),
        };
        const { result, time: at } = await this.batches.take({ reserve });
        const row = (result as { reserve: ReserveRow }).reserve;
        if (row.record === null) {
          this.book.remove(brandId, providerName, id);
          continue;
        }
        if (row.granted === 0) {
          const refused: SkippedKey = { integrationId: id, reason: row.refusal ?? 'minute_limit', until: row.refusedUntil };
          const quotaGroup = row.record.quotaGroup ?? null;
          if (quotaGroup !== null && refused.reason.startsWith('group_')) {
            // The group's limit holds for every key of it: none of them is tried again for this lease.
            for (const k of keys) if (k.record.quotaGroup === quotaGroup && !refusedByClaim.has(k.record.id)) refusedByClaim.set(k.record.id, { ...refused, integrationId: k.record.id, group: quotaGroup });
          } else refusedByClaim.set(id, refused);
          continue;
        }
        const recorded: RecordedLease = {
          leaseUuid: reserve.leaseUuid, expiresAt: reserve.expiresAt, open: (row.record.concurrencyLimit ?? null) !== null,
          reservation: { tokens: row.reserved ?? 0, minute: at.minuteStart, day: timeOf(row.record, at).today, group: row.record.quotaGroup ?? null },
        };
        // The key as the reservation left it, even where an event dropped the book's copy meanwhile (the picked one is from before).
        return this.withRoute(await this.grant(brandId, providerName, this.book.find(id) ?? { ...picked.key, record: row.record }, false, nodeId, model, group.provider, time, recorded),
          explain && (() => routeOf(keys, id, ask, time, refusedByClaim)));
      }
      // Limits changed since the key's slice was claimed: it goes back (first, in the batch order), and this lease claims anew.
      if (this.allowance.outdated(id, picked.record)) this.giveBack(this.allowance.drop(id, timeOf(picked.record, time)));
      let leased = picked.key;
      if (probe || !this.allowance.take(id, timeOf(picked.record, time))) {
        const { result } = await this.batches.take({ claim: { integrationId: id, n: probe ? 1 : this.allowance.sliceSize(id, picked.record), probe } });
        const claim = (result as { claim: ClaimRow }).claim;
        if (claim.record === null) {
          this.book.remove(brandId, providerName, id);
          continue;
        }
        if (claim.granted === 0) continue;
        this.allowance.claimed(id);
        leased = { ...picked.key, record: claim.record };
      }
      return this.withRoute(await this.grant(brandId, providerName, this.book.find(id) ?? leased, probe, nodeId, model, group.provider, time),
        explain && (() => routeOf(keys, id, ask, time, refusedByClaim)));
    }
  }

  /** A granted lease with its routing story, when asked for. */
  private withRoute(outcome: LeaseOutcome, route: false | (() => RouteStep[])): LeaseOutcome {
    if (route && outcome.kind === 'leased') outcome.lease.route = route();
    return outcome;
  }

  /** The lease of a key just counted: its credential opened, its token signed, its use noted for the key's usage. */
  private async grant(
    brandId: string, providerName: string, key: BookKey, probe: boolean, nodeId: string | null, model: string | null, provider: GroupProvider, time: PoolTime,
    recorded: RecordedLease | null = null,
  ): Promise<LeaseOutcome> {
    let document: KeyDocument;
    try {
      // Opened once per ciphertext: the book keeps it with the key's entry.
      document = key.document ??= this.vault.open(key.encrypted);
    } catch {
      this.giveBack(this.allowance.drop(key.record.id, timeOf(key.record, time)));
      return this.refuseUnreadable(brandId, key.record.id, key.record.healthStatus as HealthStatus, timeOf(key.record, time));
    }
    this.granted.note(key.record.id, timeOf(key.record, time));
    const resolved = resolveDocument(document, this.settings.envReferences.lookup);
    if ('unset' in resolved) {
      // The variable went away between the pick and now.
      return { kind: 'refused', providerName, skipped: [{ integrationId: key.record.id, reason: 'environment_unset', until: null, variable: resolved.unset }], retryAt: null, at: time.now };
    }
    const expiresAt = recorded?.expiresAt ?? new Date(time.now.getTime() + this.settings.leaseTtlSeconds * 1000);
    const { token } = this.tokens.sign({
      integrationId: key.record.id, brandId, expiresAt, probe, nodeId, model,
      ...(recorded && { leaseUuid: recorded.leaseUuid, reservation: recorded.reservation, open: recorded.open }),
    });
    const id = key.record.id;
    const record = key.record;
    // The key as it stands, read only by those who ask (GraphQL, the feed's next flush): a REST lease never builds it.
    const view = () => this.viewOf(this.book.find(id)?.record ?? record, poolTime(this.clock.now()));
    this.feed?.note(brandId, id, view, 'lease');
    let integration: IntegrationView | undefined;
    return {
      kind: 'leased',
      lease: {
        leaseId: token, integrationId: id, providerName: record.providerName, aliases: record.aliases ?? {},
        get integration() { return (integration ??= view()); }, credentials: resolved.credentials, baseUrl: provider.baseUrl,
        baseProvider: provider.baseProviderType ?? providerName, extraHeaders: provider.upstream.extraHeaders, upstream: provider.upstream, expiresAt,
      },
    };
  }

  /** The key as it stands, with the leases granted here that are not written yet. */
  private viewOf(record: IntegrationRecord, at: PoolTime): IntegrationView {
    const t = timeOf(record, at);
    const pending = this.granted.of(record.id, t);
    if (pending.day === 0) return toIntegrationView(record, t.now);
    const stored = countsAt(record, t.now);
    return toIntegrationView({
      ...record, minuteCount: stored.minuteCount + pending.minute, minuteWindow: t.minuteStart, dailyCount: stored.dailyCount + pending.day,
      dayWindow: t.today, lastUsedAt: pending.lastUsedAt ?? record.lastUsedAt,
    }, t.now);
  }

  /** Allowance that goes back with the next batch. */
  private giveBack(returns: ReturnItem[]): void {
    if (returns.length === 0) return;
    this.batches.take({ housekeeping: { counts: [], returns } }).catch((e: unknown) => this.warn('pool: giving back allowance failed', e));
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
    return inSpan('keypool.report', { 'keypool.report.success': input.success === true }, async (span) => {
      const view = await this.reportUntraced(brandId, input, options);
      span.setAttribute('keypool.integration_id', view.id);
      span.setAttribute('keypool.health_status', view.healthStatus);
      return view;
    });
  }

  private async reportUntraced(brandId: string, input: UsageReportInput, options: { heldForCall?: boolean }): Promise<IntegrationView> {
    const report = validateUsageReport(input);
    const claims = this.tokens.verify(report.leaseId);
    if (!claims || claims.brandId !== brandId || (!options.heldForCall && claims.expiresAt <= this.clock.now())) throw leaseNotFound();
    const { record: known, baseProvider } = await this.reportedKey(brandId, claims.integrationId);
    const signals = readSignals({ baseProvider, resetZone: known?.dailyResetZone ?? providerResetZone(baseProvider), ...report }, this.clock.now());
    this.headroom.note(claims.integrationId, report.headers, this.clock.now());
    const stated = statedLimits(baseProvider, report.headers);
    const newLimits = (stated.minute !== null && stated.minute !== (known?.observedMinuteLimit ?? null))
      || (stated.day !== null && stated.day !== (known?.observedDailyLimit ?? null));
    // A report the provider's signals act on (a rest, a class, limits it states anew) is applied at once; a plain success is appended.
    const counted = (claims.reservation ?? null) !== null || claims.open === true;
    const append = this.foldTimer !== null && report.success && !claims.probe && !counted && signals.restUntil === null && !newLimits && appendable(known);
    const { result, time } = await this.batches.take({
      report: {
        leaseUuid: claims.leaseUuid, integrationId: claims.integrationId, brandId, nodeId: claims.nodeId, model: claims.model,
        append, outcomeClass: signals.outcomeClass, restUntil: signals.restUntil, detail: signals.detail,
        statedMinuteLimit: stated.minute, statedDailyLimit: stated.day,
        success: report.success, statusCode: report.statusCode ?? null, errorType: report.errorType ?? null,
        retryAfterSeconds: report.retryAfterSeconds ?? null, probe: claims.probe, costUsd: report.costUsd,
        promptTokens: report.promptTokens, completionTokens: report.completionTokens, latencyMs: report.latencyMs ?? null,
        firstTokenMs: report.timeToFirstTokenMs ?? null, tokensGiven: report.tokensGiven, reserved: claims.reservation ?? null, open: claims.open ?? false,
      },
    });
    const row = (result as { report: ReportRow }).report;
    if (row.outcome === 'not_found') throw leaseNotFound();
    if (row.outcome === 'already_reported') throw leaseAlreadyReported();
    if (row.outcome === 'appended') {
      // The key as this instance knows it, with the spend the report left (exact: every instance's appended reports are in it).
      const copy = this.book.find(row.integrationId)?.record ?? (await this.integrations.find(brandId, row.integrationId));
      if (!copy) throw leaseNotFound();
      const view = toIntegrationView({ ...copy, ...row.spend }, time.now);
      this.feed?.note(brandId, view.id, () => view);
      return view;
    }
    const view = toIntegrationView(row.record, time.now);
    this.feed?.note(brandId, view.id, () => view);
    await this.publishReportEvents(brandId, view, row, time.now);
    // Limits the provider states anew apply from the next claim: what this instance holds of the key goes back first, and the group is read again.
    await this.beyondTheKey(brandId, row.record, signals, newLimits, time).catch((e: unknown) => this.warn('pool: acting on a report beyond its key failed', e));
    return view;
  }

  /**
   * The key a report is about, and the catalog provider it is (or is built on), from this
   * instance's copy; when a key event dropped the copy since the lease, its group is read again
   * (the next lease needs it too).
   */
  private async reportedKey(brandId: string, integrationId: number): Promise<{ record: IntegrationRecord | undefined; baseProvider: string }> {
    let record = this.book.find(integrationId)?.record;
    if (!record) {
      const stored = await this.integrations.find(brandId, integrationId);
      if (stored) record = (await this.book.group(brandId, stored.providerName)).keys.find((k) => k.record.id === integrationId)?.record ?? stored;
    }
    return { record, baseProvider: this.book.providerOf(integrationId)?.baseProviderType ?? record?.providerName ?? '' };
  }

  /**
   * What a report sets off beyond its own key, once the report is taken: limits the provider stated
   * anew (this instance's slice of the key given back), a provider's backoff. The report is
   * committed by then, so a failure here is logged, never the report's answer.
   */
  private async beyondTheKey(brandId: string, record: IntegrationRecord, signals: ReportSignals, newLimits: boolean, time: PoolTime): Promise<void> {
    if (newLimits) {
      const returns = this.allowance.drop(record.id, timeOf(record, time));
      if (returns.length > 0) await this.batches.take({ housekeeping: { counts: [], returns } });
      this.book.drop(brandId, record.providerName);
    }
    if (signals.outcomeClass === 'overloaded' && signals.restUntil) await this.restProvider(brandId, record.providerName, signals.restUntil, time);
    else if (signals.outcomeClass === 'rate_limited' && this.manyRateLimited(brandId, record, time.now)) {
      // Half the provider's keys or more refused at once: a limit on the provider (an address-wide one), not on each key.
      await this.restProvider(brandId, record.providerName, signals.restUntil ?? new Date(time.now.getTime() + OVERLOAD_BACKOFF_MS), time);
    }
  }

  /**
   * Whether this 429 makes at least three of the provider's keys, and at least half of them, rate
   * limited within ten seconds (as this instance saw them).
   */
  private manyRateLimited(brandId: string, record: IntegrationRecord, now: Date): boolean {
    const name = `${brandId}/${record.providerName}`;
    const seen = this.rateLimited.get(name) ?? new Map<number, number>();
    this.rateLimited.set(name, seen);
    seen.set(record.id, now.getTime());
    // Only keys still of the provider, refused within the window, count.
    for (const [id, at] of seen) if (at < now.getTime() - MANY_RATE_LIMITED_WINDOW_MS || this.book.find(id)?.record.providerName !== record.providerName) seen.delete(id);
    if (seen.size < 3 || seen.size * 2 < this.book.groupSizeOf(record.id)) return false;
    this.rateLimited.delete(name);
    return true;
  }

  /**
   * An overloaded provider's backoff: every key of it in the brand rests (no penalty on any). This
   * instance reads the group again; other instances see the rests through the usage feed.
   */
  private async restProvider(brandId: string, providerName: string, until: Date, time: PoolTime): Promise<void> {
    const rested = await this.repository.restProvider(brandId, providerName, until);
    this.book.drop(brandId, providerName);
    for (const record of rested) {
      const view = toIntegrationView(record, time.now);
      this.feed?.note(brandId, record.id, () => view);
    }
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
