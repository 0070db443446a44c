/** The answers a caller gets when no key can serve: why each key was skipped and when to retry. */
import { AppError } from '../../platform/errors/app-error.js';
import type { Skip, SkipReason } from './selection.js';

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const DESCRIPTIONS: Record<SkipReason, (until: Date | null) => string> = {
  inactive: () => 'inactive',
  model_not_allowed: () => 'model not allowed',
  minute_limit: (t) => `minute limit reached until ${iso(t!)}`,
  daily_limit: (t) => `daily limit reached until ${iso(t!)}`,
  cooling_down: (t) => `cooling down after a 429 until ${iso(t!)}`,
  unhealthy: (t) => (t ? `unhealthy (recovery probe due ${iso(t)})` : 'unhealthy'),
  spend_blocked: (t) => `spend limit exceeded (blocked until ${iso(t!)})`,
};

export function noKeyAvailable(providerName: string, skipped: Skip[], retryAt: Date | null, now: Date): AppError {
  const reasons = skipped.map((s) => `#${s.integrationId} ${DESCRIPTIONS[s.reason](s.until)}`).join('; ');
  const retryAfterSeconds = retryAt ? Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)) : null;
  const when = retryAt ? `earliest retry at ${iso(retryAt)} (in ${retryAfterSeconds} s)` : 'no key frees up by itself';
  return new AppError('lease.no_key_available', `No ${providerName} key is available: ${reasons}; ${when}`, {
    retryAfterSeconds,
    retryAt: retryAt && iso(retryAt),
    skipped: skipped.map((s) => ({ integrationId: s.integrationId, reason: s.reason, until: s.until && iso(s.until) })),
  });
}

export const noKeysForProvider = (providerName: string) =>
  new AppError('lease.no_keys_for_provider', `This brand has no ${providerName} keys: add one first (POST /api/v1/integrations or createIntegration)`);

export const leaseNotFound = () => new AppError('lease.not_found', 'Lease not found or expired');
export const leaseAlreadyReported = () => new AppError('lease.already_reported', 'This lease was already reported');
