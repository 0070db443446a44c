/**
 * The Content-Security-Policy of keypool's own pages (the dashboard, GraphiQL): everything from
 * this server, WebSockets only back to the host the page was loaded from, no framing, no forms
 * elsewhere. Scripts are this server's files, or inline scripts named by their hash.
 */
import { createHash } from 'node:crypto';

/** A Host header as a CSP source may hold it (anything else and WebSockets stay at 'self'). */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The CSP source of an inline script: `'sha256-…'` of its exact text. */
export const scriptHash = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`;

export function contentSecurityPolicy(host: string | undefined, options: { scriptSources?: readonly string[]; workers?: boolean } = {}): string {
  const sockets = host !== undefined && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${(options.scriptSources ?? []).map((s) => ` ${s}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    ...(options.workers ? ["worker-src 'self' blob:"] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
