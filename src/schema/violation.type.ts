import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, FilteredPageArgs } from './pagination.type';
import { Severity } from './rule.type';
import { DateTimeScalar, JSONScalar } from './scalars.type';

export enum ViolationStatus {
  OPEN = 'OPEN',
  RESOLVED = 'RESOLVED',
  SUPPRESSED = 'SUPPRESSED',
}

registerEnumType(ViolationStatus, {
  name: 'ViolationStatus',
  description: 'Where a violation stands.',
  valuesConfig: {
    OPEN: { description: 'Reported and not dealt with.' },
    RESOLVED: {
      description:
        'No longer standing: its resource was deleted (resolvedByEventId names the deleting event), its principal lost the permission it reports (iam-training-without-vpc-allowed: resolvedByEventId names the IAM change, or `iam-snapshot:…`), or a re-evaluation no longer reports it (resolvedByEventId null).',
    },
    SUPPRESSED: { description: 'Accepted for a reason (suppressedReason), by someone (suppressedBy), maybe until a time (suppressedUntil).' },
  },
});

@ObjectType({ description: 'One status change of a violation, appended to its history: never changed, never removed.' })
export class ViolationStatusChange {
  @Field(() => ViolationStatus, { nullable: true, description: 'The status before.' })
  fromStatus!: ViolationStatus | null;

  @Field(() => ViolationStatus, { description: 'The status after.' })
  toStatus!: ViolationStatus;

  @Field(() => String, { nullable: true, description: 'Why, as the person or process that changed it said.' })
  reason!: string | null;

  @Field(() => String, {
    description: 'Who changed it: the authenticated API caller (`api-key:<name> (<id>)`, `oidc:<email> (<sub>)`), or `govgraph` / `govgraph evaluate` for automatic changes.',
  })
  changedBy!: string;

  @Field(() => DateTimeScalar, { description: 'When.' })
  changedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'For a suppression: when it ends; null: no end, or not a suppression.' })
  until!: Date | null;

  @Field(() => String, { nullable: true, description: 'eventId of the event that caused it (the resource\'s Delete* event; for iam-training-without-vpc-allowed, the IAM change or `iam-snapshot:…` that took the permission away); null for changes made by people or re-evaluation.' })
  eventId!: string | null;
}

@ObjectType({
  description:
    'A compliance finding: one rule breached by one CloudTrail event (on one resource, when the event names one). Re-evaluating the same events never duplicates it; its status changes are kept in `history`.',
})
export class Violation {
  @Field(() => ID, { description: 'Violation id (for violation(id:), suppressViolation and reopenViolation).' })
  id!: string;

  @Field(() => String, { description: 'The breached rule\'s id (Rule.id).' })
  ruleId!: string;

  @Field(() => Severity, {
    description: 'Severity that applied when it was found: the rule configuration\'s override, else the finding\'s own (a rule may grade its cases), else the rule\'s.',
  })
  severity!: Severity;

  @Field(() => ViolationStatus, { description: 'Where it stands now.' })
  status!: ViolationStatus;

  @Field(() => String, { description: 'What is wrong, in one sentence, with the deciding values.' })
  message!: string;

  @Field(() => JSONScalar, { description: 'The fields that decided, as read from the event (API defaults applied and said so), with eventId and eventName.' })
  evidence!: unknown;

  @Field(() => String, { description: 'eventId of the offending CloudTrail event.' })
  eventId!: string;

  @Field(() => DateTimeScalar, { description: 'When the offending call happened (its eventTime).' })
  eventTime!: Date;

  @Field(() => String, { nullable: true, description: 'ARN of the offending resource; null when the event names none (a console sign-in).' })
  resourceArn!: string | null;

  @Field(() => String, { nullable: true, description: 'Key of the acting principal (Principal.arn: for a session, the issuing role); null when the record names nobody usable.' })
  principalArn!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Name of the team answerable for it: the acting principal\'s team at the event\'s time, else the resource owner\'s then; null when neither is known.',
  })
  team!: string | null;

  @Field(() => String, { nullable: true, description: 'Account the call was made in.' })
  accountId!: string | null;

  @Field(() => String, { nullable: true, description: 'Region the call was made in.' })
  region!: string | null;

  @Field(() => DateTimeScalar, { description: 'When an evaluation first reported it.' })
  firstSeen!: Date;

  @Field(() => DateTimeScalar, { description: 'When an evaluation last reported it.' })
  lastSeen!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was resolved; null unless RESOLVED.' })
  resolvedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'eventId of the event that resolved it (the resource\'s deletion; for iam-training-without-vpc-allowed, the earliest IAM change or `iam-snapshot:…` after it at which its principal is no longer allowed); null otherwise.' })
  resolvedByEventId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it is suppressed; null unless SUPPRESSED.' })
  suppressedReason!: string | null;

  @Field(() => String, { nullable: true, description: 'Who suppressed it (an API caller, or `rule configuration`); null unless SUPPRESSED.' })
  suppressedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the suppression ends; null when it has no end or it is not SUPPRESSED.' })
  suppressedUntil!: Date | null;

  /** internal */
  cursorTime!: string;
}

@ObjectType({ description: 'A page of violations, newest offending event first (by eventTime, then id).' })
export class ViolationConnection extends ConnectionType(Violation, 'Violation') {}

@InputType({ description: 'Narrows a violation list; every field given must hold (AND).' })
export class ViolationFilter {
  @Field(() => String, { nullable: true, description: 'Only violations of this rule (Rule.id).' })
  ruleId?: string | null;

  @Field(() => Severity, { nullable: true, description: 'Only violations of this severity.' })
  severity?: Severity | null;

  @Field(() => ViolationStatus, { nullable: true, description: 'Only violations in this status.' })
  status?: ViolationStatus | null;

  @Field(() => String, { nullable: true, description: 'Only violations this team is answerable for (Violation.team).' })
  team?: string | null;

  @Field(() => String, { nullable: true, description: 'Only violations in this account.' })
  accountId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only violations on the resource with this ARN.' })
  resourceArn?: string | null;

  @Field(() => String, { nullable: true, description: 'Only violations by this principal (its key, as Principal.arn gives it).' })
  principalArn?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only violations of events at or after this time (inclusive).' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only violations of events before this time (exclusive).' })
  to?: Date | null;
}

export enum ComplianceGroupBy {
  TEAM = 'TEAM',
  RULE = 'RULE',
  ACCOUNT = 'ACCOUNT',
  DAY = 'DAY',
}

registerEnumType(ComplianceGroupBy, {
  name: 'ComplianceGroupBy',
  description: 'A dimension to count violations by.',
  valuesConfig: {
    TEAM: { description: 'By Violation.team (violations with no team form one group, team null).' },
    RULE: { description: 'By rule id.' },
    ACCOUNT: { description: 'By account.' },
    DAY: { description: 'By the UTC day of the offending event.' },
  },
});

// plain data with no field resolvers: simple resolvers skip type-graphql's per-field middleware
// wrapper, which dominates the time of a summary with thousands of groups
@ObjectType({
  simpleResolvers: true,
  description:
    'One group of a compliance summary: the keys of the dimensions grouped by (the others are null) and how many violations it holds in each status.',
})
export class ComplianceSummaryRow {
  @Field(() => String, { nullable: true, description: 'The team, when grouped by TEAM (null there: violations with no team); null otherwise.' })
  team!: string | null;

  @Field(() => String, { nullable: true, description: 'The rule id, when grouped by RULE; null otherwise.' })
  ruleId!: string | null;

  @Field(() => String, { nullable: true, description: 'The account, when grouped by ACCOUNT (null there: violations with no account); null otherwise.' })
  accountId!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Midnight UTC starting the day, when grouped by DAY; null otherwise.' })
  day!: Date | null;

  @Field(() => Int, { description: 'How many are OPEN.' })
  open!: number;

  @Field(() => Int, { description: 'How many are RESOLVED.' })
  resolved!: number;

  @Field(() => Int, { description: 'How many are SUPPRESSED.' })
  suppressed!: number;

  @Field(() => Int, { description: 'How many in all.' })
  total!: number;
}

/** `filter, first, after` of Query.violations. */
@ArgsType()
export class ViolationsArgs extends FilteredPageArgs(ViolationFilter, 'What to narrow to; absent: every violation.') {}

/** `filter, first, after` of the violations of a resource, principal or team. */
@ArgsType()
export class NestedViolationsArgs extends FilteredPageArgs(ViolationFilter, 'Narrows further (AND); absent: all of them.') {}

/** `from, to, groupBy` of Query.complianceSummary. */
@ArgsType()
export class ComplianceSummaryArgs {
  @Field(() => DateTimeScalar, { description: "Start of the window (inclusive), on the offending event's time." })
  from!: Date;

  @Field(() => DateTimeScalar, { description: 'End of the window (exclusive); must be after from.' })
  to!: Date;

  @Field(() => [ComplianceGroupBy], { description: 'Dimensions to group by, in the order rows sort by them; none: one row of totals.' })
  groupBy!: ComplianceGroupBy[];
}

/** `id, reason, until` of Mutation.suppressViolation. */
@ArgsType()
export class SuppressViolationArgs {
  @Field(() => ID, { description: 'Violation.id.' })
  id!: string;

  @Field(() => String, { description: 'Why it is accepted (required; kept in the history).' })
  reason!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the suppression ends (must be in the future); absent: no end.' })
  until?: Date | null;
}

/** `id, reason` of Mutation.reopenViolation. */
@ArgsType()
export class ReopenViolationArgs {
  @Field(() => ID, { description: 'Violation.id.' })
  id!: string;

  @Field(() => String, { description: 'Why it is open again (required; kept in the history).' })
  reason!: string;
}

/** `filter` of Subscription.violationOpened. */
@ArgsType()
export class ViolationOpenedArgs {
  @Field(() => ViolationFilter, { nullable: true, description: 'Only violations matching it (as in Query.violations); absent: every new one.' })
  filter?: ViolationFilter | null;
}
