import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Pool } from 'pg';
import { getLookupEventsPages } from '../aws/lookup-events';
import { createRequestPacer } from '../aws/rate-limit';
import type { SourceItem } from '../domain/cloudtrail/source-item';
import type { EvaluationOptions } from '../compliance/evaluate';
import { ingestCloudTrailItems } from './cloudtrail-ingest';
import { evaluateAfterStore } from './ingest-files';
import type { CloudTrailCounts } from './cloudtrail-load';
import { finishIngestionRun, readCheckpoint, startIngestionRun, writeCheckpoint } from './runs';
import { withScopeLock } from './scope-lock';

export interface AwsScope {
  accountId: string;
  region: string;
}

export interface LookupEventsDeps {
  pool: Pool;
  cloudTrail: (scope: AwsScope) => CloudTrailClient;
  teamTagKey: string;
  /** each run starts this far before the last checkpoint: CloudTrail delivers events late */
  overlapMinutes: number;
  /** how far back the first run of a scope reaches (LookupEvents keeps 90 days) */
  initialLookbackHours: number;
  /** LookupEvents allows 2 requests per second per account and region */
  requestsPerSecond?: number;
  now?: () => Date;
  /** rules run on each stored batch when set */
  evaluation?: EvaluationOptions;
}

export interface LookupEventsCheckpoint {
  /** the end of the last complete window */
  until: string;
}

export const LOOKUP_EVENTS_SOURCE = 'lookup-events';
export const scopeKey = (s: AwsScope) => `${s.accountId}/${s.region}`;

export type LookupEventsResult = CloudTrailCounts & { skipped: boolean; window: { start: string; end: string } | null };

/**
 * One LookupEvents run for one account and region: fetch the window since the checkpoint (less
 * the overlap) page by page within the rate limit → transform → load; the checkpoint moves only
 * after the whole window is stored, so a run that dies is simply repeated (eventIDs dedupe).
 */
export async function syncLookupEvents(deps: LookupEventsDeps, scope: AwsScope): Promise<LookupEventsResult> {
  const key = scopeKey(scope);
  const outcome = await withScopeLock(deps.pool, `${LOOKUP_EVENTS_SOURCE}:${key}`, async () => {
    const end = (deps.now ?? (() => new Date()))();
    const checkpoint = await readCheckpoint<LookupEventsCheckpoint>(deps.pool, LOOKUP_EVENTS_SOURCE, key);
    const start = checkpoint
      ? new Date(new Date(checkpoint.until).getTime() - deps.overlapMinutes * 60_000)
      : new Date(end.getTime() - deps.initialLookbackHours * 3_600_000);
    const runId = await startIngestionRun(deps.pool, 'lookup-events', key);
    const client = deps.cloudTrail(scope);
    try {
      const pacer = createRequestPacer(deps.requestsPerSecond ?? 2);
      const pages = getLookupEventsPages(client, { startTime: start, endTime: end, pacer, scope });
      const counts = await ingestCloudTrailItems(deps.pool, itemsOf(pages), {
        runId,
        teamTagKey: deps.teamTagKey,
        afterStore: evaluateAfterStore(deps.pool, deps.evaluation),
      });
      await writeCheckpoint(deps.pool, LOOKUP_EVENTS_SOURCE, key, { until: end.toISOString() } satisfies LookupEventsCheckpoint);
      await finishIngestionRun(deps.pool, runId, { status: 'succeeded', complete: true, counts });
      return { ...counts, skipped: false, window: { start: start.toISOString(), end: end.toISOString() } };
    } catch (err) {
      await finishIngestionRun(deps.pool, runId, { status: 'failed', complete: false, counts: {}, error: (err as Error).message }).catch(() => undefined);
      throw err;
    } finally {
      client.destroy(); // close keep-alive sockets; the next run assumes the role afresh
    }
  });
  return outcome ?? { read: 0, stored: 0, duplicates: 0, conflicts: 0, rejected: 0, skipped: true, window: null };
}

async function* itemsOf(pages: AsyncIterable<{ items: SourceItem[] }>): AsyncGenerator<SourceItem> {
  for await (const page of pages) yield* page.items;
}
