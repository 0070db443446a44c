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

@ObjectType('ClientTokenInfo', { description: 'An issued client token as the operator sees it: never the token itself.' })
export class ClientTokenInfoType {
  @Field(() => ID, { description: 'The token\'s jti: what revokeClientToken takes.' })
  id!: string;

  @Field(() => ID)
  brandId!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Last authenticated use, to the minute.' })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('ClientToken', { description: 'A brand-scoped bearer token (the `{client_token}` of the REST docs), shown once.' })
export class ClientTokenType extends ClientTokenInfoType {
  @Field(() => String)
  token!: string;
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

  @Field(() => String, { nullable: true, description: 'What the token is for (1 to 255 characters), shown in clientTokens.' })
  label?: string | null;
}
