/**
 * Nodes and their credentials over REST, in the v1 dialect: the REST twins of
 * the GraphQL node fields, plus verify and the node-token exchange.
 */
import type { FastifyInstance } from 'fastify';
import { grantorOf } from '../../modules/nodes/index.js';
import { AppError } from '../../platform/errors/app-error.js';
import { isoSeconds } from '../../platform/time/dates.js';
import type { Services } from '../../services.js';
import { accessOf, throttled } from '../access.js';
import { queryInteger, rejectUnknownFields, requireObjectBody } from '../request-fields.js';
import { parseNodeBody, toV1Credential, toV1IssuedCredential, toV1Node, toV1Verification } from './node-mapping.js';

type NodeParams = { Params: { id: string } };
type CredentialParams = { Params: { id: string; credentialId: string } };

export function mountNodeRoutesV1(fastify: FastifyInstance, services: Services): void {
  fastify.post('/nodes', { config: { permission: 'nodes.write' } }, async (request, reply) => {
    const node = await services.nodes.createNode(accessOf(request).brandId, parseNodeBody(requireObjectBody(request.body)));
    reply.code(201);
    return { success: true, node: toV1Node(node) };
  });

  fastify.get<{ Querystring: Record<string, string> }>('/nodes', { config: { permission: 'nodes.read' } }, async (request) => {
    rejectUnknownFields(request.query, ['limit', 'offset'], 'query parameter');
    const page = await services.nodes.listNodes(accessOf(request).brandId, queryInteger(request.query.limit, 'limit'), queryInteger(request.query.offset, 'offset'));
    return { success: true, nodes: page.items.map(toV1Node), total: page.total, limit: page.limit, offset: page.offset };
  });

  fastify.get<NodeParams>('/nodes/:id', { config: { permission: 'nodes.read' } }, async (request) => {
    return { success: true, node: toV1Node(await services.nodes.getNode(accessOf(request).brandId, request.params.id)) };
  });

  fastify.patch<NodeParams>('/nodes/:id', { config: { permission: 'nodes.write' } }, async (request) => {
    const node = await services.nodes.updateNode(accessOf(request).brandId, request.params.id, parseNodeBody(requireObjectBody(request.body)));
    return { success: true, node: toV1Node(node) };
  });

  fastify.delete<NodeParams>('/nodes/:id', { config: { permission: 'nodes.write' } }, async (request) => {
    await services.nodes.deleteNode(accessOf(request).brandId, request.params.id);
    return { success: true };
  });

  fastify.get<NodeParams>('/nodes/:id/integrations', { config: { permission: 'nodes.read' } }, async (request) => {
    const credentials = await services.nodeCredentials.listCredentials(accessOf(request).brandId, request.params.id);
    return { success: true, integrations: credentials.map(toV1Credential) };
  });

  fastify.delete<CredentialParams>('/nodes/:id/integrations/:credentialId', { config: { permission: 'nodes.write' } }, async (request) => {
    const revoked = await services.nodeCredentials.revokeCredential(accessOf(request).brandId, request.params.id, request.params.credentialId);
    return { success: true, integration: toV1Credential(revoked) };
  });

  fastify.post<CredentialParams>('/nodes/:id/integrations/:credentialId/roll', { config: { permission: 'nodes.write' } }, async (request) => {
    const { brandId, principal } = accessOf(request);
    const body = request.body === undefined || request.body === null ? {} : requireObjectBody(request.body);
    rejectUnknownFields(body, ['grace_seconds']);
    const rolled = await services.nodeCredentials.rollCredential(brandId, grantorOf(principal), request.params.id, request.params.credentialId, body.grace_seconds);
    return toV1IssuedCredential(rolled);
  });

  fastify.post('/integrations/verify', { config: { permission: 'nodes.read' } }, async (request) => {
    const body = requireObjectBody(request.body);
    rejectUnknownFields(body, ['api_key', 'secret', 'permission']);
    return toV1Verification(await services.nodeCredentials.verifyCredential(accessOf(request).brandId, body.api_key, body.secret, body.permission));
  });

  // Authenticated by the node credential itself (HTTP Basic): it needs no permission of its own.
  fastify.post('/auth/token', { config: { permission: 'public' } }, async (request) => {
    const header = request.headers.authorization ?? '';
    if (!/^Basic\s/i.test(header)) throw new AppError('auth.unauthenticated', 'Send the node credential as Authorization: Basic <base64 of api_key:secret>');
    const auth = await services.authenticator.authenticate(header, { clientAddress: request.ip });
    if (auth.kind === 'rejected' && auth.retryAfterSeconds !== undefined) throw throttled(auth.retryAfterSeconds);
    if (auth.kind !== 'authenticated' || auth.principal.kind !== 'node') throw new AppError('auth.unauthenticated', 'Invalid API key or secret');
    const apiKey = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8').split(':')[0];
    const issued = await services.nodeCredentials.issueNodeToken(auth.principal, apiKey);
    return { token: issued.token, expires_at: isoSeconds(issued.expiresAt) };
  });
}
