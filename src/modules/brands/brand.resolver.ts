import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { BrandType, ClientTokenType, CreateBrandInput, IssueClientTokenInput } from './brand.types.js';

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
    return ctx.services.brands.issueClientToken(input.brandId, input.expiresInSeconds);
  }
}
