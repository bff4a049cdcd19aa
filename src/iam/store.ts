/**
 * The load stage for IAM: set-based writes of snapshots and CloudTrail IAM changes into the
 * append-only change log (`iam_fact_changes`), the policy version documents, principals and their
 * tag history, then the per-account refresh of fact periods and policy grants. A fixed number of
 * statements per snapshot or batch, whatever its size.
 *
 * Why the result does not depend on arrival order: the state of a fact at t is its latest change
 * point at or before t, and every retraction a snapshot implies is recorded as a change point of
 * its own — at load time for what was asserted before the snapshot, and, when an assertion arrives
 * after a later snapshot was stored, at the first snapshot after it that does not list the fact.
 */
import type { Pool, PoolClient } from 'pg';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { adoptResourceTeams, inTransaction, refreshDerivedState, upsertResources, upsertTeams } from '../ingest/inventory-load';
import { storeRejectedRecords } from '../ingest/rejected-load';
import type { AuthorizationSnapshot } from './authorization-details';
import type { IamEventChanges, IamPrincipalSighting, PolicyVersionDocument } from './facts';
import { documentSha256 } from './policy-document';

export interface IamSnapshotCounts {
  users: number;
  groups: number;
  roles: number;
  policies: number;
  /** grants of the account valid at the snapshot's time */
  grants: number;
  rejected: number;
  /** snapshots stored now (0 when the same snapshot was stored before) */
  snapshots: number;
  duplicates: number;
}

export const emptyIamSnapshotCounts = (): IamSnapshotCounts => ({ users: 0, groups: 0, roles: 0, policies: 0, grants: 0, rejected: 0, snapshots: 0, duplicates: 0 });

export interface IamSnapshotContext {
  /** when the listing was taken */
  at: Date;
  /** the files, or `get-account-authorization-details:<account>` */
  source: string;
  /** the ingestion run: tag observations point back to it */
  runId: string;
  teamTagKey: string;
}

/** A change point as stored. */
interface ChangeRow {
  accountId: string;
  kind: string;
  key: string;
  op: 'ASSERT' | 'RETRACT';
  at: Date;
  payload: Record<string, unknown>;
  sourceKind: 'SNAPSHOT' | 'EVENT';
  sourceId: string;
}

/** One IAM load at a time per account, across processes: the retraction rules read what is stored. */
async function lockAccounts(client: PoolClient, accounts: string[]): Promise<void> {
  const sorted = [...new Set(accounts)].sort();
  await client.query("SELECT pg_advisory_xact_lock(hashtext('govgraph-iam:' || a)) FROM unnest($1::text[]) AS a ORDER BY a", [sorted]);
}

/** A change point appended now (not there before), as retractAtNextSnapshot reads it. */
interface AppendedChange {
  account_id: string;
  fact_kind: string;
  fact_key: string;
  op: 'ASSERT' | 'RETRACT';
  at: Date;
}

async function appendChanges(client: PoolClient, rows: ChangeRow[]): Promise<AppendedChange[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await client.query<AppendedChange>(
    `INSERT INTO iam_fact_changes (account_id, fact_kind, fact_key, op, at, payload, source_kind, source_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::text[], $8::text[])
     ON CONFLICT DO NOTHING
     RETURNING account_id, fact_kind, fact_key, op, at`,
    [
      rows.map((r) => r.accountId), rows.map((r) => r.kind), rows.map((r) => r.key), rows.map((r) => r.op),
      rows.map((r) => r.at), rows.map((r) => JSON.stringify(r.payload)), rows.map((r) => r.sourceKind), rows.map((r) => r.sourceId),
    ],
  );
  return inserted;
}

/**
 * Assertions that arrived after a later snapshot was stored: each fact not listed by the first
 * snapshot after its assertion is retracted there (the snapshot is a complete listing).
 */
async function retractAtNextSnapshot(client: PoolClient, asserted: AppendedChange[]): Promise<void> {
  const rows = asserted.filter((r) => r.op === 'ASSERT');
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO iam_fact_changes (account_id, fact_kind, fact_key, op, at, payload, source_kind, source_id)
     SELECT DISTINCT a.account_id, a.fact_kind, a.fact_key, 'RETRACT', s.taken_at, '{}'::jsonb, 'SNAPSHOT', 'snapshot:' || s.id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS a(account_id, fact_kind, fact_key, at)
       CROSS JOIN LATERAL (
         SELECT s.id, s.taken_at FROM iam_snapshots s WHERE s.account_id = a.account_id AND s.taken_at > a.at ORDER BY s.taken_at LIMIT 1
       ) s
      WHERE NOT EXISTS (
        SELECT 1 FROM iam_fact_changes l
         WHERE l.account_id = a.account_id AND l.fact_kind = a.fact_kind AND l.fact_key = a.fact_key
           AND l.at = s.taken_at AND l.op = 'ASSERT' AND l.source_id = 'snapshot:' || s.id)
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.account_id), rows.map((r) => r.fact_kind), rows.map((r) => r.fact_key), rows.map((r) => r.at)],
  );
}

/** Version documents; the same version seen again keeps the earliest creation time known. */
async function storePolicyVersions(client: PoolClient, accountId: string[], versions: PolicyVersionDocument[], sourceIds: string[]): Promise<void> {
  if (versions.length === 0) return;
  const byKey = new Map<string, { i: number; sha: string }>();
  versions.forEach((v, i) => {
    const sha = documentSha256(v.document);
    const key = `${accountId[i]} ${v.policyArn} ${v.versionId} ${sha}`;
    const seen = byKey.get(key);
    if (!seen || (v.createdAt && (!versions[seen.i].createdAt || v.createdAt < versions[seen.i].createdAt!))) byKey.set(key, { i, sha });
  });
  const picked = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  await client.query(
    `INSERT INTO iam_policy_versions AS v (account_id, policy_arn, version_id, document, document_sha256, created_at, first_source_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::text[])
     ON CONFLICT (account_id, policy_arn, version_id, document_sha256) DO UPDATE
       SET created_at = LEAST(v.created_at, EXCLUDED.created_at)
     WHERE EXCLUDED.created_at < v.created_at OR (v.created_at IS NULL AND EXCLUDED.created_at IS NOT NULL)`,
    [
      picked.map(({ i }) => accountId[i]), picked.map(({ i }) => versions[i].policyArn), picked.map(({ i }) => versions[i].versionId),
      picked.map(({ i }) => JSON.stringify(versions[i].document)), picked.map(({ sha }) => sha),
      picked.map(({ i }) => versions[i].createdAt), picked.map(({ i }) => sourceIds[i]),
    ],
  );
}

/** Users and roles as principals (IAM_USER / ROLE, with their unique ids); the newest sighting's id wins. */
async function upsertIamPrincipals(client: PoolClient, sightings: { p: IamPrincipalSighting; at: Date }[]): Promise<void> {
  const byArn = new Map<string, { p: IamPrincipalSighting; first: Date; last: Date }>();
  for (const { p, at } of sightings) {
    const seen = byArn.get(p.arn);
    if (!seen) byArn.set(p.arn, { p, first: at, last: at });
    else {
      if (at < seen.first) seen.first = at;
      if (at >= seen.last) {
        seen.last = at;
        seen.p = { ...p, awsPrincipalId: p.awsPrincipalId ?? seen.p.awsPrincipalId };
      }
    }
  }
  const rows = [...byArn.values()].sort((a, b) => (a.p.arn < b.p.arn ? -1 : 1));
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO principals AS p (arn, principal_type, account_id, name, aws_principal_id, first_seen, last_seen)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
     ON CONFLICT (arn) DO UPDATE SET
       first_seen = LEAST(p.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen),
       aws_principal_id = CASE WHEN EXCLUDED.last_seen >= p.last_seen THEN COALESCE(EXCLUDED.aws_principal_id, p.aws_principal_id)
                               ELSE COALESCE(p.aws_principal_id, EXCLUDED.aws_principal_id) END
     WHERE p.first_seen > EXCLUDED.first_seen OR p.last_seen < EXCLUDED.last_seen
        OR p.aws_principal_id IS DISTINCT FROM EXCLUDED.aws_principal_id`,
    [
      rows.map((r) => r.p.arn), rows.map((r) => r.p.type), rows.map((r) => r.p.accountId), rows.map((r) => r.p.name),
      rows.map((r) => r.p.awsPrincipalId), rows.map((r) => r.first), rows.map((r) => r.last),
    ],
  );
}

/**
 * A snapshot's tags of users and roles into the tag history (IAM users and roles are resources
 * too): an observation where the value as of the snapshot's time differs, and a removal for a tag
 * in force then that the snapshot no longer lists. Then owner teams and principals' tags follow.
 */
async function storePrincipalTags(client: PoolClient, principals: IamPrincipalSighting[], ctx: IamSnapshotContext): Promise<void> {
  const tagged = principals.filter((p) => p.tags !== null);
  if (tagged.length === 0) return;
  await upsertTeams(client, tagged.map((p) => p.tags![ctx.teamTagKey] ?? ''));
  const { ids } = await upsertResources(client, tagged.map((p) => ({ arn: p.arn, name: p.name, firstSeen: ctx.at, lastSeen: ctx.at })));
  const pairs = tagged.flatMap((p) => Object.entries(p.tags!).map(([k, v]) => [ids.get(p.arn)!, k, v] as const));
  const resourceIds = tagged.map((p) => ids.get(p.arn)!);
  await client.query(
    `WITH incoming AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(resource_id, tag_key, tag_value)
     ), as_of AS (
       SELECT DISTINCT ON (c.resource_id, c.tag_key) c.resource_id, c.tag_key, c.tag_value
         FROM resource_tag_changes c WHERE c.resource_id = ANY($4::bigint[]) AND c.changed_at <= $5
        ORDER BY c.resource_id, c.tag_key, c.changed_at DESC, c.id DESC
     )
     INSERT INTO resource_tag_changes (resource_id, tag_key, tag_value, changed_at, source_sync_run_id)
     SELECT i.resource_id, i.tag_key, i.tag_value, $5::timestamptz, $6::bigint
       FROM incoming i LEFT JOIN as_of a USING (resource_id, tag_key)
      WHERE a.tag_value IS DISTINCT FROM i.tag_value
     UNION ALL
     SELECT a.resource_id, a.tag_key, NULL, $5::timestamptz, $6::bigint FROM as_of a
      WHERE a.tag_value IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.resource_id = a.resource_id AND i.tag_key = a.tag_key)
     ON CONFLICT DO NOTHING`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map((p) => p[2]), resourceIds, ctx.at, ctx.runId],
  );
  await refreshDerivedState(client, resourceIds, ctx.teamTagKey);
}

/** Recomputes fact periods and policy grants of these accounts; returns the grant rows written. */
export async function refreshIamAccounts(client: PoolClient, accounts: string[]): Promise<number> {
  const sorted = [...new Set(accounts)].sort();
  if (sorted.length === 0) return 0;
  const { rows } = await client.query<{ n: number }>('SELECT COALESCE(sum(refresh_iam_account(a)), 0)::int AS n FROM unnest($1::text[]) AS a', [sorted]);
  return rows[0].n;
}

/**
 * Stores one account's snapshot in one transaction: the snapshot row, its assertions, the
 * retractions it implies, version documents, principals and their tags, rejected entries, then
 * the account's grants. The same snapshot (account, time and content) again stores nothing; a
 * different listing claimed for the same account and time is refused with a rejection.
 */
export async function loadAuthorizationSnapshot(pool: Pool, snapshot: AuthorizationSnapshot, ctx: IamSnapshotContext): Promise<IamSnapshotCounts> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      const account = snapshot.accountId;
      await lockAccounts(client, [account]);
      const listed = { ...snapshot.counts, rejected: snapshot.rejected.length };
      const { rows: created } = await client.query<{ id: string }>(
        `INSERT INTO iam_snapshots (account_id, taken_at, content_sha256, source, counts, ingestion_run_id)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (account_id, taken_at) DO NOTHING RETURNING id::text AS id`,
        [account, ctx.at, snapshot.contentSha256, ctx.source, JSON.stringify(listed), ctx.runId],
      );
      if (created.length === 0) {
        const { rows: known } = await client.query<{ content_sha256: string; source: string }>(
          'SELECT content_sha256, source FROM iam_snapshots WHERE account_id = $1 AND taken_at = $2',
          [account, ctx.at],
        );
        if (known[0].content_sha256 !== snapshot.contentSha256) {
          const reason = `another snapshot of account ${account} taken at ${ctx.at.toISOString()} is stored (from ${known[0].source}) with different content; give this one its own --at`;
          await storeRejectedRecords(client, [{ source: ctx.source, position: 'snapshot', reason, raw: JSON.stringify({ accountId: account, at: ctx.at, contentSha256: snapshot.contentSha256 }) }], ctx.runId);
          return { ...emptyIamSnapshotCounts(), rejected: 1 };
        }
        return { ...snapshot.counts, grants: await grantsValidAt(client, account, ctx.at), rejected: snapshot.rejected.length, snapshots: 0, duplicates: 1 };
      }
      const sourceId = `snapshot:${created[0].id}`;
      const asserts: ChangeRow[] = snapshot.facts.map((f) => ({ accountId: account, kind: f.kind, key: f.key, op: 'ASSERT', at: ctx.at, payload: f.payload, sourceKind: 'SNAPSHOT', sourceId }));
      await appendChanges(client, asserts);
      // What was in force since the previous snapshot and is not listed ends here; what this one
      // lists and a later snapshot (stored first) does not ends there.
      await client.query('SELECT iam_snapshot_retractions($1, $2, $3)', [account, ctx.at, sourceId]);
      await storePolicyVersions(client, snapshot.versions.map(() => account), snapshot.versions, snapshot.versions.map(() => sourceId));
      await upsertIamPrincipals(client, snapshot.principals.map((p) => ({ p, at: ctx.at })));
      await storePrincipalTags(client, snapshot.principals, ctx);
      await storeRejectedRecords(client, snapshot.rejected, ctx.runId);
      await refreshIamAccounts(client, [account]);
      return { ...snapshot.counts, grants: await grantsValidAt(client, account, ctx.at), rejected: snapshot.rejected.length, snapshots: 1, duplicates: 0 };
    });
  } finally {
    client.release();
  }
}

async function grantsValidAt(client: PoolClient, account: string, at: Date): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM policy_grants WHERE account_id = $1 AND validity @> $2::timestamptz',
    [account, at],
  );
  return rows[0].n;
}

/**
 * Appends the IAM changes of newly stored events, inside the caller's transaction (the CloudTrail
 * batch's: a change is applied exactly when its event is stored), then refreshes the grants of the
 * accounts they touch. Replaying the same events adds nothing (keyed by eventID).
 */
export async function applyIamEventChanges(client: PoolClient, events: IamEventChanges[], rejected: RejectedRecord[], runId: string | null): Promise<string[]> {
  await storeRejectedRecords(client, rejected, runId);
  // users and roles an event creates are principals from then on, with the tags their create gave
  // them (stored on the resource of the same ARN before this hook runs), whether or not they act
  const created = events.flatMap((e) => e.principals.map((p) => ({ p, at: e.at })));
  await upsertIamPrincipals(client, created);
  await adoptResourceTeams(client, [...new Set(created.map((c) => c.p.arn))].sort());
  const withChanges = events.filter((e) => e.changes.length > 0 || e.versions.length > 0);
  if (withChanges.length === 0) return [];
  const accounts = [...new Set(withChanges.map((e) => e.accountId))].sort();
  await lockAccounts(client, accounts);
  const rows: ChangeRow[] = withChanges.flatMap((e) =>
    e.changes.map((c) => ({ accountId: e.accountId, kind: c.kind, key: c.key, op: c.op, at: e.at, payload: c.op === 'ASSERT' ? c.payload : {}, sourceKind: 'EVENT' as const, sourceId: e.eventId })),
  );
  const inserted = await appendChanges(client, rows);
  await retractAtNextSnapshot(client, inserted);
  const versions = withChanges.flatMap((e) => e.versions.map((v) => ({ v, accountId: e.accountId, sourceId: e.eventId })));
  await storePolicyVersions(client, versions.map((x) => x.accountId), versions.map((x) => x.v), versions.map((x) => x.sourceId));
  await refreshIamAccounts(client, accounts);
  return accounts;
}
