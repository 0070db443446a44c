import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { CurrentBrandId, CurrentBrandPrincipal, type BrandPrincipal } from '../../platform/auth/principal-args.js';
import type { NodeCredentialService } from './node-credential.service.js';
import type { NodeService } from './node.service.js';
import { grantorOf } from './authenticator.js';
import { DEFAULT_NODE_PAGE, MAX_NODE_PAGE } from './node.service.js';
import {
  CreateNodeCredentialInput, CreateNodeInput, NodeCredentialSecretType, NodeCredentialType, NodeCredentialVerificationType, NodePageType, NodeType,
  UpdateNodeInput, VerifyNodeCredentialInput,
} from './node.types.js';

const withSecret = (issued: NodeCredentialType & { secret: string }): NodeCredentialSecretType => {
  const { secret, ...credential } = issued;
  return { credential, secret };
};

@Resolver(() => NodeType)
export class NodeResolver {
  constructor(
    private readonly nodeService: NodeService,
    private readonly nodeCredentials: NodeCredentialService,
  ) {}

  @Authorized('nodes.read')
  @Query(() => NodePageType, {
    description: 'The brand\'s nodes, oldest first.',
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? DEFAULT_NODE_PAGE), MAX_NODE_PAGE) * childComplexity,
  })
  nodes(
    @CurrentBrandId() brandId: string,
    @Arg('limit', () => Int, { defaultValue: DEFAULT_NODE_PAGE }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<NodePageType> {
    return this.nodeService.listNodes(brandId, limit, offset);
  }

  @Authorized('nodes.read')
  @Query(() => NodeType, { nullable: true, description: 'One node of the brand; null when it does not exist (or is another brand\'s).' })
  node(@Arg('id', () => ID) id: string, @CurrentBrandId() brandId: string): Promise<NodeType | null> {
    return this.nodeService.findNode(brandId, id);
  }

  @Authorized('nodes.read')
  @FieldResolver(() => [NodeCredentialType], { description: 'The node\'s credentials, newest first (never their secrets).' })
  credentials(@Root() node: NodeType, @CurrentBrandId() brandId: string): Promise<NodeCredentialType[]> {
    return this.nodeCredentials.listCredentials(brandId, node.id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType)
  createNode(@Arg('input', () => CreateNodeInput) input: CreateNodeInput, @CurrentBrandId() brandId: string): Promise<NodeType> {
    return this.nodeService.createNode(brandId, input);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType)
  updateNode(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateNodeInput) input: UpdateNodeInput, @CurrentBrandId() brandId: string): Promise<NodeType> {
    return this.nodeService.updateNode(brandId, id, { name: input.name ?? undefined, description: input.description });
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType, { description: 'Deletes the node and revokes its credentials; returns the node as it was.' })
  deleteNode(@Arg('id', () => ID) id: string, @CurrentBrandId() brandId: string): Promise<NodeType> {
    return this.nodeService.deleteNode(brandId, id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialSecretType, { description: 'Issues a credential for a node; its secret is in this answer only.' })
  async createNodeCredential(@Arg('input', () => CreateNodeCredentialInput) input: CreateNodeCredentialInput, @CurrentBrandPrincipal() principal: BrandPrincipal): Promise<NodeCredentialSecretType> {
    const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.toISOString() : input.expiresAt;
    return withSecret(await this.nodeCredentials.createCredential(principal.brandId, grantorOf(principal), { ...input, expiresAt }));
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialType, { description: 'Revokes a credential on every instance within a second; its open WebSockets close with 4403.' })
  revokeNodeCredential(@Arg('nodeId', () => ID) nodeId: string, @Arg('id', () => ID) id: string, @CurrentBrandId() brandId: string): Promise<NodeCredentialType> {
    return this.nodeCredentials.revokeCredential(brandId, nodeId, id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialSecretType, { description: 'A new secret, shown once; the old one stays valid for graceSeconds (default 0).' })
  async rollNodeCredential(
    @Arg('nodeId', () => ID) nodeId: string,
    @Arg('id', () => ID) id: string,
    @CurrentBrandPrincipal() principal: BrandPrincipal,
    @Arg('graceSeconds', () => Int, { nullable: true }) graceSeconds?: number | null,
  ): Promise<NodeCredentialSecretType> {
    return withSecret(await this.nodeCredentials.rollCredential(principal.brandId, grantorOf(principal), nodeId, id, graceSeconds));
  }

  @Authorized('nodes.read')
  @Query(() => NodeCredentialVerificationType, { description: 'What an api_key and secret of this brand are, as a code (VALID, NOT_FOUND, EXPIRED, REVOKED, INSUFFICIENT_PERMISSIONS).' })
  async verifyNodeCredential(@Arg('input', () => VerifyNodeCredentialInput) input: VerifyNodeCredentialInput, @CurrentBrandId() brandId: string): Promise<NodeCredentialVerificationType> {
    const result = await this.nodeCredentials.verifyCredential(brandId, input.apiKey, input.secret, input.permission);
    if (result.code === 'NOT_FOUND') return { valid: false, code: result.code, nodeId: null, credentialId: null, permissions: null, expiresAt: null } as NodeCredentialVerificationType;
    return result as NodeCredentialVerificationType;
  }
}
