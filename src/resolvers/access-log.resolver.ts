import { Args, ArgsType, Ctx, Query, Resolver } from 'type-graphql';
import { countAccessLog, listAccessLog } from '../read/access-log';
import { pageRequest } from '../read/pagination';
import { ApiAccessLogConnection, ApiAccessLogEntry, ApiAccessLogFilter } from '../schema/access-log.type';
import { FilteredPageArgs, toConnection } from '../schema/pagination.type';
import type { GovgraphContext } from '../server/context';

@ArgsType()
class ApiAccessLogArgs extends FilteredPageArgs(ApiAccessLogFilter, 'What to narrow to; absent: every recorded call.') {}

@Resolver(() => ApiAccessLogEntry)
export class AccessLogResolver {
  @Query(() => ApiAccessLogConnection, { description: 'Every call to the API (allowed, refused, failed) as the append-only access log recorded it, newest first.' })
  async apiAccessLog(
    @Args() { filter, first, after }: ApiAccessLogArgs,
    @Ctx() { db }: GovgraphContext,
  ): Promise<ApiAccessLogConnection> {
    const f = filter ?? {};
    const page = await listAccessLog(db, f, pageRequest(first, after, 'access-log'));
    return toConnection(ApiAccessLogConnection, page, () => countAccessLog(db, f));
  }
}
