/**
 * Reading a provider's error body, whatever its shape: OpenAI's and Anthropic's
 * `{ error: { message, type, code } }`, Google's array of one `[{ error: { code, message, status, details } }]`,
 * a bare `{ message }` or `{ error: "…" }`.
 */

/** The body as JSON, or null when it is not JSON. */
export function parseProviderBody(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The error object of the body (Google's first element's), or null. */
export function providerError(body: unknown): Record<string, unknown> | null {
  const first = Array.isArray(body) ? body[0] : body;
  const error = (first as { error?: unknown } | null)?.error;
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : null;
}

/** What the provider says in words: the error's message, an error given as a string, or a bare message; null when none. */
export function providerMessage(body: unknown): string | null {
  const first = Array.isArray(body) ? body[0] : body;
  const error = (first as { error?: unknown } | null)?.error;
  const message = typeof error === 'string' ? error : providerError(body)?.message ?? (first as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : null;
}
