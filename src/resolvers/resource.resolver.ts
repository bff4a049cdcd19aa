import { Arg, Args, ArgsType, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { pageRequest } from '../read/pagination';
import { checkResourceArn, countResources, listResources } from '../read/resources';
import { tagList } from '../read/tags';
import { AuditEventConnection } from '../schema/audit-event.type';
import { FilteredPageArgs, PageArgs, toConnection } from '../schema/pagination.type';
import { Principal } from '../schema/principal.type';
import { Resource, ResourceConnection, ResourceFilter } from '../schema/resource.type';
import { Tag, TagPeriod } from '../schema/tag.type';
import { Team } from '../schema/team.type';
import { NestedViolationsArgs, ViolationConnection } from '../schema/violation.type';
import type { GovgraphContext } from '../server/context';

@ArgsType()
class ResourcesArgs extends FilteredPageArgs(ResourceFilter, 'What to narrow to; absent: every resource, deleted or not.') {}

@Resolver(() => Resource)
export class ResourceResolver {
  @Query(() => Resource, {
    nullable: true,
    description: 'The resource with this ARN; null when govgraph has not seen it; BAD_USER_INPUT when the argument is not an ARN.',
  })
  resource(@Arg('arn', () => String, { description: 'Full ARN.' }) arn: string, @Ctx() { loaders }: GovgraphContext) {
    return loaders.resourceByArn.load(checkResourceArn(arn));
  }

  @Query(() => ResourceConnection, { description: 'Resources, in the order govgraph first recorded them, narrowed by the filter.' })
  async resources(
    @Args() { filter, first, after }: ResourcesArgs,
    @Ctx() { db }: GovgraphContext,
  ): Promise<ResourceConnection> {
    const f = filter ?? {};
    const page = await listResources(db, f, pageRequest(first, after, 'resource'));
    return toConnection(ResourceConnection, page, () => countResources(db, f));
  }

  @FieldResolver(() => Boolean, { description: 'Whether it has been deleted (deletedAt is set).' })
  deleted(@Root() resource: Resource): boolean {
    return resource.deletedAt !== null;
  }

  @FieldResolver(() => [Tag], { description: 'Its current tags, sorted by key.' })
  tags(@Root() resource: Resource): Tag[] {
    return tagList(resource.tags);
  }

  @FieldResolver(() => [TagPeriod], { description: 'Every value each tag key has had, per key oldest first, with the event or tag sync that set it.' })
  tagHistory(@Root() resource: Resource, @Ctx() { loaders }: GovgraphContext) {
    return loaders.tagHistory.load(resource.id);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team its current team tag names; null when untagged. (whoOwns goes further: creator tags, naming.)' })
  ownerTeam(@Root() resource: Resource, @Ctx() { loaders }: GovgraphContext) {
    return resource.ownerTeamId ? loaders.teamById.load(resource.ownerTeamId) : null;
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'Who created it (the principal of its Create* event); null when that event is not stored.' })
  createdBy(@Root() resource: Resource, @Ctx() { loaders }: GovgraphContext) {
    return resource.createdByPrincipalId ? loaders.principalById.load(resource.createdByPrincipalId) : null;
  }

  @FieldResolver(() => AuditEventConnection, { description: 'Events that touched it, newest first.' })
  async events(@Root() resource: Resource, @Args() { first, after }: PageArgs, @Ctx() { loaders }: GovgraphContext): Promise<AuditEventConnection> {
    const req = pageRequest(first, after, 'event');
    const page = await loaders.eventPages.load({ key: resource.arn, args: { parent: 'resource', req } });
    return toConnection(AuditEventConnection, page, () => loaders.eventCounts.load({ key: resource.arn, args: { parent: 'resource' } }));
  }

  @FieldResolver(() => ViolationConnection, { description: 'Compliance violations on it, newest offending event first.' })
  async violations(@Root() resource: Resource, @Args() { filter, first, after }: NestedViolationsArgs, @Ctx() { loaders }: GovgraphContext): Promise<ViolationConnection> {
    const req = pageRequest(first, after, 'violation');
    const f = filter ?? {};
    const page = await loaders.violationPages.load({ key: resource.arn, args: { parent: 'resource', filter: f, req } });
    return toConnection(ViolationConnection, page, () => loaders.violationCounts.load({ key: resource.arn, args: { parent: 'resource', filter: f } }));
  }
}
