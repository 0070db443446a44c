/** Liveness (/healthz: the process answers) and readiness (/readyz: the database answers). */
import type { FastifyInstance } from 'fastify';

export function mountProbes(fastify: FastifyInstance, isDatabaseReachable: () => Promise<boolean>): void {
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_request, reply) => {
    if (await isDatabaseReachable()) return { status: 'ready', database: 'up' };
    reply.code(503);
    return { status: 'unavailable', database: 'down' };
  });
}
