/** How reports move a key's health (the pool's settings; the configuration builds them). */
export interface HealthConfig {
  degradedAfter: number;
  unhealthyAfter: number;
  probeCooldownMs: number;
  probeCooldownMaxMs: number;
  rateLimitCooldownMs: number;
}
