import { Arg, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { CurrentBrandId, CurrentPrincipal } from '../../platform/auth/principal-args.js';
import type { Principal } from '../../platform/auth/principal.js';
import type { ProviderService } from './provider.service.js';
import { toBrandProvider, type BrandProvider } from './brand-provider.js';
import { listProviders } from './catalog.js';
import { KEY_CONFIGS } from './key-configs.js';
import { ProviderSettingsInput, ProviderType } from './provider.types.js';

export function toProviderType(p: BrandProvider): ProviderType {
  return {
    name: p.name,
    label: p.label,
    credentialFields: p.base.credentialFields.map((f) => ({ name: f.name, label: f.label, example: f.example, optional: f.optional ?? false })),
    keyConfigField: p.base.keyConfig ? KEY_CONFIGS[p.base.keyConfig].field : null,
    custom: p.custom !== null,
    baseProviderType: p.base.name,
    keyless: p.keyless,
    billingApi: p.base.billingApi === true,
    customProviderConfig: p.custom && { ...p.custom },
    networkConfig: { ...p.networkConfig },
    concurrencyAndBufferSize: { ...p.concurrencyAndBufferSize },
  };
}

@Resolver(() => ProviderType)
export class ProviderResolver {
  constructor(private readonly providerService: ProviderService) {}

  @Authorized('integrations.read')
  @Query(() => [ProviderType], {
    description: 'Every provider the brand can add keys to: the catalog (with the brand\'s settings) and its custom providers, by name. The admin token sees the catalog.',
  })
  async providers(@CurrentPrincipal() principal: Principal): Promise<ProviderType[]> {
    if (principal.kind === 'admin') return listProviders().map((p) => toProviderType(toBrandProvider(p.name, null)!));
    return (await this.providerService.listProviders(principal.brandId)).map(toProviderType);
  }

  @Authorized('integrations.write')
  @Mutation(() => ProviderType, { description: 'Adds a custom provider (or the brand\'s settings of a standard one).' })
  async createProvider(
    @Arg('name', () => String) name: string,
    @Arg('input', () => ProviderSettingsInput) input: ProviderSettingsInput,
    @CurrentBrandId() brandId: string,
  ): Promise<ProviderType> {
    return toProviderType(await this.providerService.createProvider(brandId, name, input));
  }

  @Authorized('integrations.write')
  @Mutation(() => ProviderType, { description: 'Replaces the settings given; the others stay.' })
  async updateProvider(
    @Arg('name', () => String) name: string,
    @Arg('input', () => ProviderSettingsInput) input: ProviderSettingsInput,
    @CurrentBrandId() brandId: string,
  ): Promise<ProviderType> {
    return toProviderType(await this.providerService.updateProvider(brandId, name, input));
  }

  @Authorized('integrations.write')
  @Mutation(() => ProviderType, { description: 'Deletes the provider\'s keys and the brand\'s settings of it; returns it as it was.' })
  async deleteProvider(@Arg('name', () => String) name: string, @CurrentBrandId() brandId: string): Promise<ProviderType> {
    return toProviderType(await this.providerService.deleteProvider(brandId, name));
  }
}
