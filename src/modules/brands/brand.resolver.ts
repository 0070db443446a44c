import { Arg, Authorized, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { BrandService } from './brand.service.js';
import { BrandType, ClientTokenInfoType, ClientTokenType, CreateBrandInput, IssueClientTokenInput } from './brand.types.js';

@Resolver(() => BrandType)
export class BrandResolver {
  constructor(private readonly brandService: BrandService) {}

  @Authorized('admin')
  @Query(() => [BrandType], { description: 'Every brand (admin token only).' })
  brands(): Promise<BrandType[]> {
    return this.brandService.listBrands();
  }

  @Authorized('admin')
  @Mutation(() => BrandType)
  createBrand(@Arg('input', () => CreateBrandInput) input: CreateBrandInput): Promise<BrandType> {
    return this.brandService.createBrand(input.name);
  }

  @Authorized('admin')
  @Mutation(() => ClientTokenType)
  issueClientToken(
    @Arg('input', () => IssueClientTokenInput) input: IssueClientTokenInput,
  ): Promise<ClientTokenType> {
    return this.brandService.issueClientToken(input.brandId, input.expiresInSeconds, input.label);
  }

  @Authorized('admin')
  @Query(() => [ClientTokenInfoType], { description: 'Issued client tokens, newest first: one brand\'s, or every brand\'s (admin token only).' })
  clientTokens(@Arg('brandId', () => ID, { nullable: true }) brandId?: string | null): Promise<ClientTokenInfoType[]> {
    return this.brandService.listClientTokens(brandId);
  }

  @Authorized('admin')
  @Mutation(() => ClientTokenInfoType, { description: 'Revokes a client token on every instance within a second; its open WebSockets close with 4403.' })
  revokeClientToken(@Arg('id', () => ID) id: string): Promise<ClientTokenInfoType> {
    return this.brandService.revokeClientToken(id);
  }
}
