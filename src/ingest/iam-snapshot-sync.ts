import { evaluateIamSnapshots, type EvaluationOptions } from '../compliance/evaluate';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Pool } from 'pg';
import { getAuthorizationDetailsPages } from '../aws/iam';
import { AuthorizationDetailsPage, transformAuthorizationDetails } from '../iam/authorization-details';
import { emptyIamSnapshotCounts, IamSnapshotCounts, loadAuthorizationSnapshot } from '../iam/store';
import { finishIngestionRun, startIngestionRun } from './runs';
import { withScopeLock } from './scope-lock';

export interface IamSnapshotDeps {
  pool: Pool;
  iam: (accountId: string) => IAMClient;
  teamTagKey: string;
  /** page size asked of the API (the service's default is 100) */
  maxItems?: number;
  now?: () => Date;
  /** rules to judge the stored snapshot by */
  evaluation?: EvaluationOptions;
}

export const iamSnapshotSource = (accountId: string) => `get-account-authorization-details:${accountId}`;

/**
 * One IAM snapshot of one account: get every page → transform → load. Loading starts only once
 * every page arrived: a partial listing would retract what it did not list, so a failed fetch
 * stores nothing (and the job is retried). The snapshot's time is when the fetch started.
 */
export async function syncIamSnapshot(deps: IamSnapshotDeps, scope: { accountId: string }): Promise<IamSnapshotCounts & { skipped: boolean }> {
  const source = iamSnapshotSource(scope.accountId);
  const outcome = await withScopeLock(deps.pool, `iam-snapshot:${scope.accountId}`, async () => {
    const at = (deps.now ?? (() => new Date()))();
    const runId = await startIngestionRun(deps.pool, 'iam-snapshot', scope.accountId);
    const client = deps.iam(scope.accountId);
    try {
      const pages: AuthorizationDetailsPage[] = [];
      for await (const p of getAuthorizationDetailsPages(client, { maxItems: deps.maxItems })) {
        pages.push({ response: p.response, source, position: `page ${p.page}` });
      }
      const snapshot = transformAuthorizationDetails(pages, { accountId: scope.accountId });
      const counts = await loadAuthorizationSnapshot(deps.pool, snapshot, { at, source, runId, teamTagKey: deps.teamTagKey });
      if (deps.evaluation) await evaluateIamSnapshots(deps.pool, [{ accountId: snapshot.accountId, takenAt: at }], deps.evaluation);
      await finishIngestionRun(deps.pool, runId, { status: 'succeeded', complete: true, counts });
      return { ...counts, skipped: false };
    } catch (err) {
      await finishIngestionRun(deps.pool, runId, { status: 'failed', complete: false, counts: {}, error: (err as Error).message }).catch(() => undefined);
      throw err;
    } finally {
      client.destroy();
    }
  });
  return outcome ?? { ...emptyIamSnapshotCounts(), skipped: true };
}
