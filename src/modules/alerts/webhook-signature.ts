/**
 * Signatures of webhook deliveries, in the Standard Webhooks scheme (standardwebhooks.com): the
 * headers `webhook-id` (the delivery's id: the receiver's idempotency key), `webhook-timestamp`
 * (Unix seconds) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
 * `<id>.<timestamp>.<body>` under the secret's bytes, the part of `whsec_…` after the prefix).
 * A receiver recomputes it, compares in constant time, and refuses a timestamp more than five
 * minutes from its clock (a replay) and an id it has seen (a retry it already handled).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

export function signatureHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}
