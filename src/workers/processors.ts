import { Job, UnrecoverableError } from 'bullmq';
import type { Pool } from 'pg';
import type { EvaluationOptions } from '../compliance/evaluate';
import { ingestCloudTrailPaths } from '../ingest/ingest-files';
import { LookupEventsDeps, syncLookupEvents } from '../ingest/lookup-events-sync';
import { syncTaggedResources, TagSyncDeps } from '../ingest/tag-sync';
import { IamSnapshotDeps, syncIamSnapshot } from '../ingest/iam-snapshot-sync';
import type { CloudTrailFilesJob, IamSnapshotJob, ScopeJob } from './queues';

/** AWS errors that retrying will not fix: the job fails at once instead of after backoff. */
const PERMANENT_AWS_ERRORS = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException',
  'InvalidClientTokenId', 'InvalidParameterException', 'InvalidLookupAttributesException',
  'InvalidTimeRangeException', 'OperationNotPermittedException', 'ValidationException',
]);

export function classifyError(err: unknown): Error {
  const name = (err as { name?: string })?.name ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (PERMANENT_AWS_ERRORS.has(name)) return new UnrecoverableError(`${name}: ${message}`);
  if (/^cannot read /.test(message)) return new UnrecoverableError(message);
  return err instanceof Error ? err : new Error(message);
}

async function classified<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyError(err); // transient errors rethrown as they are: BullMQ retries them with backoff
  }
}

export const createCloudTrailFilesProcessor = (deps: { pool: Pool; teamTagKey: string; evaluation?: EvaluationOptions }) => (job: Job<CloudTrailFilesJob>) =>
  classified(() =>
    ingestCloudTrailPaths(deps.pool, job.data.paths, {
      teamTagKey: deps.teamTagKey,
      evaluation: deps.evaluation,
      onProgress: (c) => void job.updateProgress({ ...c }).catch(() => undefined),
    }),
  );

export const createLookupEventsProcessor = (deps: LookupEventsDeps) => (job: Job<ScopeJob>) =>
  classified(() => syncLookupEvents(deps, { accountId: job.data.accountId, region: job.data.region }));

export const createTagSyncProcessor = (deps: TagSyncDeps) => (job: Job<ScopeJob>) =>
  classified(() => syncTaggedResources(deps, { accountId: job.data.accountId, region: job.data.region }));

export const createIamSnapshotProcessor = (deps: IamSnapshotDeps) => (job: Job<IamSnapshotJob>) =>
  classified(() => syncIamSnapshot(deps, { accountId: job.data.accountId }));
