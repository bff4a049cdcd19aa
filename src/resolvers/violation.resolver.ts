import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { reopenViolation, suppressViolation } from '../compliance/lifecycle';
import { ruleById } from '../domain/rules/registry';
import { pageRequest } from '../read/pagination';
import { checkViolationId, complianceSummary, countViolations, listViolations, type ViolationRow } from '../read/violations';
import { AuditEvent } from '../schema/audit-event.type';
import { toConnection } from '../schema/pagination.type';
import { Principal } from '../schema/principal.type';
import { Resource } from '../schema/resource.type';
import { Rule } from '../schema/rule.type';
import { Team } from '../schema/team.type';
import {
  ComplianceSummaryArgs,
  ComplianceSummaryRow,
  ReopenViolationArgs,
  SuppressViolationArgs,
  Violation,
  ViolationConnection,
  ViolationOpenedArgs,
  ViolationsArgs,
  ViolationStatusChange,
} from '../schema/violation.type';
import type { ScopedSession } from '../auth/scoped-session';
import type { GovgraphContext } from '../server/context';
import { createLoaders } from '../server/loaders';

@Resolver(() => Violation)
export class ViolationResolver {
  @Query(() => ViolationConnection, { description: 'Compliance violations, newest offending event first, narrowed by the filter.' })
  async violations(@Args() { filter, first, after }: ViolationsArgs, @Ctx() { db }: GovgraphContext): Promise<ViolationConnection> {
    const f = filter ?? {};
    const page = await listViolations(db, f, pageRequest(first, after, 'violation'));
    return toConnection(ViolationConnection, page, () => countViolations(db, f));
  }

  @Query(() => Violation, { nullable: true, description: 'The violation with this id; null when there is none; BAD_USER_INPUT when the id is not a violation id.' })
  violation(@Arg('id', () => ID, { description: 'Violation.id.' }) id: string, @Ctx() { loaders }: GovgraphContext) {
    return loaders.violationById.load(checkViolationId(id));
  }

  @Query(() => [ComplianceSummaryRow], {
    description:
      'Violations of the events in [from, to) counted by status, one row per group of the chosen dimensions (none: one row of totals), ordered by the dimensions as given, each ascending with nulls last.',
  })
  complianceSummary(@Args() { from, to, groupBy }: ComplianceSummaryArgs, @Ctx() { db }: GovgraphContext) {
    return complianceSummary(db, { from, to }, groupBy);
  }

  @Mutation(() => Violation, {
    description:
      'Suppresses an OPEN violation: accepted, for a reason, by the authenticated caller (recorded as `api-key:<name> (<id>)` or `oidc:<email> (<sub>)`), until a time or with no end. Recorded in its history. NOT_FOUND for an unknown id, and alike for one outside the teams of a team-lead; BAD_USER_INPUT when it is not OPEN, the reason is empty or `until` is not in the future.',
  })
  suppressViolation(@Args() { id, reason, until }: SuppressViolationArgs, @Ctx() { db, user }: GovgraphContext) {
    return suppressViolation(db, { id: checkViolationId(id), reason, until: until ?? null, by: user });
  }

  @Mutation(() => Violation, {
    description:
      'Reopens a SUPPRESSED or RESOLVED violation (the suppression or resolution is cleared; the history keeps it), by the authenticated caller (recorded as in suppressViolation). NOT_FOUND for an unknown id, and alike for one outside the teams of a team-lead; BAD_USER_INPUT when it is already OPEN or the reason is empty.',
  })
  reopenViolation(@Args() { id, reason }: ReopenViolationArgs, @Ctx() { db, user }: GovgraphContext) {
    return reopenViolation(db, { id: checkViolationId(id), reason, by: user });
  }

  @Subscription(() => Violation, {
    description:
      'Each violation as it is opened (inserted OPEN by rule evaluation, in any process, announced through Redis), from the time of subscribing; over WebSocket (graphql-ws) at /graphql. Missed ones (while disconnected) are in Query.violations.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, ViolationOpenedArgs, GovgraphContext>) => {
      if (!context.feed) throw new Error('subscriptions are served over WebSocket only');
      // the caller sees a new violation only where its scope lets it read the violation
      return context.feed.opened(args.filter ?? {}, (ids) => visibleViolationIds(context.openSession, ids));
    },
  })
  violationOpened(@Root() v: ViolationRow, @Args() _args: ViolationOpenedArgs, @Ctx() ctx: GovgraphContext): ViolationRow {
    // one subscription lives long: each event is resolved in a session of its own (ended once the
    // event is sent) with fresh loaders, never with rows cached for an earlier one
    ctx.db = ctx.openSession();
    ctx.loaders = createLoaders(ctx.db);
    return v;
  }

  @FieldResolver(() => Rule, { nullable: true, description: 'The breached rule; null when the catalog no longer has it.' })
  rule(@Root() v: Violation) {
    return ruleById(v.ruleId) ?? null;
  }

  @FieldResolver(() => AuditEvent, { nullable: true, description: 'The offending CloudTrail event.' })
  event(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext) {
    return loaders.eventById.load(v.eventId);
  }

  @FieldResolver(() => Resource, { nullable: true, description: 'The offending resource as govgraph knows it; null when the violation names none.' })
  resource(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext) {
    return v.resourceArn ? loaders.resourceByArn.load(v.resourceArn) : null;
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'The acting principal; null when unknown.' })
  principal(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext) {
    return v.principalArn ? loaders.principalByArn.load(v.principalArn) : null;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team `team` names; null when it names none.' })
  ownerTeam(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext) {
    return v.team ? loaders.teamByName.load(v.team) : null;
  }

  @FieldResolver(() => [ViolationStatusChange], { description: 'Its status changes, oldest first (empty while it has never changed).' })
  history(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext) {
    return loaders.violationHistory.load(v.id);
  }
}

/** Which of these violations the caller's scope may read, in a short session of its own. */
async function visibleViolationIds(openSession: () => ScopedSession, ids: string[]): Promise<Set<string>> {
  const session = openSession();
  try {
    const { rows } = await session.query<{ id: string }>('SELECT id::text AS id FROM violations WHERE id = ANY($1::bigint[])', [ids]);
    return new Set(rows.map((r) => r.id));
  } finally {
    await session.end();
  }
}
