import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ownershipView } from '../read/ownership';
import { Ownership, OwnershipContact, ResourceOwnership } from '../schema/ownership.type';
import { Principal } from '../schema/principal.type';
import { Resource } from '../schema/resource.type';
import { Team } from '../schema/team.type';
import type { GovgraphContext } from '../server/context';
import { loadAll } from '../server/loaders';

@Resolver(() => Ownership)
export class OwnershipResolver {
  @Query(() => Ownership, {
    nullable: true,
    description:
      'Who owns a resource, and why: the query is a full ARN or a bare name (`churn-v7`). Answers even when nothing matches (matchedBy NONE, basis UNKNOWN, a message saying so); null only alongside an error.',
  })
  async whoOwns(@Arg('query', () => String, { description: 'A full ARN or a bare resource name.' }) query: string, @Ctx() ctx: GovgraphContext) {
    return ownershipView(await ctx.whoOwns(ctx.ownershipDb, query, { teamTagKey: ctx.teamTagKey }));
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The owner team when every match agrees on one.' })
  team(@Root() o: Ownership, @Ctx() { loaders }: GovgraphContext) {
    return o.teamName ? loaders.teamByName.load(o.teamName) : null;
  }

  @FieldResolver(() => [Resource], { description: 'The matched resources.' })
  resources(@Root() o: Ownership, @Ctx() { loaders }: GovgraphContext) {
    return loadAll(loaders.resourceByArn, o.matches.map((m) => m.resourceArn));
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'The creating principal when every match has the same known creator.' })
  createdBy(@Root() o: Ownership, @Ctx() { loaders }: GovgraphContext) {
    return o.createdByArn ? loaders.principalByArn.load(o.createdByArn) : null;
  }
}

@Resolver(() => ResourceOwnership)
export class ResourceOwnershipResolver {
  @FieldResolver(() => Resource, { nullable: true, description: 'The matched resource.' })
  resource(@Root() o: ResourceOwnership, @Ctx() { loaders }: GovgraphContext) {
    return loaders.resourceByArn.load(o.resourceArn);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The owner team; null when nothing decides it.' })
  team(@Root() o: ResourceOwnership, @Ctx() { loaders }: GovgraphContext) {
    return o.teamName ? loaders.teamByName.load(o.teamName) : null;
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'The principal that created it, when its create event is known.' })
  createdBy(@Root() o: ResourceOwnership, @Ctx() { loaders }: GovgraphContext) {
    return o.createdByArn ? loaders.principalByArn.load(o.createdByArn) : null;
  }
}

@Resolver(() => OwnershipContact)
export class OwnershipContactResolver {
  @FieldResolver(() => Principal, { nullable: true, description: 'The principal.' })
  principal(@Root() c: OwnershipContact, @Ctx() { loaders }: GovgraphContext) {
    return loaders.principalByArn.load(c.principalArn);
  }
}
