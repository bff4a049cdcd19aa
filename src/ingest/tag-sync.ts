import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Pool } from 'pg';
import { getTaggedResourcePages } from '../aws/get-resources';
import type { AwsScope } from './lookup-events-sync';
import { scopeKey } from './lookup-events-sync';
import { finishIngestionRun, startIngestionRun } from './runs';
import { withScopeLock } from './scope-lock';
import { emptyTagCounts, loadTagBatch, sweepUnlistedResources, TagCounts } from './tags-load';

export interface TagSyncDeps {
  pool: Pool;
  tagging: (scope: AwsScope) => ResourceGroupsTaggingAPIClient;
  teamTagKey: string;
  now?: () => Date;
}

/**
 * One GetResources sync of one account and region: get (all pages) → load each page → sweep.
 * The sweep runs only after every page arrived: a failed or partial sync marks nothing deleted.
 */
export async function syncTaggedResources(deps: TagSyncDeps, scope: AwsScope): Promise<TagCounts & { skipped: boolean }> {
  const key = scopeKey(scope);
  const outcome = await withScopeLock(deps.pool, `get-resources:${key}`, async () => {
    const at = (deps.now ?? (() => new Date()))();
    const runId = await startIngestionRun(deps.pool, 'get-resources', key);
    const totals = emptyTagCounts();
    const client = deps.tagging(scope);
    try {
      for await (const page of getTaggedResourcePages(client, {})) {
        const c = await loadTagBatch(deps.pool, page.mappings, [], { runId, at, teamTagKey: deps.teamTagKey });
        totals.read += c.read;
        totals.resources += c.resources;
      }
      totals.deleted = await sweepUnlistedResources(deps.pool, scope, runId, at);
      await finishIngestionRun(deps.pool, runId, { status: 'succeeded', complete: true, counts: totals });
      return { ...totals, skipped: false };
    } catch (err) {
      await finishIngestionRun(deps.pool, runId, { status: 'failed', complete: false, counts: totals, error: (err as Error).message }).catch(() => undefined);
      throw err;
    } finally {
      client.destroy();
    }
  });
  return outcome ?? { ...emptyTagCounts(), skipped: true };
}
