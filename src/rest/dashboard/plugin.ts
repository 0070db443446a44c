/**
 * GET /dashboard: the live pool dashboard (its code in dashboard/src). The
 * page and its assets are public — every figure on it comes from the GraphQL
 * API with the signed-in user's token. Served compressed (brotli or gzip, as
 * the browser accepts), with ETags; hashed assets are cached for a year.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.js';
import { contentSecurityPolicy } from '../../platform/http/content-security-policy.js';
import { buildDashboard, type DashboardAsset, type DashboardFiles } from './bundle.js';

export function mountDashboard(fastify: FastifyInstance): { warm(): void } {
  let files: Promise<DashboardFiles> | null = null;
  const load = () => {
    files ??= buildDashboard().catch((e: unknown) => {
      files = null;
      fastify.log.error({ err: e }, 'the dashboard could not be built');
      throw new AppError('service.unavailable', 'The dashboard could not be built from dashboard/src (see the server log)');
    });
    return files;
  };

  function send(request: FastifyRequest, reply: FastifyReply, file: DashboardAsset) {
    reply
      .header('content-type', file.contentType)
      .header('etag', file.etag)
      .header('vary', 'accept-encoding')
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff');
    // What the page may load and connect to: this server only (its WebSocket on the page's own host).
    if (file.contentType.startsWith('text/html')) reply.header('content-security-policy', contentSecurityPolicy(request.headers.host)).header('referrer-policy', 'no-referrer');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    const accepted = String(request.headers['accept-encoding'] ?? '');
    if (/\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(file.br);
    if (/\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.identity);
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => send(request, reply, (await load()).get('index.html')!);
  fastify.get('/dashboard', { compress: false }, page);
  fastify.get<{ Params: { name: string } }>('/dashboard/assets/:name', { compress: false }, async (request, reply) => {
    const file = (await load()).get(`assets/${request.params.name}`);
    if (!file) throw new AppError('route.not_found', `No dashboard asset ${request.params.name.slice(0, 100)}`);
    return send(request, reply, file);
  });
  return { warm: () => void load().catch(() => {}) };
}
