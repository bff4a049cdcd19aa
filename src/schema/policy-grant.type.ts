import { ArgsType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from './pagination.type';
import { DateTimeScalar, JSONScalar } from './scalars.type';

/** Where a policy comes from (src/domain/iam/types.ts PolicyKind). */
export enum PolicyKind {
  INLINE = 'INLINE',
  MANAGED = 'MANAGED',
  GROUP_INLINE = 'GROUP_INLINE',
  GROUP_MANAGED = 'GROUP_MANAGED',
  PERMISSIONS_BOUNDARY = 'PERMISSIONS_BOUNDARY',
  SCP = 'SCP',
  RESOURCE_POLICY = 'RESOURCE_POLICY',
  SESSION_POLICY = 'SESSION_POLICY',
  TRUST_POLICY = 'TRUST_POLICY',
}

/** What each kind is, for PolicyKind and PolicyType (access.type.ts). */
export const POLICY_KIND_DESCRIPTIONS: Record<PolicyKind, { description: string }> = {
  INLINE: { description: "An inline policy of the user or role itself (identity-based)." },
  MANAGED: { description: 'A managed policy attached to the user or role (identity-based).' },
  GROUP_INLINE: { description: 'An inline policy of a group the user belongs to (identity-based).' },
  GROUP_MANAGED: { description: 'A managed policy attached to a group the user belongs to (identity-based).' },
  PERMISSIONS_BOUNDARY: { description: 'The managed policy set as the permissions boundary: it limits, never grants.' },
  SCP: { description: 'A service control policy (given with the request).' },
  RESOURCE_POLICY: { description: 'A resource-based policy (given with the request).' },
  SESSION_POLICY: { description: 'A session policy (given with the request).' },
  TRUST_POLICY: { description: "A role's trust policy: who may assume it." },
};

registerEnumType(PolicyKind, {
  name: 'PolicyKind',
  description: 'Where a policy comes from, and so how it takes part in a decision.',
  valuesConfig: POLICY_KIND_DESCRIPTIONS,
});

/** `Allow` / `Deny` as AWS writes them. */
export enum PolicyEffect {
  ALLOW = 'Allow',
  DENY = 'Deny',
}

registerEnumType(PolicyEffect, {
  name: 'PolicyEffect',
  description: "A statement's Effect.",
  valuesConfig: { ALLOW: { description: 'Allow.' }, DENY: { description: 'Deny: wins over any Allow.' } },
});

@ObjectType({ simpleResolvers: true, description: 'Where a statement came from: the policy, its version, and how it reaches the principal.' })
export class PolicySource {
  @Field(() => PolicyKind, { description: 'The kind of policy.' })
  kind!: PolicyKind;

  @Field(() => String, { nullable: true, description: 'The managed policy ARN; null for inline, trust and caller-supplied policies.' })
  policyArn!: string | null;

  @Field(() => String, { nullable: true, description: "The policy's name (inline name, or the managed policy's name); null for trust policies." })
  policyName!: string | null;

  @Field(() => String, { nullable: true, description: "The managed policy's version in force (`v3`); null for inline ones." })
  versionId!: string | null;

  @Field(() => String, { nullable: true, description: 'ARN of the group through which the user receives it (GROUP_INLINE, GROUP_MANAGED); null otherwise.' })
  viaGroup!: string | null;

  @Field(() => String, { nullable: true, description: 'ARN of the user, role or group the policy is attached to or embedded in; null for caller-supplied policies.' })
  attachedTo!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'A policy grant: one statement of one policy reaching one principal (inline, attached, through a group, as its boundary or trust policy), over the period it held.',
})
export class PolicyGrant {
  @Field(() => String, { description: 'ARN of the IAM user or role it reaches.' })
  principalArn!: string;

  @Field(() => String, { description: 'The account of the principal.' })
  accountId!: string;

  @Field(() => PolicyEffect, { description: "The statement's Effect." })
  effect!: PolicyEffect;

  @Field(() => [String], { nullable: true, description: 'Action, as written (one string becomes a list); null when the statement uses NotAction.' })
  actions!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'NotAction: every action but these; null when the statement uses Action.' })
  notActions!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Resource, as written (variables unsubstituted); null when the statement uses NotResource or names none (trust policies).' })
  resources!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'NotResource: every resource but these; null when the statement uses Resource.' })
  notResources!: string[] | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The Condition block as written (operator → key → values); null when it has none.' })
  condition!: unknown;

  @Field(() => String, { nullable: true, description: "The statement's Sid; null when it has none." })
  sid!: string | null;

  @Field(() => Int, { description: "The statement's position in its policy document's Statement list (0-based)." })
  statementIndex!: number;

  @Field(() => PolicySource, { description: 'Where it came from.' })
  source!: PolicySource;

  @Field(() => DateTimeScalar, { description: 'Since when it has held (from IAM snapshots and CloudTrail IAM changes).' })
  validFrom!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it stopped holding; null while it still holds.' })
  validTo!: Date | null;

  @Field(() => JSONScalar, { description: 'The statement exactly as the policy document holds it.' })
  statement!: unknown;
}

@ObjectType({ description: 'A page of policy grants, by principal ARN, then kind, policy, group and statement index.' })
export class PolicyGrantConnection extends ConnectionType(PolicyGrant, 'PolicyGrant') {}

const AT = {
  nullable: true,
  description: 'The moment to ask about (RFC 3339); absent: now. Grants are kept with validity in time, so any moment covered by the stored IAM history can be asked about.',
} as const;

/** `at, first, after` of Principal.grants. */
@ArgsType()
export class PrincipalGrantsArgs {
  @Field(() => DateTimeScalar, AT)
  at?: Date | null;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'How many items to return: 0 to 500 (default 50); more is refused with BAD_USER_INPUT.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return the items after this cursor (an edge `cursor` or `pageInfo.endCursor` of a previous page).' })
  after?: string | null;
}

/** Arguments of Query.policyGrants. */
@ArgsType()
export class PolicyGrantsArgs {
  @Field(() => String, {
    nullable: true,
    description: "Only this principal's grants: an IAM user or role ARN, or an assumed-role session ARN (its role's grants).",
  })
  principalArn?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only statements whose Action (or NotAction) covers this action (`service:Action`, no wildcards); BAD_USER_INPUT when the service catalog does not know it.',
  })
  action?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only statements whose Resource (or NotResource) covers this ARN (`*`: statements that allow `*`); policy variables are taken from each principal's own context.",
  })
  resourceArn?: string | null;

  @Field(() => DateTimeScalar, AT)
  at?: Date | null;

  @Field(() => [PolicyKind], { nullable: true, description: 'Only grants of these kinds.' })
  kinds?: PolicyKind[] | null;

  @Field(() => PolicyEffect, { nullable: true, description: 'Only Allow or only Deny statements.' })
  effect?: PolicyEffect | null;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'How many items to return: 0 to 500 (default 50); more is refused with BAD_USER_INPUT.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return the items after this cursor (an edge `cursor` or `pageInfo.endCursor` of a previous page of the same list).' })
  after?: string | null;
}
