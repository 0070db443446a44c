import { Field, ObjectType } from 'type-graphql';

@ObjectType('CredentialField', { description: 'One field of a provider credential object.' })
export class CredentialFieldType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Format hint, e.g. "sk-or-v1-..."' })
  example!: string;
}

@ObjectType('Provider', { description: 'An entry of the built-in provider catalog.' })
export class ProviderType {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  label!: string;

  @Field(() => [CredentialFieldType])
  credentialFields!: CredentialFieldType[];
}
