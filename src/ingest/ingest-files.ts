import { stat } from 'node:fs/promises';
import type { Pool } from 'pg';
import { evaluatePreparedEvents, EvaluationOptions } from '../compliance/evaluate';
import { parseArn } from '../domain/aws/arn';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { readCloudTrailPaths } from './cloudtrail-files';
import { ingestCloudTrailItems } from './cloudtrail-ingest';
import type { CloudTrailCounts, LoadContext, PreparedEvent } from './cloudtrail-load';
import { finishIngestionRun, startIngestionRun } from './runs';
import { readTagMappingFiles } from './tag-files';
import { emptyTagCounts, loadTagBatch, sweepUnlistedResources, TagCounts, TagMapping } from './tags-load';

/** Every path must be readable before anything is stored: a typo fails fast and stores nothing. */
export async function checkPathsReadable(paths: string[]): Promise<void> {
  if (paths.length === 0) throw new Error('no path given');
  for (const p of paths) {
    try {
      await stat(p);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new Error(`cannot read ${p}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
  }
}

async function withRun<T extends object>(
  pool: Pool,
  kind: 'cloudtrail-files' | 'tag-files',
  paths: string[],
  body: (runId: string) => Promise<T>,
): Promise<T> {
  const runId = await startIngestionRun(pool, kind, paths.join(' '));
  try {
    const counts = await body(runId);
    await finishIngestionRun(pool, runId, { status: 'succeeded', complete: true, counts });
    return counts;
  } catch (err) {
    await finishIngestionRun(pool, runId, { status: 'failed', complete: false, counts: {}, error: (err as Error).message }).catch(() => undefined);
    throw err;
  }
}

/** `govgraph ingest cloudtrail PATH…` and the file worker: log files, JSON Lines, envelopes. */
export async function ingestCloudTrailPaths(
  pool: Pool,
  paths: string[],
  opts: { teamTagKey: string; batchSize?: number; onProgress?: (c: CloudTrailCounts) => void; evaluation?: EvaluationOptions },
): Promise<CloudTrailCounts> {
  await checkPathsReadable(paths);
  const { evaluation, ...rest } = opts;
  return withRun(pool, 'cloudtrail-files', paths, (runId) =>
    ingestCloudTrailItems(pool, readCloudTrailPaths(paths), { ...rest, runId, afterStore: evaluateAfterStore(pool, evaluation) }),
  );
}

/**
 * Rules run on each batch as soon as it is stored, when rule evaluation is configured, from the
 * records in hand; concurrently with the next batch's load (it writes only violations, and that
 * batch commits after it), see LoadContext.afterStore.
 */
export function evaluateAfterStore(pool: Pool, evaluation: EvaluationOptions | undefined): LoadContext['afterStore'] {
  return evaluation
    ? (_ids: string[], events: PreparedEvent[]) => ({ concurrently: evaluatePreparedEvents(pool, events, evaluation).then(() => undefined) })
    : undefined;
}

const BATCH = 1000;

/**
 * `govgraph ingest tags PATH…`: saved GetResources responses. With `complete`, the files are
 * taken as one complete listing of every account and region they name, and resources those
 * listed before but not now are marked deleted.
 */
export async function ingestTagPaths(
  pool: Pool,
  paths: string[],
  opts: { teamTagKey: string; complete?: boolean; at?: Date; onProgress?: (c: TagCounts) => void },
): Promise<TagCounts> {
  await checkPathsReadable(paths);
  return withRun(pool, 'tag-files', paths, async (runId) => {
    const at = opts.at ?? new Date();
    const ctx = { runId, at, teamTagKey: opts.teamTagKey };
    const totals = emptyTagCounts();
    const scopes = new Map<string, { accountId: string; region: string }>();
    let mappings: TagMapping[] = [];
    let rejected: RejectedRecord[] = [];
    const flush = async () => {
      const c = await loadTagBatch(pool, mappings, rejected, ctx);
      totals.read += c.read;
      totals.resources += c.resources;
      totals.rejected += c.rejected;
      mappings = [];
      rejected = [];
      opts.onProgress?.(totals);
    };
    for await (const item of readTagMappingFiles(paths)) {
      if (item.kind === 'rejected') rejected.push(item.rejected);
      else {
        mappings.push({ resourceArn: item.resourceArn, tags: item.tags });
        const arn = parseArn(item.resourceArn);
        if (arn?.accountId && arn.region) scopes.set(`${arn.accountId}/${arn.region}`, { accountId: arn.accountId, region: arn.region });
      }
      if (mappings.length + rejected.length >= BATCH) await flush();
    }
    await flush();
    if (opts.complete) {
      for (const scope of scopes.values()) totals.deleted += await sweepUnlistedResources(pool, scope, runId, at);
    }
    return totals;
  });
}
