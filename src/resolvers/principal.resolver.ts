import { Arg, Args, ArgsType, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { pageRequest, pageSize } from '../read/pagination';
import { checkPrincipalKey, countPrincipals, listPrincipals, principalByKey } from '../read/principals';
import { tagList } from '../read/tags';
import { AuditEvent } from '../schema/audit-event.type';
import { FilteredPageArgs, toConnection } from '../schema/pagination.type';
import { Principal, PrincipalConnection, PrincipalFilter } from '../schema/principal.type';
import { Tag } from '../schema/tag.type';
import { Team } from '../schema/team.type';
import { NestedViolationsArgs, ViolationConnection } from '../schema/violation.type';
import type { GovgraphContext } from '../server/context';

@ArgsType()
class PrincipalsArgs extends FilteredPageArgs(PrincipalFilter, 'What to narrow to; absent: every principal.') {}

@Resolver(() => Principal)
export class PrincipalResolver {
  @Query(() => Principal, {
    nullable: true,
    description:
      'The principal with this key: an ARN (an assumed-role session ARN finds its issuing role) or a synthetic key. Null when govgraph has not seen it; BAD_USER_INPUT when it is neither an ARN nor a synthetic key.',
  })
  principal(@Arg('arn', () => String, { description: 'ARN or synthetic principal key.' }) arn: string, @Ctx() { db }: GovgraphContext) {
    return principalByKey(db, checkPrincipalKey(arn));
  }

  @Query(() => PrincipalConnection, { description: 'Principals, in the order govgraph first recorded them, narrowed by the filter.' })
  async principals(
    @Args() { filter, first, after }: PrincipalsArgs,
    @Ctx() { db }: GovgraphContext,
  ): Promise<PrincipalConnection> {
    const f = filter ?? {};
    const page = await listPrincipals(db, f, pageRequest(first, after, 'principal'));
    return toConnection(PrincipalConnection, page, () => countPrincipals(db, f));
  }

  @FieldResolver(() => Team, { nullable: true, description: "The team its team tag names; null when it has none." })
  team(@Root() principal: Principal, @Ctx() { loaders }: GovgraphContext) {
    return principal.teamId ? loaders.teamById.load(principal.teamId) : null;
  }

  @FieldResolver(() => [Tag], { description: 'Its current tags (from IAM tag events and inventories), sorted by key.' })
  tags(@Root() principal: Principal): Tag[] {
    return tagList(principal.tags);
  }

  @FieldResolver(() => [AuditEvent], { description: 'Its latest events, newest first.' })
  async recentEvents(
    @Root() principal: Principal,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10, description: 'How many: 0 to 500 (default 10).' }) first: number | null,
    @Ctx() { loaders }: GovgraphContext,
  ) {
    const req = { first: first === null ? 10 : pageSize(first), after: null };
    const page = await loaders.eventPages.load({ key: principal.id, args: { parent: 'principal', req } });
    return page.edges.map((e) => e.node);
  }

  @FieldResolver(() => ViolationConnection, { description: 'Compliance violations of its calls, newest offending event first.' })
  async violations(@Root() principal: Principal, @Args() { filter, first, after }: NestedViolationsArgs, @Ctx() { loaders }: GovgraphContext): Promise<ViolationConnection> {
    const req = pageRequest(first, after, 'violation');
    const f = filter ?? {};
    const page = await loaders.violationPages.load({ key: principal.arn, args: { parent: 'principal', filter: f, req } });
    return toConnection(ViolationConnection, page, () => loaders.violationCounts.load({ key: principal.arn, args: { parent: 'principal', filter: f } }));
  }
}
