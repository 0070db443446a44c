/**
 * Each REST dialect renders errors in its own body. A dialect registers the
 * URL space it owns (a path prefix) and its renderer; the generic error
 * handler asks here, so it knows no dialect and no error code by name.
 */
import type { AppError } from '../platform/errors/app-error.js';

export interface Dialect {
  /** Every URL of the dialect starts with it (followed by "/", "?" or nothing). */
  prefix: string;
  errorBody(error: AppError): object;
}

const owns = (prefix: string, url: string) => url === prefix || url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || url.startsWith(`${prefix}?`);

export class Dialects {
  private readonly dialects: Dialect[] = [];

  register(dialect: Dialect): void {
    this.dialects.push(dialect);
  }

  /** The dialect that owns a URL, or null (keypool's own `{ error: { code, message } }`). */
  of(url: string): Dialect | null {
    return this.dialects.find((d) => owns(d.prefix, url)) ?? null;
  }
}
