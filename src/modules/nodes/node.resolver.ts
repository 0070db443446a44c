import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireBrandId, requireBrandPrincipal, type GraphQLContext } from '../../graphql/context.js';
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
  @Authorized('nodes.read')
  @Query(() => NodePageType, {
    description: 'The brand\'s nodes, oldest first.',
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? DEFAULT_NODE_PAGE), MAX_NODE_PAGE) * childComplexity,
  })
  nodes(
    @Ctx() ctx: GraphQLContext,
    @Arg('limit', () => Int, { defaultValue: DEFAULT_NODE_PAGE }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<NodePageType> {
    return ctx.services.nodes.listNodes(requireBrandId(ctx), limit, offset);
  }

  @Authorized('nodes.read')
  @Query(() => NodeType, { nullable: true, description: 'One node of the brand; null when it does not exist (or is another brand\'s).' })
  node(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<NodeType | null> {
    return ctx.services.nodes.findNode(requireBrandId(ctx), id);
  }

  @Authorized('nodes.read')
  @FieldResolver(() => [NodeCredentialType], { description: 'The node\'s credentials, newest first (never their secrets).' })
  credentials(@Root() node: NodeType, @Ctx() ctx: GraphQLContext): Promise<NodeCredentialType[]> {
    return ctx.services.nodeCredentials.listCredentials(requireBrandId(ctx), node.id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType)
  createNode(@Arg('input', () => CreateNodeInput) input: CreateNodeInput, @Ctx() ctx: GraphQLContext): Promise<NodeType> {
    return ctx.services.nodes.createNode(requireBrandId(ctx), input);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType)
  updateNode(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateNodeInput) input: UpdateNodeInput, @Ctx() ctx: GraphQLContext): Promise<NodeType> {
    return ctx.services.nodes.updateNode(requireBrandId(ctx), id, { name: input.name ?? undefined, description: input.description });
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeType, { description: 'Deletes the node and revokes its credentials; returns the node as it was.' })
  deleteNode(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<NodeType> {
    return ctx.services.nodes.deleteNode(requireBrandId(ctx), id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialSecretType, { description: 'Issues a credential for a node; its secret is in this answer only.' })
  async createNodeCredential(@Arg('input', () => CreateNodeCredentialInput) input: CreateNodeCredentialInput, @Ctx() ctx: GraphQLContext): Promise<NodeCredentialSecretType> {
    const principal = requireBrandPrincipal(ctx);
    const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.toISOString() : input.expiresAt;
    return withSecret(await ctx.services.nodeCredentials.createCredential(principal.brandId, grantorOf(principal), { ...input, expiresAt }));
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialType, { description: 'Revokes a credential on every instance within a second; its open WebSockets close with 4403.' })
  revokeNodeCredential(@Arg('nodeId', () => ID) nodeId: string, @Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<NodeCredentialType> {
    return ctx.services.nodeCredentials.revokeCredential(requireBrandId(ctx), nodeId, id);
  }

  @Authorized('nodes.write')
  @Mutation(() => NodeCredentialSecretType, { description: 'A new secret, shown once; the old one stays valid for graceSeconds (default 0).' })
  async rollNodeCredential(
    @Arg('nodeId', () => ID) nodeId: string,
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('graceSeconds', () => Int, { nullable: true }) graceSeconds?: number | null,
  ): Promise<NodeCredentialSecretType> {
    const principal = requireBrandPrincipal(ctx);
    return withSecret(await ctx.services.nodeCredentials.rollCredential(principal.brandId, grantorOf(principal), nodeId, id, graceSeconds));
  }

  @Authorized('nodes.read')
  @Query(() => NodeCredentialVerificationType, { description: 'What an api_key and secret of this brand are, as a code (VALID, NOT_FOUND, EXPIRED, REVOKED, INSUFFICIENT_PERMISSIONS).' })
  async verifyNodeCredential(@Arg('input', () => VerifyNodeCredentialInput) input: VerifyNodeCredentialInput, @Ctx() ctx: GraphQLContext): Promise<NodeCredentialVerificationType> {
    const result = await ctx.services.nodeCredentials.verifyCredential(requireBrandId(ctx), input.apiKey, input.secret, input.permission);
    if (result.code === 'NOT_FOUND') return { valid: false, code: result.code, nodeId: null, credentialId: null, permissions: null, expiresAt: null } as NodeCredentialVerificationType;
    return result as NodeCredentialVerificationType;
  }
}
