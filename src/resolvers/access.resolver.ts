import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { listPolicyGrants, simulateAccess, whoCan, type Simulation } from '../access/access-service';
import { conditionTests, statementAsWritten } from '../access/policies';
import type { PolicyKind as EnginePolicyKind, PolicySource as EnginePolicySource, SourcedStatement } from '../domain/iam';
import { requestTags } from '../domain/rules/request-tags';
import { InvalidInputError } from '../read/errors';
import { grantPageRequest, type KeyedGrant } from '../read/grants';
import type { Page } from '../read/pagination';
import { tagList } from '../read/tags';
import { AccessGrantee, Decision, DecisionKind, PolicyType, ResourceAccountSource, SimulateArgs, WhoCanArgs } from '../schema/access.type';
import { toConnection } from '../schema/pagination.type';
import { PolicyEffect, PolicyGrant, PolicyGrantConnection, PolicyGrantsArgs, PolicyKind, PolicySource, PrincipalGrantsArgs } from '../schema/policy-grant.type';
import { Principal } from '../schema/principal.type';
import { Violation } from '../schema/violation.type';
import type { GovgraphContext } from '../server/context';

/** "Now" once per request, so every field that defaults `at` to now agrees (and batches). */
const requestTimes = new WeakMap<object, Date>();
function now(ctx: GovgraphContext): Date {
  let t = requestTimes.get(ctx.loaders);
  if (!t) {
    t = new Date();
    requestTimes.set(ctx.loaders, t);
  }
  return t;
}

function toSource(s: EnginePolicySource): PolicySource {
  return {
    kind: s.kind as PolicyKind,
    policyArn: s.policyArn,
    policyName: s.policyName,
    versionId: s.versionId,
    viaGroup: s.viaGroupArn ?? null,
    attachedTo: s.attachedToArn ?? null,
  };
}

/** An engine Simulation → the API's Decision. */
export function toDecision(sim: Simulation): Decision {
  const { decision, context } = sim;
  const statement = (s: SourcedStatement) => ({
    source: toSource(s.source),
    sid: s.statement.sid ?? null,
    effect: s.statement.effect as PolicyEffect,
    statementIndex: s.statement.index,
    statement: statementAsWritten(s.statement) ?? s.statement,
    conditions: conditionTests(s.statement, context),
  });
  return Object.assign(new Decision(), {
    decision: decision.decision as DecisionKind,
    decidingStatements: decision.decidingStatements.map(statement),
    missingContextKeys: decision.missingContextKeys,
    deniedBy: (decision.deniedBy ?? null) as PolicyType | null,
    explanation: decision.explanation,
    resourceAccount: decision.resourceAccount,
    resourceAccountSource: decision.resourceAccountSource as ResourceAccountSource | null,
    at: sim.at,
    principalArn: sim.principal.arn,
    sessionArn: sim.principal.sessionArn,
    action: sim.action,
    resourceArn: sim.resourceArn,
    resourceTags: tagList(sim.resource?.tags),
    context: Object.keys(context)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((key) => ({ key, values: context[key] })),
    principalKey: sim.principal.arn,
  });
}

const listOf = (v: unknown): string[] | null => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : null);

/** A stored grant → the API's PolicyGrant. */
export function toPolicyGrant(g: KeyedGrant): PolicyGrant {
  const s = g.statement;
  return Object.assign(new PolicyGrant(), {
    principalArn: g.principalArn,
    accountId: g.accountId,
    effect: g.effect as PolicyEffect,
    actions: listOf(s.Action),
    notActions: listOf(s.NotAction),
    resources: listOf(s.Resource),
    notResources: listOf(s.NotResource),
    condition: s.Condition ?? null,
    sid: g.sid,
    statementIndex: g.statementIndex,
    source: toSource(g.source),
    validFrom: g.validFrom,
    validTo: g.validTo,
    statement: s,
  });
}

const grantConnection = (page: Page<KeyedGrant>, count: () => Promise<number>) =>
  toConnection(PolicyGrantConnection, { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toPolicyGrant(e.node) })) }, count);

@Resolver(() => Decision)
export class AccessResolver {
  @Query(() => Decision, {
    description:
      'Can this principal call this action on this resource, at this moment (default now)? Evaluates its identity policies (inline, attached, through groups), permissions boundary and the policies given, with the request context govgraph derives from its IAM data and the tag history (the principal\'s and the resource\'s tags then) and the context entries given. BAD_USER_INPUT for a malformed ARN or date, an unknown action or an unsupported context key; NOT_FOUND when govgraph has no IAM data for the principal at that moment.',
  })
  async simulate(@Args() args: SimulateArgs, @Ctx() ctx: GovgraphContext): Promise<Decision> {
    const sim = await simulateAccess(ctx.db, {
      principalArn: args.principalArn,
      action: args.action,
      resourceArn: args.resourceArn,
      context: args.context,
      at: args.at ?? now(ctx),
      resourcePolicy: args.resourcePolicy,
      sessionPolicy: args.sessionPolicy,
      serviceControlPolicies: args.serviceControlPolicies,
    });
    return toDecision(sim);
  }

  @Query(() => [AccessGrantee], {
    description:
      'The IAM users and roles allowed this action (on this resource, with this context) at this moment (default now), by ARN, each with its decision. E.g. who can call sagemaker:CreateTrainingJob with sagemaker:VpcSubnets absent (no context entry for it). BAD_USER_INPUT for an unknown action or an unsupported context key.',
  })
  async whoCan(@Args() args: WhoCanArgs, @Ctx() ctx: GovgraphContext): Promise<AccessGrantee[]> {
    const grantees = await whoCan(ctx.db, { action: args.action, resourceArn: args.resourceArn, context: args.context, at: args.at ?? now(ctx), accountId: args.accountId });
    return grantees.map((g) => Object.assign(new AccessGrantee(), { principalArn: g.principal.arn, decision: toDecision(g.simulation) }));
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'The principal evaluated, as govgraph records it; null when it has no principal record.' })
  principal(@Root() d: Decision, @Ctx() { loaders }: GovgraphContext) {
    return loaders.principalByArn.load(d.principalKey);
  }
}

@Resolver(() => AccessGrantee)
export class AccessGranteeResolver {
  @FieldResolver(() => Principal, { nullable: true, description: 'The principal, as govgraph records it; null when it has no principal record.' })
  principal(@Root() g: AccessGrantee, @Ctx() { loaders }: GovgraphContext) {
    return loaders.principalByArn.load(g.principalArn);
  }
}

@Resolver(() => PolicyGrant)
export class PolicyGrantResolver {
  @Query(() => PolicyGrantConnection, {
    description:
      'Policy grants (one statement of one policy reaching one IAM user or role) valid at a moment (default now), narrowed by principal, by the action and resource their statements cover, by kind or effect; by principal, then policy and statement. BAD_USER_INPUT for a malformed ARN, date or cursor, or an unknown action.',
  })
  async policyGrants(@Args() args: PolicyGrantsArgs, @Ctx() ctx: GovgraphContext): Promise<PolicyGrantConnection> {
    const req = grantPageRequest(args.first, args.after);
    const { page, count } = await listPolicyGrants(
      ctx.db,
      {
        principalArn: args.principalArn,
        action: args.action,
        resourceArn: args.resourceArn,
        at: args.at ?? now(ctx),
        kinds: args.kinds as EnginePolicyKind[] | null | undefined,
        effect: args.effect,
      },
      req,
    );
    return grantConnection(page, count);
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'The IAM user or role it reaches, as govgraph records it.' })
  principal(@Root() g: PolicyGrant, @Ctx() { loaders }: GovgraphContext) {
    return loaders.principalByArn.load(g.principalArn);
  }
}

const IAM_PRINCIPAL_TYPES = new Set(['IAM_USER', 'ROLE']);

@Resolver(() => Principal)
export class PrincipalGrantsResolver {
  @FieldResolver(() => PolicyGrantConnection, {
    description:
      'The policy statements reaching it at a moment (default now): inline, attached, through groups, its permissions boundary and trust policy. Empty for principals that are not IAM users or roles, or that govgraph has no IAM data for.',
  })
  async grants(@Root() principal: Principal, @Args() { at, first, after }: PrincipalGrantsArgs, @Ctx() ctx: GovgraphContext): Promise<PolicyGrantConnection> {
    const req = grantPageRequest(first, after);
    if (!IAM_PRINCIPAL_TYPES.has(principal.type)) return grantConnection({ edges: [], hasNextPage: false, hasPreviousPage: req.after !== null }, async () => 0);
    const moment = (at ?? now(ctx)).toISOString();
    const page = await ctx.loaders.grantPages.load({ key: principal.arn, args: { at: moment, req } });
    return grantConnection(page, () => ctx.loaders.grantCounts.load({ key: principal.arn, args: { at: moment } }));
  }
}

/** The rules whose violation a simulation explains: a call across team lines, allowed or denied. */
const CROSS_TEAM_RULES = new Set(['access-cross-team-attempt', 'access-cross-team-action']);
const SESSION_ARN = /^arn:[\w-]+:sts::\d{12}:assumed-role\//;

@Resolver(() => Violation)
export class ViolationDecisionResolver {
  @FieldResolver(() => Decision, {
    nullable: true,
    description:
      "For the cross-team rules (access-cross-team-attempt, access-cross-team-action): the simulation of the acting principal calling the event's action (eventSource prefix + eventName, e.g. sagemaker:DeleteExperiment) on the resource at the event's time, with the resource's tags as they stood just before it: the decision that explains why the call was denied or allowed. Null for other rules, when govgraph has no IAM data for the principal at that time, or when the event's action is not in the IAM service catalog.",
  })
  async decision(@Root() v: Violation, @Ctx() { loaders }: GovgraphContext): Promise<Decision | null> {
    if (!CROSS_TEAM_RULES.has(v.ruleId) || !v.principalArn || !v.resourceArn) return null;
    const event = await loaders.eventById.load(v.eventId);
    if (!event) return null;
    const service = event.eventSource.replace(/\.amazonaws\.com$/, '');
    const params = (event.raw as { requestParameters?: unknown } | null)?.requestParameters;
    const tags = params && typeof params === 'object' ? requestTags(params as Record<string, unknown>) : null;
    try {
      const sim = await loaders.decisions.load({
        principalArn: event.userIdentityArn && SESSION_ARN.test(event.userIdentityArn) ? event.userIdentityArn : v.principalArn,
        action: `${service}:${event.eventName}`,
        resourceArn: v.resourceArn,
        at: v.eventTime,
        requestTags: tags?.given ? tags.tags : null,
        beforeEventId: v.eventId,
      });
      return sim ? toDecision(sim) : null;
    } catch (err) {
      // an event whose action the catalog does not know (or a recorded ARN that is no ARN) has no decision
      if (err instanceof InvalidInputError) return null;
      throw err;
    }
  }
}
