/**
 * Browser pages of other origins (Bifrost's web UI served on its own host, an internal
 * console) may call the API when the operator lists their origins in KEYPOOL_CORS_ORIGINS:
 * preflights are answered, credentials (cookies, Authorization) allowed, and the headers
 * a client reads (Retry-After, the Bifrost dialect's ignored fields) exposed. No origin is
 * allowed unless listed; with none listed there are no CORS headers at all.
 */
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

export async function mountCors(fastify: FastifyInstance, origins: readonly string[], exposedHeaders: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await fastify.register(fastifyCors, {
    origin: [...origins],
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'accept'],
    exposedHeaders: ['retry-after', ...exposedHeaders],
    maxAge: 600,
  });
}
