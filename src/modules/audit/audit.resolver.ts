/** GraphQL: the brand's audit trail (audit-log.ts). */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Field, ID, InputType, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { CurrentBrandId } from '../../platform/auth/principal-args.js';
import { pageTypeOf } from '../../platform/schema/page-type.js';
import { MAX_AUDIT_PAGE, type AuditLog } from './audit-log.js';

@ObjectType('AuditEntry', { description: 'One change: who made it, to what, when and from where. Secrets are never recorded, only that they changed.' })
export class AuditEntryType {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String, { description: 'admin, brand_token, node_credential or system (keypool itself, the CLI).' }) actorKind!: string;
  @Field(() => String, { nullable: true, description: 'The client token\'s or node credential\'s id.' }) actorId!: string | null;
  @Field(() => String, { nullable: true, description: 'The client token\'s label, or the credential\'s name and api_key.' }) actorLabel!: string | null;
  @Field(() => String, { nullable: true }) sourceIp!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
  @Field(() => String, { description: 'integration, provider, quota_group, node, node_credential, client_token, brand or alert_webhook.' }) resource!: string;
  @Field(() => String) resourceId!: string;
  @Field(() => String, { description: 'created, updated, deleted, or an operator\'s action (cooldown_reset, reprobe_requested, delivery_replayed).' }) action!: string;
  @Field(() => GraphQLJSONObject, { description: 'Each changed field (column name): { old, new }, or { changed: true } for a secret.' }) changes!: Record<string, unknown>;
}

export const AuditPageType = pageTypeOf(AuditEntryType, 'AuditPage');
export type AuditPageType = InstanceType<typeof AuditPageType>;

@InputType('AuditFilter', { description: 'Every field given must match.' })
export class AuditFilterInput {
  @Field(() => String, { nullable: true }) resource?: string | null;
  @Field(() => String, { nullable: true }) resourceId?: string | null;
  @Field(() => String, { nullable: true }) action?: string | null;
  @Field(() => String, { nullable: true }) actorKind?: string | null;
  @Field(() => String, { nullable: true }) actorId?: string | null;
  @Field(() => Date, { nullable: true }) since?: Date | null;
  @Field(() => Date, { nullable: true }) until?: Date | null;
}

@Resolver()
export class AuditResolver {
  constructor(private readonly audit: Pick<AuditLog, 'list'>) {}

  @Authorized('audit.read')
  @Query(() => AuditPageType, {
    description: `The brand's audit trail, newest first (kept for KEYPOOL_AUDIT_RETENTION_DAYS); limit 1 to ${MAX_AUDIT_PAGE}.`,
    complexity: ({ args, childComplexity }) => 1 + Math.min(Number(args.limit ?? 50), MAX_AUDIT_PAGE) * childComplexity,
  })
  auditLog(
    @CurrentBrandId() brandId: string,
    @Arg('filter', () => AuditFilterInput, { nullable: true }) filter: AuditFilterInput | null,
    @Arg('limit', () => Int, { defaultValue: 50 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<AuditPageType> {
    return this.audit.list(brandId, filter ?? {}, limit, offset) as Promise<AuditPageType>;
  }
}
