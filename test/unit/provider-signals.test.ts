/** What a provider's answer says about a key (src/modules/pool/provider-signals.ts). */
import { describe, expect, it } from 'vitest';
import { durationMs, readSignals, type ReportFacts } from '../../src/modules/pool/provider-signals.js';
import { dayIn, isResetZone, nextDayStart, providerResetZone } from '../../src/modules/keys/reset-clock.js';

const now = new Date('2026-03-10T12:00:00Z');
/** A failure of a key whose reset zone is its provider's default. */
const failure = (f: Partial<ReportFacts>) => {
  const baseProvider = f.baseProvider ?? 'groq';
  return readSignals({ baseProvider, resetZone: providerResetZone(baseProvider), success: false, headers: {}, errorBody: null, ...f }, now);
};
const body = (value: unknown) => JSON.stringify(value);
const at = (ms: number) => new Date(now.getTime() + ms);

describe('readSignals', () => {
  it('reads a dead credential from 401, 403, Gemini\'s API_KEY_INVALID and a suspended or revoked key or account', () => {
    expect(failure({ statusCode: 401 })).toEqual({ outcomeClass: 'credential_dead', restUntil: null, detail: 'HTTP 401' });
    expect(failure({ statusCode: 403 }).outcomeClass).toBe('credential_dead');
    const gemini = body([{ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } }]);
    expect(failure({ statusCode: 400, errorBody: gemini })).toEqual({ outcomeClass: 'credential_dead', restUntil: null, detail: 'HTTP 400 API_KEY_INVALID' });
    expect(failure({ statusCode: 403, errorBody: body({ message: 'This account has been suspended' }) }).detail).toBe('HTTP 403, the provider says the key or its account is suspended');
    expect(failure({ statusCode: 400, errorBody: body({ error: { message: 'Your API key was revoked.' } }) }).outcomeClass).toBe('credential_dead');
  });

  it('leaves a caller\'s error to the status: a bad request, a disabled model, a context too long', () => {
    for (const message of ['The model `llama-2` has been disabled', 'This model\'s maximum context length is 8192 tokens', 'Invalid request']) {
      expect(failure({ statusCode: 400, errorBody: body({ error: { message } }) })).toEqual({ outcomeClass: null, restUntil: null, detail: null });
    }
    expect(failure({ statusCode: 404 }).outcomeClass).toBeNull();
  });

  it('reads an overloaded provider from Anthropic\'s 529 and a 503 that says so; another 503 is a failure as before', () => {
    expect(failure({ statusCode: 529 }).outcomeClass).toBe('overloaded');
    expect(failure({ statusCode: 503, errorBody: body({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }).outcomeClass).toBe('overloaded');
    expect(failure({ statusCode: 503, errorBody: body({ error: { message: 'unavailable' } }) }).outcomeClass).toBeNull();
    expect(failure({ statusCode: 500 }).outcomeClass).toBeNull();
    // The provider rests for the delay it states, or 5 s.
    expect(failure({ statusCode: 529 })).toEqual({ outcomeClass: 'overloaded', restUntil: at(5000), detail: 'HTTP 529 overloaded' });
    expect(failure({ statusCode: 529, headers: { 'retry-after': '12' } }).restUntil).toEqual(at(12_000));
  });

  it('rests a rate-limited key for the longest delay stated: Retry-After, RetryInfo, a spent budget\'s reset', () => {
    expect(failure({ statusCode: 429, headers: { 'retry-after': '20' } })).toEqual({ outcomeClass: 'rate_limited', restUntil: at(20_000), detail: null });
    expect(failure({ statusCode: 429, retryAfterSeconds: 5, headers: { 'retry-after': '7' } }).restUntil).toEqual(at(7000));
    const retryInfo = body([{ error: { code: 429, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '13.5s' }] } }]);
    expect(failure({ statusCode: 429, errorBody: retryInfo }).restUntil).toEqual(at(13_500));
    expect(failure({ statusCode: 429, headers: { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m30.5s', 'retry-after': '2' } }).restUntil).toEqual(at(90_500));
    expect(failure({ statusCode: 429, headers: { 'retry-after': 'Tue, 10 Mar 2026 12:01:00 GMT' } }).restUntil).toEqual(at(60_000));
    // Nothing stated: the configured cooldown applies (the SQL's).
    expect(failure({ statusCode: 429 })).toEqual({ outcomeClass: 'rate_limited', restUntil: null, detail: null });
    // A stated rest is taken up to a day and a bit.
    expect(failure({ statusCode: 429, headers: { 'retry-after': '9999999' } }).restUntil).toEqual(at(26 * 3_600_000));
  });

  it('parks a key whose daily quota is spent until the provider\'s next daily reset', () => {
    const perDay = body([{ error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '23s' },
    ] } }]);
    // Midnight in Los Angeles (PDT since 8 March): 07:00 UTC.
    expect(failure({ baseProvider: 'google_ai', statusCode: 429, errorBody: perDay })).toEqual({ outcomeClass: 'quota_exhausted', restUntil: new Date('2026-03-11T07:00:00Z'), detail: 'daily quota exhausted' });
    // A key set to reset in another zone parks until that zone's midnight.
    expect(failure({ baseProvider: 'google_ai', resetZone: 'Europe/Berlin', statusCode: 429, errorBody: perDay }).restUntil).toEqual(new Date('2026-03-10T23:00:00Z'));
    const perMinute = perDay.replace('PerDay', 'PerMinute');
    expect(failure({ baseProvider: 'google_ai', statusCode: 429, errorBody: perMinute })).toEqual({ outcomeClass: 'rate_limited', restUntil: at(23_000), detail: null });
    expect(failure({ statusCode: 429, errorBody: body({ error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }) }))
      .toEqual({ outcomeClass: 'quota_exhausted', restUntil: new Date('2026-03-11T00:00:00Z'), detail: 'daily quota exhausted' });
  });

  it('rests a key after a success whose headers say a budget is spent, until it resets', () => {
    const success = (headers: Record<string, string>) => readSignals({ baseProvider: 'groq', resetZone: 'UTC', success: true, headers, errorBody: null }, now);
    expect(success({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2m59.56s' })).toEqual({ outcomeClass: null, restUntil: at(179_560), detail: null });
    expect(success({ 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': '2026-03-10T12:00:42Z' }).restUntil).toEqual(at(42_000));
    expect(success({ 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-reset-requests': '2s' })).toEqual({ outcomeClass: null, restUntil: null, detail: null });
  });
});

describe('daily resets and durations', () => {
  it('finds the next midnight in the provider\'s zone, across a daylight-saving change', () => {
    const zone = (p: string) => providerResetZone(p);
    expect(nextDayStart(zone('groq'), now)).toEqual(new Date('2026-03-11T00:00:00Z'));
    expect(nextDayStart(zone('google_ai'), new Date('2026-01-15T07:59:00Z'))).toEqual(new Date('2026-01-15T08:00:00Z'));
    expect(nextDayStart(zone('google_ai'), new Date('2026-01-15T08:00:00Z'))).toEqual(new Date('2026-01-16T08:00:00Z'));
    // 8 March 2026, 01:00 PST: the next midnight is already PDT.
    expect(nextDayStart(zone('gemini'), new Date('2026-03-08T09:00:00Z'))).toEqual(new Date('2026-03-09T07:00:00Z'));
    // Any IANA zone: Tokyo's midnight is 15:00 UTC; its day is the next UTC day's.
    expect(nextDayStart('Asia/Tokyo', new Date('2026-03-10T14:59:00Z'))).toEqual(new Date('2026-03-10T15:00:00Z'));
    expect(dayIn('Asia/Tokyo', new Date('2026-03-10T15:00:00Z'))).toBe('2026-03-11');
    expect(dayIn('America/Los_Angeles', new Date('2026-03-10T06:59:00Z'))).toBe('2026-03-09');
    expect(dayIn('America/Los_Angeles', new Date('2026-03-10T07:00:00Z'))).toBe('2026-03-10');
    expect(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires'].every(isResetZone)).toBe(true);
    expect(['', 'Mars/Olympus', 'PST8PDT; drop table', 'local', 42].some(isResetZone)).toBe(false);
  });

  it('reads OpenAI\'s and Groq\'s durations', () => {
    expect(durationMs('20ms')).toBe(20);
    expect(durationMs('6s')).toBe(6000);
    expect(durationMs('1m30.5s')).toBe(90_500);
    expect(durationMs('2h1m')).toBe(7_260_000);
    expect(durationMs('soon')).toBeNull();
    expect(durationMs('5x')).toBeNull();
  });
});

describe('statedLimits and effectiveLimits', () => {
  it('reads a request limit only where the provider documents its window', async () => {
    const { statedLimits } = await import('../../src/modules/pool/provider-signals.js');
    expect(statedLimits('openai', { 'x-ratelimit-limit-requests': '500' })).toEqual({ minute: 500, day: null });
    expect(statedLimits('groq', { 'x-ratelimit-limit-requests': '14400' })).toEqual({ minute: null, day: 14400 });
    expect(statedLimits('cerebras', { 'x-ratelimit-limit-requests-day': '14400', 'x-ratelimit-limit-requests': '30' })).toEqual({ minute: null, day: 14400 });
    expect(statedLimits('anthropic', { 'anthropic-ratelimit-requests-limit': '50' })).toEqual({ minute: 50, day: null });
    expect(statedLimits('mistral', { 'x-ratelimit-limit-requests': '60' })).toEqual({ minute: null, day: null });
    expect(statedLimits('openai', { 'x-ratelimit-limit-requests': 'lots' })).toEqual({ minute: null, day: null });
  });

  it('enforces the tighter of the configured and the stated limit: a configured limit is a ceiling', async () => {
    const { effectiveLimits } = await import('../../src/modules/pool/effective-limits.js');
    expect(effectiveLimits({ minuteLimit: 30, dailyLimit: null, observedMinuteLimit: 50, observedDailyLimit: 1000 })).toEqual({ minute: 30, day: 1000 });
    expect(effectiveLimits({ minuteLimit: 30, dailyLimit: 500, observedMinuteLimit: 20, observedDailyLimit: null })).toEqual({ minute: 20, day: 500 });
    expect(effectiveLimits({ minuteLimit: null, dailyLimit: null, observedMinuteLimit: null, observedDailyLimit: null })).toEqual({ minute: null, day: null });
  });
});
