/**
 * Sends the outbox's due deliveries, on a timer of its own on every instance, never on a caller's
 * path: a receiver that is slow or down holds up nothing but its own deliveries. Each attempt is
 * signed (webhook-signature.ts) and bounded by a time limit; a 2xx delivers it, anything else
 * retries it after a delay that doubles (with jitter) until the attempts run out.
 */
import { Agent, request } from 'undici';
import type { SqlPool } from '../../platform/db/sql-pool.js';
import type { FernetRing } from '../../platform/crypto/fernet-ring.js';
import type { UpstreamGuard } from '../../platform/http/upstream-guard.js';
import type { Clock } from '../../platform/time/clock.js';
import { renderDelivery } from './alert.js';
import type { AlertOutbox, DueDelivery } from './alert-outbox.js';
import { signatureHeaders } from './webhook-signature.js';

export interface AlertSettings {
  dispatchIntervalMs: number;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  watchIntervalMs: number;
}

/** Attempts in flight at once per instance. */
export const MAX_IN_FLIGHT = 20;
/** Attempts in flight at once to one webhook, across instances: a receiver that hangs holds at most these. */
export const MAX_IN_FLIGHT_PER_WEBHOOK = 4;
const MAX_RETRY_MS = 3_600_000;

/** When the attempt after `attempts` failed ones is made; null: give up. */
export function retryDelayMs(attempts: number, settings: Pick<AlertSettings, 'maxAttempts' | 'retryBaseMs'>, random: number): number | null {
  if (attempts >= settings.maxAttempts) return null;
  const delay = Math.min(MAX_RETRY_MS, settings.retryBaseMs * 2 ** (attempts - 1));
  return Math.round(delay * (0.9 + 0.2 * random));
}

export class AlertDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly agent: Agent;
  private readonly attempting = new Set<Promise<void>>();
  private closed = false;
  /** Attempts in flight now (for tests and /metrics). */
  inFlight = 0;
  /** Attempts made by this instance, by result. */
  readonly attempts = { delivered: 0, failed: 0 };

  constructor(
    private readonly pool: SqlPool,
    private readonly outbox: AlertOutbox,
    private readonly ring: FernetRing,
    guard: UpstreamGuard,
    private readonly clock: Clock,
    private readonly settings: AlertSettings,
    private readonly warn: (message: string, error?: unknown) => void,
    private readonly random: () => number = Math.random,
  ) {
    this.agent = new Agent({ connect: { timeout: settings.timeoutMs, lookup: guard.lookup('public') }, keepAliveTimeout: 10_000 });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.settings.dispatchIntervalMs);
    this.timer.unref();
  }

  /** Looks for due deliveries now (an alert was just queued); a round in progress runs once more after. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((e: unknown) => this.warn('alert deliveries: a round failed; the next one retries', e))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * One round: claims what is due, as many as there are free places in flight, and starts them;
   * each attempt that ends looks again. A round never waits for a receiver.
   */
  async round(): Promise<void> {
    const free = MAX_IN_FLIGHT - this.inFlight;
    if (free <= 0 || this.closed) return;
    const due = await this.outbox.claimDue(this.pool, this.clock.now(), free, this.settings.timeoutMs + 5000, MAX_IN_FLIGHT_PER_WEBHOOK);
    for (const d of due) {
      const attempt = this.attempt(d).finally(() => {
        this.attempting.delete(attempt);
        if (!this.closed) this.kick();
      });
      this.attempting.add(attempt);
    }
  }

  /** Waits for the attempts in flight (tests). */
  async settled(): Promise<void> {
    while (this.running || this.attempting.size > 0) await Promise.all([this.running, ...this.attempting]);
  }

  private async attempt(d: DueDelivery): Promise<void> {
    this.inFlight++;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const body = renderDelivery(d.format, d.id, d.alert);
      const headers = {
        'content-type': 'application/json', 'user-agent': 'keypool-alerts/1', 'idempotency-key': d.id,
        ...signatureHeaders(this.ring.decrypt(d.secretEncrypted), d.id, Math.floor(this.clock.now().getTime() / 1000), body),
      };
      const answer = await request(d.url, {
        method: 'POST', body, headers, dispatcher: this.agent, signal: AbortSignal.timeout(this.settings.timeoutMs), maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      status = answer.statusCode;
      const text = (await answer.body.text()).slice(0, 200);
      if (status < 200 || status > 299) error = `receiver answered HTTP ${status}${text ? `: ${text}` : ''}`;
    } catch (e) {
      error = describe(e, this.settings.timeoutMs);
    } finally {
      this.inFlight--;
    }
    const now = this.clock.now();
    try {
      if (error === null) {
        this.attempts.delivered++;
        await this.outbox.delivered(this.pool, d.id, status!, now);
      } else {
        this.attempts.failed++;
        const delay = retryDelayMs(d.attempts, this.settings, this.random());
        await this.outbox.attemptFailed(this.pool, d.id, status, error, delay === null ? null : new Date(now.getTime() + delay));
      }
    } catch (e) {
      // The claim expires and the delivery is attempted again: at least once.
      this.warn('alert deliveries: an attempt could not be recorded', e);
    }
  }

  /** Stops; attempts in flight are cut (their claims expire, and another instance or the next start sends them again). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.agent.destroy();
    await Promise.all(this.attempting);
  }
}

/** Why an attempt failed, without the URL (it may be a secret). */
function describe(e: unknown, timeoutMs: number): string {
  const name = (e as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = (e as { code?: string; cause?: { code?: string } }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  if (code === 'KEYPOOL_FORBIDDEN_UPSTREAM') return 'the URL resolves to an address keypool may not call';
  return code ? `could not reach the receiver (${code})` : 'could not reach the receiver';
}
