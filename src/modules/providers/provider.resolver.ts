import { Authorized, Query, Resolver } from 'type-graphql';
import { listProviders } from './catalog.js';
import { ProviderType } from './provider.types.js';

@Resolver(() => ProviderType)
export class ProviderResolver {
  @Authorized('integrations.read')
  @Query(() => [ProviderType], { description: 'The provider catalog with each provider\'s credential fields.' })
  providers(): ProviderType[] {
    return listProviders().map((p) => ({ name: p.name, label: p.label, credentialFields: [...p.credentialFields] }));
  }
}
