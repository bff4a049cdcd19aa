import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { POLICY_KIND_DESCRIPTIONS, PolicyEffect, PolicyKind, PolicySource } from './policy-grant.type';
import { DateTimeScalar, JSONScalar } from './scalars.type';
import { Tag } from './tag.type';

export enum DecisionKind {
  ALLOWED = 'ALLOWED',
  EXPLICIT_DENY = 'EXPLICIT_DENY',
  IMPLICIT_DENY = 'IMPLICIT_DENY',
}

registerEnumType(DecisionKind, {
  name: 'DecisionKind',
  description: 'The outcome of policy evaluation, as AWS names it.',
  valuesConfig: {
    ALLOWED: { description: 'Some policy allows it and nothing denies or limits it.' },
    EXPLICIT_DENY: { description: 'A Deny statement applies: it wins over any Allow.' },
    IMPLICIT_DENY: { description: 'No Deny applies, but a policy type that must allow (identity, boundary, SCP, session) does not.' },
  },
});

/** The policy type a denial comes from: a PolicyKind, or IDENTITY for the identity-based policies as a whole. */
export const PolicyType = { IDENTITY: 'IDENTITY', ...PolicyKind } as const;
export type PolicyType = (typeof PolicyType)[keyof typeof PolicyType];

registerEnumType(PolicyType, {
  name: 'PolicyType',
  description: 'The policy type a denial comes from.',
  valuesConfig: {
    IDENTITY: { description: "The principal's identity-based policies (inline, managed, through groups)." },
    ...POLICY_KIND_DESCRIPTIONS,
  },
});

export enum ResourceAccountSource {
  ARN = 'ARN',
  CONTEXT = 'CONTEXT',
  INVENTORY = 'INVENTORY',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(ResourceAccountSource, {
  name: 'ResourceAccountSource',
  description: "Where the resource's account was taken from: whether the request crosses accounts hangs on it.",
  valuesConfig: {
    ARN: { description: 'The resource ARN names it.' },
    CONTEXT: { description: 'The aws:ResourceAccount context entry given, for an ARN that names no account (S3 buckets and objects).' },
    INVENTORY: { description: "govgraph's inventory records it, for an ARN that names no account." },
    UNKNOWN: {
      description:
        'The ARN names no account and nothing else tells it (an S3 bucket govgraph has no listing of). It is then judged as in the principal\'s own account, as IAM\'s policy simulator does, which may allow what AWS denies if it is another account\'s; the explanation says so. Give aws:ResourceAccount to judge it exactly.',
    },
  },
});

@InputType({ description: 'A condition context key and its values, as the request would carry them.' })
export class ContextEntryInput {
  @Field(() => String, { description: 'The condition key (case-insensitive), e.g. `sagemaker:VpcSubnets`, `aws:RequestTag/team`, `aws:SourceIp`.' })
  key!: string;

  @Field(() => [String], { description: 'Its values (several for multivalued keys such as aws:TagKeys); an empty list is the key absent.' })
  values!: string[];
}

// plain data without field resolvers: simple resolvers skip type-graphql's per-field middleware wrapper
@ObjectType({ simpleResolvers: true, description: 'A condition context key and its values.' })
export class ContextEntry {
  @Field(() => String, { description: 'The condition key.' })
  key!: string;

  @Field(() => [String], { description: 'Its values.' })
  values!: string[];
}

@ObjectType({ simpleResolvers: true, description: 'One key under one condition operator of a statement, as the request met it: what was compared, and whether it held.' })
export class ConditionTest {
  @Field(() => String, { description: 'The operator as written (`StringEquals`, `ForAnyValue:StringEquals`, `Null`…).' })
  operator!: string;

  @Field(() => String, { description: 'The context key as written.' })
  key!: string;

  @Field(() => [String], { description: "The policy's values as written (`${sagemaker:ResourceTag/team}`)." })
  policyValues!: string[];

  @Field(() => [String], { nullable: 'items', description: "The policy's values with policy variables substituted from the request; null for one whose variable had no value." })
  resolvedValues!: (string | null)[];

  @Field(() => [String], { nullable: true, description: "The request's values for the key; null when the request did not have it." })
  requestValues!: string[] | null;

  @Field(() => Boolean, { description: 'Whether this test held.' })
  matched!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'A statement that decided a request, with where it came from.' })
export class DecidingStatement {
  @Field(() => PolicySource, { description: 'The policy it belongs to.' })
  source!: PolicySource;

  @Field(() => String, { nullable: true, description: "The statement's Sid; null when it has none." })
  sid!: string | null;

  @Field(() => PolicyEffect, { description: "The statement's Effect." })
  effect!: PolicyEffect;

  @Field(() => Int, { description: 'Its position in the policy document (0-based).' })
  statementIndex!: number;

  @Field(() => JSONScalar, { description: 'The statement exactly as the policy document holds it.' })
  statement!: unknown;

  @Field(() => [ConditionTest], { description: 'Its condition tests against this request (empty when it has no Condition): for an IMPLICIT_DENY, the ones that failed show why.' })
  conditions!: ConditionTest[];
}

// simple resolvers for its plain fields; `principal` keeps its field resolver (access.resolver.ts)
@ObjectType({ simpleResolvers: true, description: 'The answer to "can this principal do this action on this resource, at this moment?", with why.' })
export class Decision {
  @Field(() => DecisionKind, { description: 'ALLOWED, EXPLICIT_DENY or IMPLICIT_DENY.' })
  decision!: DecisionKind;

  @Field(() => [DecidingStatement], {
    description:
      'The statements that decided it: every Deny that applied (EXPLICIT_DENY); the Allow statements that applied (ALLOWED); for IMPLICIT_DENY the Allow statements that matched action and resource but whose conditions failed (empty when nothing came close).',
  })
  decidingStatements!: DecidingStatement[];

  @Field(() => [String], { description: 'Condition keys (and policy variables) statements asked about that the request context did not have.' })
  missingContextKeys!: string[];

  @Field(() => PolicyType, { nullable: true, description: 'The policy type that denied; null when ALLOWED.' })
  deniedBy!: PolicyType | null;

  @Field(() => [String], { description: 'One line per step of the evaluation, for people.' })
  explanation!: string[];

  @Field(() => String, {
    nullable: true,
    description: "The account the resource is in, as the evaluation took it (see resourceAccountSource); null when unknown or no resource. A resource in another account than the principal's needs a resource-based policy too.",
  })
  resourceAccount!: string | null;

  @Field(() => ResourceAccountSource, { nullable: true, description: 'Where resourceAccount came from; null when no resource was given (`*`).' })
  resourceAccountSource!: ResourceAccountSource | null;

  @Field(() => DateTimeScalar, { description: 'The moment the policies, memberships and tags were taken as of.' })
  at!: Date;

  @Field(() => String, { description: 'ARN of the IAM user or role evaluated (an assumed-role session is evaluated as its role).' })
  principalArn!: string;

  @Field(() => String, { nullable: true, description: 'The session ARN, when the request named an assumed-role session.' })
  sessionArn!: string | null;

  @Field(() => String, { description: 'The action evaluated (`service:Action`).' })
  action!: string;

  @Field(() => String, { description: 'The resource evaluated; `*` when none was given.' })
  resourceArn!: string;

  @Field(() => [Tag], { description: "The resource's tags at that moment, from the tag history (empty when none, or no resource)." })
  resourceTags!: Tag[];

  @Field(() => [ContextEntry], {
    description:
      "The request context the decision was made on, sorted by key: derived from what govgraph knows (principal ARN, account, type, tags, user name; the resource's tags as aws:ResourceTag/… and <service>:ResourceTag/…), with the caller's entries over them.",
  })
  context!: ContextEntry[];

  /** internal */
  principalKey!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A principal allowed an action, with the decision that allows it.' })
export class AccessGrantee {
  @Field(() => String, { description: 'ARN of the IAM user or role.' })
  principalArn!: string;

  @Field(() => Decision, { description: 'Why it is allowed: the Allow statements and the context.' })
  decision!: Decision;
}

const CONTEXT = {
  nullable: true,
  description:
    "Condition context entries the request carries, over what govgraph derives (e.g. `sagemaker:VpcSubnets`, `aws:RequestTag/team`, `aws:TagKeys`); a key left out is absent from the request. BAD_USER_INPUT for a key the action does not support.",
} as const;
const AT = { nullable: true, description: 'The moment to ask about (RFC 3339); absent: now.' } as const;
const RESOURCE = { nullable: true, description: 'The resource ARN; absent: `*` (actions that take no resource). Its tags at that moment go into the context.' } as const;

/** Arguments of Query.simulate. */
@ArgsType()
export class SimulateArgs {
  @Field(() => String, { description: 'An IAM user or role ARN, or an assumed-role session ARN (`arn:aws:sts::…:assumed-role/Role/session`, evaluated as its role).' })
  principalArn!: string;

  @Field(() => String, { description: 'The action, `service:Action` (e.g. `sagemaker:DeleteExperiment`); BAD_USER_INPUT when the service catalog does not know it.' })
  action!: string;

  @Field(() => String, RESOURCE)
  resourceArn?: string | null;

  @Field(() => [ContextEntryInput], CONTEXT)
  context?: ContextEntryInput[] | null;

  @Field(() => DateTimeScalar, AT)
  at?: Date | null;

  @Field(() => JSONScalar, { nullable: true, description: 'A resource-based policy (JSON document) to evaluate with the identity policies, e.g. a bucket policy.' })
  resourcePolicy?: unknown;

  @Field(() => JSONScalar, { nullable: true, description: 'A session policy (JSON document) passed when the session was created.' })
  sessionPolicy?: unknown;

  @Field(() => [[JSONScalar]], { nullable: true, description: 'Service control policies: one list of documents per level of the organisation (root first); every level must allow.' })
  serviceControlPolicies?: unknown[][] | null;
}

/** Arguments of Query.whoCan. */
@ArgsType()
export class WhoCanArgs {
  @Field(() => String, { description: 'The action, `service:Action`; BAD_USER_INPUT when the service catalog does not know it.' })
  action!: string;

  @Field(() => String, RESOURCE)
  resourceArn?: string | null;

  @Field(() => [ContextEntryInput], CONTEXT)
  context?: ContextEntryInput[] | null;

  @Field(() => DateTimeScalar, AT)
  at?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only principals of this account.' })
  accountId?: string | null;
}
