import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, ObjectType } from 'type-graphql';

@ObjectType('CredentialField', { description: 'One field of a provider credential object.' })
export class CredentialFieldType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'What the provider calls it on its own console, e.g. "API token" or "Account ID".' })
  label!: string;

  @Field(() => String, { description: 'Format hint, e.g. "sk-or-v1-..."' })
  example!: string;

  @Field(() => Boolean, { description: 'The field may be omitted (e.g. an Azure key that signs in with client credentials).' })
  optional!: boolean;
}

@ObjectType('Provider', { description: 'A provider as the brand sees it: a standard one of the catalog, or one of the brand\'s custom providers.' })
export class ProviderType {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  label!: string;

  @Field(() => [CredentialFieldType], { description: 'The credential fields of its keys (of the base provider, for a custom one).' })
  credentialFields!: CredentialFieldType[];

  @Field(() => String, { nullable: true, description: 'The Bifrost key config its keys carry in providerConfig, e.g. "azure_key_config".' })
  keyConfigField!: string | null;

  @Field(() => Boolean, { description: 'A custom provider of the brand.' })
  custom!: boolean;

  @Field(() => String, { description: 'The standard provider it is, or is built on.' })
  baseProviderType!: string;

  @Field(() => Boolean, { description: 'A keyless custom provider: leases carry no credential, only its base URL.' })
  keyless!: boolean;

  @Field(() => Boolean, { description: 'The provider has a billing API keypool syncs balance and usage from (OpenRouter, fal.ai); the others\' figures are keypool\'s own ledger.' })
  billingApi!: boolean;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Bifrost\'s custom_provider_config, for a custom provider.' })
  customProviderConfig!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { description: 'Bifrost\'s network_config (base_url, extra_headers, timeouts, retries).' })
  networkConfig!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'Bifrost\'s concurrency_and_buffer_size.' })
  concurrencyAndBufferSize!: Record<string, unknown>;
}

@InputType('ProviderSettingsInput', { description: 'A provider\'s settings, each in Bifrost\'s own JSON shape.' })
export class ProviderSettingsInput {
  @Field(() => GraphQLJSONObject, { nullable: true, description: '{ base_provider_type, is_key_less, allowed_requests, request_path_overrides }: custom providers only.' })
  customProviderConfig?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: '{ base_url, extra_headers, default_request_timeout_in_seconds, max_retries, retry_backoff_initial, retry_backoff_max }' })
  networkConfig?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: '{ concurrency, buffer_size }' })
  concurrencyAndBufferSize?: Record<string, unknown> | null;
}
