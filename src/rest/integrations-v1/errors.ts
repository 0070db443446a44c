/** The Integrations v1 error envelope: `{ "success": false, "error": "…" }`. */
export const V1_PREFIX = '/api/v1/';

export const v1ErrorBody = (message: string) => ({ success: false as const, error: message });
