/**
 * Nodes and node credentials in the v1 dialect: snake_case, ISO-8601 times.
 * A created or rolled credential is the document's flat body (no `success`
 * wrapper), the only answer that ever carries a secret.
 */
import type { CreateNodeCredentialInput, IssuedNodeCredential, NodeCredentialView, NodeInput, NodeView, VerifyResult } from '../../modules/nodes/index.js';
import { isoSeconds } from '../../platform/time/dates.js';
import { rejectUnknownFields, type JsonObject } from '../request-fields.js';

const iso = (d: Date | null) => (d === null ? null : isoSeconds(d));

export const NODE_CREDENTIAL_FIELDS = ['node_id', 'name', 'permissions', 'expires_at'] as const;
export const NODE_FIELDS = ['name', 'description'] as const;

export const isNodeCredentialBody = (body: unknown) =>
  body !== null && typeof body === 'object' && !Array.isArray(body) && 'node_id' in body && !('provider_name' in body);

export function parseNodeCredentialBody(body: JsonObject): CreateNodeCredentialInput {
  rejectUnknownFields(body, NODE_CREDENTIAL_FIELDS);
  return { nodeId: body.node_id, name: body.name, permissions: body.permissions, expiresAt: body.expires_at };
}

export function parseNodeBody(body: JsonObject): NodeInput {
  rejectUnknownFields(body, NODE_FIELDS);
  return { name: body.name, description: body.description };
}

export function toV1Node(node: NodeView) {
  return {
    id: node.id,
    name: node.name,
    description: node.description,
    created_at: iso(node.createdAt),
    updated_at: iso(node.updatedAt),
    usage: { leases: node.usage.leases, failures: node.usage.failures, spend_today: Number(node.usage.spendToday), spend_month: Number(node.usage.spendMonth) },
  };
}

export function toV1Credential(c: NodeCredentialView) {
  return {
    id: c.id,
    node_id: c.nodeId,
    name: c.name,
    api_key: c.apiKey,
    permissions: c.permissions,
    expires_at: iso(c.expiresAt),
    created_at: iso(c.createdAt),
    last_used_at: iso(c.lastUsedAt),
    revoked_at: iso(c.revokedAt),
  };
}

/** The document's 201 body, field for field. */
export function toV1IssuedCredential(c: IssuedNodeCredential) {
  return {
    id: c.id,
    node_id: c.nodeId,
    name: c.name,
    api_key: c.apiKey,
    secret: c.secret,
    permissions: c.permissions,
    expires_at: iso(c.expiresAt),
    created_at: iso(c.createdAt),
  };
}

export function toV1Verification(v: VerifyResult) {
  if (v.code === 'NOT_FOUND') return { valid: false, code: v.code };
  return {
    valid: v.valid,
    code: v.code,
    node_id: v.nodeId,
    credential_id: v.credentialId,
    permissions: v.permissions,
    expires_at: iso(v.expiresAt),
  };
}
