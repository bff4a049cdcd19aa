import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { pageRequest, pageSize } from '../read/pagination';
import { listTeams } from '../read/teams';
import { AuditEvent } from '../schema/audit-event.type';
import { PageArgs, toConnection } from '../schema/pagination.type';
import { PrincipalConnection } from '../schema/principal.type';
import { ResourceConnection } from '../schema/resource.type';
import { Team } from '../schema/team.type';
import { NestedViolationsArgs, ViolationConnection } from '../schema/violation.type';
import type { GovgraphContext } from '../server/context';

@ArgsType()
class TeamResourcesArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, description: 'true: only deleted; false: only existing; absent: both.' })
  deleted?: boolean | null;
}

@Resolver(() => Team)
export class TeamResolver {
  @Query(() => [Team], { description: 'Every team govgraph knows (every value the team tag has had), by name.' })
  teams(@Ctx() { db }: GovgraphContext) {
    return listTeams(db);
  }

  @Query(() => Team, { nullable: true, description: 'The team of this name (exact, case-sensitive); null when no principal or resource has been tagged with it.' })
  team(@Arg('name', () => String, { description: 'Team tag value.' }) name: string, @Ctx() { loaders }: GovgraphContext) {
    return loaders.teamByName.load(name);
  }

  @FieldResolver(() => PrincipalConnection, { description: 'Principals whose team tag names this team.' })
  async members(@Root() team: Team, @Args() { first, after }: PageArgs, @Ctx() { loaders }: GovgraphContext): Promise<PrincipalConnection> {
    const req = pageRequest(first, after, 'principal');
    const page = await loaders.memberPages.load({ key: team.id, args: { req } });
    return toConnection(PrincipalConnection, page, () => loaders.memberCounts.load({ key: team.id, args: {} }));
  }

  @FieldResolver(() => ResourceConnection, { description: 'Resources this team owns now (their current team tag).' })
  async resources(
    @Root() team: Team,
    @Args() { deleted, first, after }: TeamResourcesArgs,
    @Ctx() { loaders }: GovgraphContext,
  ): Promise<ResourceConnection> {
    const req = pageRequest(first, after, 'resource');
    const filter = { deleted: deleted ?? null };
    const page = await loaders.resourcePages.load({ key: team.id, args: { filter, req } });
    return toConnection(ResourceConnection, page, () => loaders.resourceCounts.load({ key: team.id, args: { filter } }));
  }

  @FieldResolver(() => [AuditEvent], {
    description: "The team's latest events, newest first: acted by its members OR touching a resource it owns (as AuditEventFilter.team).",
  })
  async recentEvents(
    @Root() team: Team,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10, description: 'How many: 0 to 500 (default 10).' }) first: number | null,
    @Ctx() { loaders }: GovgraphContext,
  ) {
    const req = { first: first === null ? 10 : pageSize(first), after: null };
    const page = await loaders.eventPages.load({ key: team.id, args: { parent: 'team', req } });
    return page.edges.map((e) => e.node);
  }

  @FieldResolver(() => ViolationConnection, { description: 'Compliance violations the team is answerable for (Violation.team), newest offending event first.' })
  async violations(@Root() team: Team, @Args() { filter, first, after }: NestedViolationsArgs, @Ctx() { loaders }: GovgraphContext): Promise<ViolationConnection> {
    const req = pageRequest(first, after, 'violation');
    const f = filter ?? {};
    const page = await loaders.violationPages.load({ key: team.name, args: { parent: 'team', filter: f, req } });
    return toConnection(ViolationConnection, page, () => loaders.violationCounts.load({ key: team.name, args: { parent: 'team', filter: f } }));
  }
}
