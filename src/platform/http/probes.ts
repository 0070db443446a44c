/**
 * Liveness (/healthz: the process answers) and readiness (/readyz: the
 * database answers and the event LISTEN connection is up).
 */
import type { FastifyInstance } from 'fastify';

export function mountProbes(fastify: FastifyInstance, isDatabaseReachable: () => Promise<boolean>, isListening: () => boolean): void {
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_request, reply) => {
    const database = (await isDatabaseReachable()) ? 'up' : 'down';
    const events = isListening() ? 'listening' : 'reconnecting';
    const ready = database === 'up' && events === 'listening';
    if (!ready) reply.code(503);
    return { status: ready ? 'ready' : 'unavailable', database, events };
  });
}
