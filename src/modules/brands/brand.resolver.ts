import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { BrandType, ClientTokenInfoType, ClientTokenType, CreateBrandInput, IssueClientTokenInput } from './brand.types.js';

@Resolver(() => BrandType)
export class BrandResolver {
  @Authorized('admin')
  @Query(() => [BrandType], { description: 'Every brand (admin token only).' })
  brands(@Ctx() ctx: GraphQLContext): Promise<BrandType[]> {
    return ctx.services.brands.listBrands();
  }

  @Authorized('admin')
  @Mutation(() => BrandType)
  createBrand(@Arg('input', () => CreateBrandInput) input: CreateBrandInput, @Ctx() ctx: GraphQLContext): Promise<BrandType> {
    return ctx.services.brands.createBrand(input.name);
  }

  @Authorized('admin')
  @Mutation(() => ClientTokenType)
  issueClientToken(
    @Arg('input', () => IssueClientTokenInput) input: IssueClientTokenInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ClientTokenType> {
    return ctx.services.brands.issueClientToken(input.brandId, input.expiresInSeconds, input.label);
  }

  @Authorized('admin')
  @Query(() => [ClientTokenInfoType], { description: 'Issued client tokens, newest first: one brand\'s, or every brand\'s (admin token only).' })
  clientTokens(@Ctx() ctx: GraphQLContext, @Arg('brandId', () => ID, { nullable: true }) brandId?: string | null): Promise<ClientTokenInfoType[]> {
    return ctx.services.brands.listClientTokens(brandId);
  }

  @Authorized('admin')
  @Mutation(() => ClientTokenInfoType, { description: 'Revokes a client token on every instance within a second; its open WebSockets close with 4403.' })
  revokeClientToken(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ClientTokenInfoType> {
    return ctx.services.brands.revokeClientToken(id);
  }
}
