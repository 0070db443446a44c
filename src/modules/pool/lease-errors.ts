/** The answers a caller gets when no key can serve: why each key was skipped and when to retry. */
import { AppError } from '../../platform/errors/app-error.js';
import { isoSeconds } from '../../platform/time/dates.js';

/** Why a key could not serve a lease: the values keypool_skip_reason gives, in its order. */
export type SkipReason =
  | 'inactive' | 'credential_unreadable' | 'not_batch' | 'environment_unset' | 'out_of_credits' | 'model_not_allowed'
  | 'unhealthy' | 'cooling_down' | 'spend_blocked' | 'minute_limit' | 'daily_limit' | 'token_minute_limit' | 'token_daily_limit' | 'concurrency_limit'
  | 'group_minute_limit' | 'group_daily_limit' | 'group_token_minute_limit' | 'group_token_daily_limit';

export interface SkippedKey {
  integrationId: number;
  reason: SkipReason;
  /** When the key frees up by itself; null when it does not. */
  until: Date | null;
  /** The unavailable environment variable, for environment_unset. */
  variable?: string;
  /** The quota group whose limit was reached, for the group_* reasons. */
  group?: string;
}

const DESCRIPTIONS: Record<SkipReason, (until: Date | null, variable?: string, group?: string) => string> = {
  inactive: () => 'inactive',
  credential_unreadable: () => 'credential cannot be decrypted with the configured keys',
  not_batch: () => 'not a batch key (use_for_batch_api is false)',
  environment_unset: (_t, variable) => `environment variable ${variable} is unset`,
  out_of_credits: (t) => (t ? `out of credits (HTTP 402) until ${isoSeconds(t)}` : 'out of credits (HTTP 402) until a billing sync shows a balance'),
  model_not_allowed: () => 'model not allowed',
  minute_limit: (t) => `minute limit reached until ${isoSeconds(t!)}`,
  daily_limit: (t) => `daily limit reached until ${isoSeconds(t!)}`,
  token_minute_limit: (t) => (t ? `token minute limit reached until ${isoSeconds(t)}` : 'the estimated tokens exceed its token minute limit'),
  token_daily_limit: (t) => (t ? `token daily limit reached until ${isoSeconds(t)}` : 'the estimated tokens exceed its token daily limit'),
  concurrency_limit: (t) => (t ? `concurrency limit reached (the first open lease expires ${isoSeconds(t)})` : 'concurrency limit reached'),
  group_minute_limit: (t, _v, g) => `quota group ${g} minute limit reached until ${isoSeconds(t!)}`,
  group_daily_limit: (t, _v, g) => `quota group ${g} daily limit reached until ${isoSeconds(t!)}`,
  group_token_minute_limit: (t, _v, g) => (t ? `quota group ${g} token minute limit reached until ${isoSeconds(t)}` : `the estimated tokens exceed quota group ${g}'s token minute limit`),
  group_token_daily_limit: (t, _v, g) => (t ? `quota group ${g} token daily limit reached until ${isoSeconds(t)}` : `the estimated tokens exceed quota group ${g}'s token daily limit`),
  cooling_down: (t) => `cooling down after a 429 until ${isoSeconds(t!)}`,
  unhealthy: (t) => (t ? `unhealthy (recovery probe due ${isoSeconds(t)})` : 'unhealthy'),
  spend_blocked: (t) => `spend limit exceeded (blocked until ${isoSeconds(t!)})`,
};

export function noKeyAvailable(providerName: string, skipped: SkippedKey[], retryAt: Date | null, now: Date): AppError {
  const reasons = skipped.map((s) => `#${s.integrationId} ${DESCRIPTIONS[s.reason](s.until, s.variable, s.group)}`).join('; ');
  const retryAfterSeconds = retryAt ? Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)) : null;
  const when = retryAt ? `earliest retry at ${isoSeconds(retryAt)} (in ${retryAfterSeconds} s)` : 'no key frees up by itself';
  return new AppError('lease.no_key_available', `No ${providerName} key is available: ${reasons}; ${when}`, {
    retryAfterSeconds,
    retryAt: retryAt && isoSeconds(retryAt),
    skipped: skipped.map((s) => ({ integrationId: s.integrationId, reason: s.reason, until: s.until && isoSeconds(s.until), ...(s.variable && { variable: s.variable }), ...(s.group && { group: s.group }) })),
  });
}

export const noKeysForProvider = (providerName: string) =>
  new AppError('lease.no_keys_for_provider', `This brand has no ${providerName} keys: add one first (POST /api/v1/integrations or createIntegration)`);

export const credentialUnreadable = (integrationId: number) =>
  new AppError(
    'lease.credential_unreadable',
    `The credential of key #${integrationId} cannot be decrypted with the configured encryption keys: the key was taken out of the pool and ` +
      'this lease was not counted. The operator must put the missing key back into KEYPOOL_ENCRYPTION_KEYS (after the current one).',
  );

export const leaseNotFound = () => new AppError('lease.not_found', 'Lease not found or expired');
export const leaseAlreadyReported = () => new AppError('lease.already_reported', 'This lease was already reported');

/** A lease not granted: why each key was skipped and when to retry, or no keys for the provider at all. */
export type LeaseRefusal =
  | { kind: 'refused'; providerName: string; skipped: SkippedKey[]; retryAt: Date | null; at: Date }
  | { kind: 'no_keys'; providerName: string };

/** A refusal as the error each transport renders (REST 429 with Retry-After, GraphQL NO_KEY_AVAILABLE). */
export function refusalError(outcome: LeaseRefusal): AppError {
  return outcome.kind === 'no_keys' ? noKeysForProvider(outcome.providerName) : noKeyAvailable(outcome.providerName, outcome.skipped, outcome.retryAt, outcome.at);
}
