/**
 * Each REST dialect renders errors in its own body. A dialect is a Fastify
 * plugin registered at the URL space it owns (its prefix) with its own error
 * handlers. The router's own errors (a malformed URL) come before any plugin
 * is chosen; only those are matched to a dialect by prefix, here.
 */
import type { AppError } from '../platform/errors/app-error.js';

export interface Dialect {
  /** Every URL of the dialect starts with it (followed by "/", "?" or nothing). */
  prefix: string;
  errorBody(error: AppError): object;
}

/** The URL spaces of keypool's REST dialects and the gateway: every route there declares a permission, every input there is guarded. */
export const API_URLS = /^\/(api|v1|v1beta)\//;

const owns = (prefix: string, url: string) => url === prefix || url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || url.startsWith(`${prefix}?`);

export class Dialects {
  constructor(private readonly dialects: Dialect[] = []) {}

  /** The dialect that owns a URL, or null (keypool's own `{ error: { code, message } }`). */
  of(url: string): Dialect | null {
    return this.dialects.find((d) => owns(d.prefix, url)) ?? null;
  }
}
