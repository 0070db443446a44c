import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('Brand', { description: 'A tenant: every key, node and event belongs to one brand.' })
export class BrandType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('ClientToken', { description: 'A brand-scoped bearer token (the `{client_token}` of the REST docs).' })
export class ClientTokenType {
  @Field(() => String)
  token!: string;

  @Field(() => Date)
  expiresAt!: Date;
}

@InputType('CreateBrandInput')
export class CreateBrandInput {
  @Field(() => String, { description: '1 to 255 characters' })
  name!: string;
}

@InputType('IssueClientTokenInput')
export class IssueClientTokenInput {
  @Field(() => ID)
  brandId!: string;

  @Field(() => Int, { defaultValue: 30 * 24 * 3600, description: 'Lifetime in seconds (default 30 days)' })
  expiresInSeconds!: number;
}
