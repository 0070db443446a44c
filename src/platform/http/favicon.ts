/** GET /favicon.ico: a small key, so browsers opening the dashboard or GraphiQL find an icon (not a 404 in every log). */
import type { FastifyInstance } from 'fastify';

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f3a5f"/><circle cx="12" cy="16" r="6" fill="none" stroke="#f5c542" stroke-width="3"/><path d="M18 16h10m-4 0v5m-3-5v3" stroke="#f5c542" stroke-width="3" fill="none" stroke-linecap="round"/></svg>`;

export function mountFavicon(fastify: FastifyInstance): void {
  fastify.get('/favicon.ico', async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(ICON));
}
