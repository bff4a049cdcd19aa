import type { Pool } from 'pg';
import { evaluateIamSnapshots, type EvaluationOptions } from '../compliance/evaluate';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { transformAuthorizationDetails } from '../iam/authorization-details';
import { emptyIamSnapshotCounts, IamSnapshotCounts, loadAuthorizationSnapshot } from '../iam/store';
import { addCounts } from './cloudtrail-load';
import { readIamListingFiles } from './iam-files';
import { checkPathsReadable } from './ingest-files';
import { inTransaction } from './inventory-load';
import { storeRejectedRecords } from './rejected-load';
import { finishIngestionRun, startIngestionRun } from './runs';

export interface IamIngestOptions {
  teamTagKey: string;
  /** the snapshot time; default: each listing's file modification time */
  at?: Date;
  onProgress?: (c: IamSnapshotCounts) => void;
  /** rules to judge each stored snapshot by (the account's standing access), as CloudTrail ingestion does per batch */
  evaluation?: EvaluationOptions;
}

/**
 * `govgraph ingest iam FILE…`: saved GetAccountAuthorizationDetails responses → one snapshot per
 * account listing (get → transform → load). Malformed entries and unreadable or incomplete
 * listings are kept aside in rejected_records; the rest is stored.
 */
export async function ingestIamPaths(pool: Pool, paths: string[], opts: IamIngestOptions): Promise<IamSnapshotCounts> {
  await checkPathsReadable(paths);
  const runId = await startIngestionRun(pool, 'iam-files', paths.join(' '));
  let totals = emptyIamSnapshotCounts();
  try {
    const rejected: RejectedRecord[] = [];
    for await (const item of readIamListingFiles(paths)) {
      if (item.kind === 'rejected') {
        rejected.push(item.rejected);
        continue;
      }
      const { listing } = item;
      let snapshot;
      try {
        snapshot = transformAuthorizationDetails(listing.pages);
      } catch (err) {
        rejected.push({ source: listing.files.join(' '), position: 'listing', reason: (err as Error).message, raw: JSON.stringify(listing.pages.map((p) => p.response)) });
        continue;
      }
      // a run of its own per listing: tag observations are unique per run, and a directory may hold many snapshots
      const source = listing.files.join(' ');
      const listingRun = await startIngestionRun(pool, 'iam-files', source);
      let counts: IamSnapshotCounts;
      try {
        const at = opts.at ?? listing.modifiedAt;
        counts = await loadAuthorizationSnapshot(pool, snapshot, { at, source, runId: listingRun, teamTagKey: opts.teamTagKey });
        if (opts.evaluation) await evaluateIamSnapshots(pool, [{ accountId: snapshot.accountId, takenAt: at }], opts.evaluation);
        await finishIngestionRun(pool, listingRun, { status: 'succeeded', complete: true, counts });
      } catch (err) {
        await finishIngestionRun(pool, listingRun, { status: 'failed', complete: false, counts: {}, error: (err as Error).message }).catch(() => undefined);
        throw err;
      }
      totals = addCounts(totals, counts);
      opts.onProgress?.(totals);
    }
    if (rejected.length > 0) {
      const client = await pool.connect();
      try {
        await inTransaction(client, () => storeRejectedRecords(client, rejected, runId));
      } finally {
        client.release();
      }
      totals = { ...totals, rejected: totals.rejected + rejected.length };
    }
    await finishIngestionRun(pool, runId, { status: 'succeeded', complete: true, counts: totals });
    return totals;
  } catch (err) {
    await finishIngestionRun(pool, runId, { status: 'failed', complete: false, counts: totals, error: (err as Error).message }).catch(() => undefined);
    throw err;
  }
}
