import type { PoolClient } from 'pg';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { iamChangesFromEvent, IAM_CHANGE_EVENTS } from '../iam/cloudtrail-changes';
import type { IamEventChanges } from '../iam/facts';
import { applyIamEventChanges } from '../iam/store';
import type { PreparedEvent } from './cloudtrail-load';

/**
 * The CloudTrail path's hook into the IAM store: the IAM changes of the events a batch stores for
 * the first time, applied in the batch's own transaction, so a change is recorded exactly when its
 * event is (exactly once by eventID, nothing on a replay). A change that cannot be read (an
 * unparsable `policyDocument`) is kept in rejected_records with its reason; the event itself is
 * stored as received and the batch goes on. Returns the accounts whose grants were refreshed.
 */
export async function applyStoredIamChanges(client: PoolClient, fresh: PreparedEvent[], runId: string | null): Promise<string[]> {
  const candidates = fresh.filter(
    ({ event: e }) => e.eventSource === 'iam.amazonaws.com' && e.errorCode === null && IAM_CHANGE_EVENTS.has(e.eventName),
  );
  if (candidates.length === 0) return [];
  const changes: IamEventChanges[] = [];
  const rejected: RejectedRecord[] = [];
  for (const p of candidates) {
    // records kept from the transform stage are used as they are; otherwise only IAM change events are parsed again
    const { changes: c, problems } = iamChangesFromEvent(p.record ?? (JSON.parse(p.text) as Record<string, unknown>));
    if (c) changes.push(c);
    for (const problem of problems) rejected.push({ source: p.source, position: p.position, reason: `IAM change not applied: ${problem}`, raw: p.text });
  }
  return applyIamEventChanges(client, changes, rejected, runId);
}
