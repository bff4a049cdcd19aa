import { Args, ArgsType, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { countEvents, listEvents } from '../read/events';
import { pageRequest } from '../read/pagination';
import { AuditEvent, AuditEventConnection, AuditEventFilter } from '../schema/audit-event.type';
import { FilteredPageArgs, toConnection } from '../schema/pagination.type';
import { Principal } from '../schema/principal.type';
import { Resource } from '../schema/resource.type';
import type { GovgraphContext } from '../server/context';
import { loadAll } from '../server/loaders';

@ArgsType()
class AuditEventsArgs extends FilteredPageArgs(AuditEventFilter, 'What to narrow to; absent: every event.') {}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, { description: 'Stored CloudTrail events, newest first, narrowed by the filter.' })
  async auditEvents(
    @Args() { filter, first, after }: AuditEventsArgs,
    @Ctx() { db }: GovgraphContext,
  ): Promise<AuditEventConnection> {
    const f = filter ?? {};
    const page = await listEvents(db, f, pageRequest(first, after, 'event'));
    return toConnection(AuditEventConnection, page, () => countEvents(db, f));
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'Who acted (for a session, the issuing role); null when the record names nobody usable.' })
  principal(@Root() event: AuditEvent, @Ctx() { loaders }: GovgraphContext) {
    return event.principalId ? loaders.principalById.load(event.principalId) : null;
  }

  @FieldResolver(() => [Resource], { description: 'The resources the event touched, as govgraph knows them.' })
  resources(@Root() event: AuditEvent, @Ctx() { loaders }: GovgraphContext) {
    return loadAll(loaders.resourceByArn, event.resourceArns);
  }
}
