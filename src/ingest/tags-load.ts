import type { Pool } from 'pg';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { storeRejectedRecords } from './rejected-load';
import { inTransaction, refreshDerivedState, upsertResources } from './inventory-load';

/** One resource as GetResources lists it: its whole current tag set. */
export interface TagMapping {
  resourceArn: string;
  tags: Record<string, string>;
}

export interface TagCounts {
  read: number;
  resources: number;
  deleted: number;
  rejected: number;
}

export const emptyTagCounts = (): TagCounts => ({ read: 0, resources: 0, deleted: 0, rejected: 0 });

export interface TagLoadContext {
  /** the ingestion run: tag observations and listings point back to it */
  runId: string;
  /** when the listing was taken */
  at: Date;
  teamTagKey: string;
}

/**
 * Loads one batch of a tag listing: upserts the listed resources, records for each tag whose
 * value differs from the current one an observation (a tag no longer listed is an observation
 * of removal), and recomputes owner teams. Replaying the same run records nothing new.
 */
export async function loadTagBatch(pool: Pool, mappings: TagMapping[], rejected: RejectedRecord[], ctx: TagLoadContext): Promise<TagCounts> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      // A resource listed twice in one run: the last listing wins.
      const byArn = new Map(mappings.map((m) => [m.resourceArn, m.tags]));
      const arns = [...byArn.keys()].sort();
      const { ids } = await upsertResources(
        client,
        arns.map((arn) => ({ arn, name: null, firstSeen: ctx.at, lastSeen: ctx.at })),
        ctx.runId,
      );
      const pairs = arns.flatMap((arn) => Object.entries(byArn.get(arn)!).map(([k, v]) => [ids.get(arn)!, k, v] as const));
      await client.query(
        `WITH incoming AS (
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(resource_id, tag_key, tag_value)
         ), current AS (
           SELECT r.id AS resource_id, kv.key AS tag_key, kv.value AS tag_value
             FROM resources r, jsonb_each_text(r.tags) kv WHERE r.id = ANY($4::bigint[])
         )
         INSERT INTO resource_tag_changes (resource_id, tag_key, tag_value, changed_at, source_sync_run_id)
         SELECT i.resource_id, i.tag_key, i.tag_value, $5::timestamptz, $6::bigint FROM incoming i
           LEFT JOIN current c USING (resource_id, tag_key)
          WHERE c.tag_value IS DISTINCT FROM i.tag_value
         UNION ALL
         SELECT c.resource_id, c.tag_key, NULL, $5::timestamptz, $6::bigint FROM current c
          WHERE NOT EXISTS (SELECT 1 FROM incoming i WHERE i.resource_id = c.resource_id AND i.tag_key = c.tag_key)
         ON CONFLICT DO NOTHING`,
        [pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map((p) => p[2]), [...ids.values()], ctx.at, ctx.runId],
      );
      // Listed now, so it exists: a deletion recorded before this listing is over.
      await client.query(
        `UPDATE resources SET deleted_at = NULL, deleted_event_id = NULL
          WHERE id = ANY($1::bigint[]) AND deleted_at IS NOT NULL AND deleted_at < $2`,
        [[...ids.values()], ctx.at],
      );
      await refreshDerivedState(client, [...ids.values()], ctx.teamTagKey);
      await storeRejectedRecords(client, rejected, ctx.runId);
      return { read: mappings.length + rejected.length, resources: arns.length, deleted: 0, rejected: rejected.length };
    });
  } finally {
    client.release();
  }
}


/**
 * Cleanup after a COMPLETE listing of one account and region: a resource an earlier listing
 * showed that this one did not is marked deleted (never removed: the store keeps history).
 * Resources only ever seen in CloudTrail are left alone: GetResources does not list them.
 */
export async function sweepUnlistedResources(
  pool: Pool,
  scope: { accountId: string; region: string },
  runId: string,
  at: Date,
): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE resources SET deleted_at = $4
      WHERE account_id = $1 AND region = $2 AND deleted_at IS NULL
        AND last_sync_run_id IS NOT NULL AND last_sync_run_id <> $3::bigint`,
    [scope.accountId, scope.region, runId, at],
  );
  return rowCount ?? 0;
}
