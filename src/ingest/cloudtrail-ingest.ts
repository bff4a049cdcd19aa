import type { Pool } from 'pg';
import { isPrepared, prepareCloudTrailRecord } from '../domain/cloudtrail/prepare';
import type { SourceItem } from '../domain/cloudtrail/source-item';
import { addCounts, CloudTrailBatch, CloudTrailCounts, emptyCloudTrailCounts, loadCloudTrailBatchStaged, LoadContext, planCloudTrailBatch, PlannedBatch } from './cloudtrail-load';

export const DEFAULT_BATCH_SIZE = 5000;

export interface IngestOptions extends LoadContext {
  batchSize?: number;
  /** called after each stored batch with the running totals */
  onProgress?: (totals: CloudTrailCounts) => void;
}

/**
 * CloudTrail ingestion, one code path for the CLI and the workers: items from any source
 * (files, LookupEvents pages) → transform (pure) → load in set-based batches. While one batch
 * is written, the next is read, transformed and its writes planned (see PlannedBatch), so this
 * thread's work and Postgres's overlap and the write waits on little but Postgres; and while
 * a batch's rules are evaluated (concurrent afterStore work), the next one is written, committing
 * only after that evaluation has finished.
 */
export async function ingestCloudTrailItems(pool: Pool, items: AsyncIterable<SourceItem>, opts: IngestOptions): Promise<CloudTrailCounts> {
  const size = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  let totals = emptyCloudTrailCounts();
  let pending: Promise<void> = Promise.resolve();
  // the last stored batch's concurrent work: the next commit waits for it
  let after: Promise<void> = Promise.resolve();
  const flush = (batch: PlannedBatch) => {
    const previous = pending;
    pending = (async () => {
      await previous;
      const staged = await loadCloudTrailBatchStaged(pool, batch, opts, after);
      after = staged.after;
      // keep its failure from surfacing as an unhandled rejection before the next commit awaits it
      after.catch(() => undefined);
      totals = addCounts(totals, staged.counts);
      opts.onProgress?.(totals);
    })();
    // keep an early failure from surfacing as an unhandled rejection while reading goes on
    pending.catch(() => undefined);
  };
  let batch: CloudTrailBatch = { events: [], rejected: [] };
  let sinceYield = 0;
  for await (const item of items) {
    // Parsing is CPU work on this thread: yield now and then so the batch being written gets its
    // replies from Postgres and sends its next statement, instead of waiting for the whole batch.
    if (++sinceYield >= 100) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (item.kind === 'rejected') batch.rejected.push(item.rejected);
    else {
      const prepared = prepareCloudTrailRecord(item.record);
      if (isPrepared(prepared)) batch.events.push(prepared);
      else batch.rejected.push(prepared);
    }
    if (batch.events.length + batch.rejected.length >= size) {
      const planned = planCloudTrailBatch(pool, batch, opts);
      await pending; // at most one batch in flight while the next is read: memory stays bounded
      flush(planned);
      batch = { events: [], rejected: [] };
    }
  }
  flush(planCloudTrailBatch(pool, batch, opts));
  await pending;
  await after;
  return totals;
}
