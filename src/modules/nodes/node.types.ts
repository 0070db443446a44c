/** GraphQL shapes of nodes and node credentials. A secret appears only in NodeCredentialSecret, the answer to a create or roll. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../platform/schema/graphql-enum.js';
import { VERIFY_CODES, type VerifyCode } from './node-credential.service.js';
import { DecimalScalar } from '../../platform/numbers/decimal-scalar.js';

@ObjectType('NodeUsage', { description: 'Reports attributed to the node: leases reported, failures, spend (USD).' })
export class NodeUsageType {
  @Field(() => Int) leases!: number;
  @Field(() => Int) failures!: number;
  @Field(() => DecimalScalar) spendToday!: string;
  @Field(() => DecimalScalar) spendMonth!: string;
}

@ObjectType('NodeCredential', { description: 'An api_key of a node, with its permissions. The secret is never shown again after create or roll.' })
export class NodeCredentialType {
  @Field(() => ID) id!: string;
  @Field(() => ID) nodeId!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'Public identifier (kpn_…); send it with the secret as HTTP Basic.' }) apiKey!: string;
  @Field(() => [String]) permissions!: string[];
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Last authenticated use, to the minute.' }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType('NodeCredentialSecret', { description: 'A credential and its secret: shown once, store it now.' })
export class NodeCredentialSecretType {
  @Field(() => NodeCredentialType) credential!: NodeCredentialType;
  @Field(() => String) secret!: string;
}

@ObjectType('Node', { description: 'A named consumer inside a brand: a service, a worker pool, an environment.' })
export class NodeType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => NodeUsageType) usage!: NodeUsageType;
}

@ObjectType('NodePage')
export class NodePageType {
  @Field(() => [NodeType]) items!: NodeType[];
  @Field(() => Int) total!: number;
  @Field(() => Int) limit!: number;
  @Field(() => Int) offset!: number;
}

@InputType('CreateNodeInput')
export class CreateNodeInput {
  @Field(() => String, { description: '1 to 255 characters, unique in the brand' }) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType('UpdateNodeInput')
export class UpdateNodeInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType('CreateNodeCredentialInput')
export class CreateNodeCredentialInput {
  @Field(() => ID) nodeId!: string;
  @Field(() => String) name!: string;
  @Field(() => [String], { nullable: true, description: 'e.g. ["integrations.lease"], or permissions of other systems such as "payments.read"' }) permissions?: string[] | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
}

@InputType('VerifyNodeCredentialInput')
export class VerifyNodeCredentialInput {
  @Field(() => String) apiKey!: string;
  @Field(() => String) secret!: string;
  @Field(() => String, { nullable: true, description: 'A permission the credential must hold.' }) permission?: string | null;
}

export const VerifyCodeEnum = graphqlEnum(VERIFY_CODES, 'VerifyCode');

@ObjectType('NodeCredentialVerification', { description: 'What an api_key and secret are. Only `valid` and `code` for NOT_FOUND.' })
export class NodeCredentialVerificationType {
  @Field(() => Boolean) valid!: boolean;
  @Field(() => VerifyCodeEnum) code!: VerifyCode;
  @Field(() => ID, { nullable: true }) nodeId!: string | null;
  @Field(() => ID, { nullable: true }) credentialId!: string | null;
  @Field(() => [String], { nullable: true }) permissions!: string[] | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}
