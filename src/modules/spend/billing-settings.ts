/** The billing sync: each instance claims due keys and asks the provider's billing API (or keypool's own ledger). */
export interface BillingConfig {
  enabled: boolean;
  /** A key is synced again this long after its last sync (±10 % jitter). */
  intervalMs: number;
  /** How often an instance looks for due keys. */
  tickMs: number;
  /** Billing requests in flight per instance. */
  concurrency: number;
  /** One billing request's time limit. */
  timeoutMs: number;
  openrouterUrl: string;
  falUrl: string;
}

/** What the background work (billing sync, flag re-arming, pruning) is told. */
export interface BackgroundSettings {
  billing: BillingConfig;
  /** Days of the usage ledger kept. */
  usageRetentionDays: number;
  /** A lease's life: reported-lease ids are kept for twice as long. */
  leaseTtlSeconds: number;
  /** Days of key event history kept. */
  eventRetentionDays: number;
}
