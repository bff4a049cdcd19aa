import type { PoolClient } from 'pg';
import { textArray, timestampArray } from '../db/array-literal';
import { parseArn } from '../domain/aws/arn';

/**
 * Set-based writes of the resource inventory shared by CloudTrail and tag ingestion: one
 * statement per step and batch, never a round trip per resource. Rows are sorted by key
 * so concurrent batches take row locks in the same order.
 */

export interface ResourceSighting {
  arn: string;
  name: string | null;
  firstSeen: Date;
  lastSeen: Date;
  /** set when a Create* event made it: the latest create wins */
  created?: ResourceCreation;
  /**
   * Tags a new row starts with (the create request's), with the owner team they name (by name). Only an
   * insert uses them; refreshDerivedState stays the authority and rewrites a row only if it differs.
   */
  initial?: { tags: Record<string, string>; team: string | null };
}

export interface ResourceCreation {
  at: Date;
  eventId: string;
  /** the creating principal, by ARN: its id is the store's (SightingIds) */
  principalArn: string | null;
}

const LATER_CREATE = '(EXCLUDED.created_at IS NOT NULL AND (r.created_at IS NULL OR r.created_at < EXCLUDED.created_at))';

/** Merges sightings of the same ARN (a statement may not touch one row twice). */
export function mergeSightings(sightings: ResourceSighting[]): ResourceSighting[] {
  const byArn = new Map<string, ResourceSighting>();
  for (const s of sightings) {
    const seen = byArn.get(s.arn);
    if (!seen) byArn.set(s.arn, { ...s });
    else {
      if (s.firstSeen < seen.firstSeen) seen.firstSeen = s.firstSeen;
      if (s.lastSeen > seen.lastSeen) seen.lastSeen = s.lastSeen;
      seen.name = seen.name ?? s.name;
      if (s.created && (!seen.created || seen.created.at < s.created.at)) {
        seen.created = s.created;
        seen.initial = s.initial ?? seen.initial;
      }
    }
  }
  return [...byArn.values()].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

/**
 * Merged sightings with the statement parameters that need nothing from the store, built apart
 * from the write so that a pipeline can build the next batch's while the current one is written.
 */
export interface ResourceRows {
  rows: ResourceSighting[];
  /** array literals of the upsert's columns, by column */
  params: { head: string[]; createdAt: string; createdEventId: string; tags: string };
}

export function prepareResourceRows(sightings: ResourceSighting[]): ResourceRows {
  const rows = mergeSightings(sightings);
  const parsed = rows.map((r) => parseArn(r.arn));
  return {
    rows,
    params: {
      head: [
        textArray(rows.map((r) => r.arn)),
        textArray(parsed.map((p) => p?.service ?? 'unknown')),
        textArray(parsed.map((p) => p?.resourceType ?? null)),
        textArray(rows.map((r, i) => r.name ?? parsed[i]?.resourceName ?? null)),
        textArray(parsed.map((p) => p?.region || null)),
        textArray(parsed.map((p) => p?.accountId || null)),
        timestampArray(rows.map((r) => r.firstSeen)),
        timestampArray(rows.map((r) => r.lastSeen)),
      ],
      createdAt: timestampArray(rows.map((r) => r.created?.at ?? null)),
      createdEventId: textArray(rows.map((r) => r.created?.eventId ?? null)),
      tags: textArray(rows.map((r) => (r.initial ? JSON.stringify(r.initial.tags) : null))),
    },
  };
}

/** The store's ids of the creators and owner teams sightings name, by principal ARN and team name. */
export interface SightingIds {
  principals: ReadonlyMap<string, string>;
  teams: ReadonlyMap<string, string>;
}

const NO_IDS: SightingIds = { principals: new Map(), teams: new Map() };

/**
 * Inserts unknown resources and widens first/last seen of known ones; a sighting that is a
 * creation sets creator and time when it is the latest create (and brings back a resource
 * deleted before it). Returns ids by ARN, and which ARNs it inserted (rows new to the inventory).
 */
export function upsertResources(
  client: PoolClient,
  sightings: ResourceSighting[],
  syncRunId: string | null = null,
): Promise<{ ids: Map<string, string>; inserted: Set<string> }> {
  return upsertResourceRows(client, prepareResourceRows(sightings), syncRunId);
}

/** upsertResources for rows prepared beforehand; the creators' and owner teams' ids are bound now, from `named`. */
export async function upsertResourceRows(
  client: PoolClient,
  prepared: ResourceRows,
  syncRunId: string | null = null,
  named: SightingIds = NO_IDS,
): Promise<{ ids: Map<string, string>; inserted: Set<string> }> {
  const { rows, params } = prepared;
  if (rows.length === 0) return { ids: new Map(), inserted: new Set() };
  const { rows: out } = await client.query<{ id: string; arn: string; inserted: boolean }>(
    `INSERT INTO resources AS r (arn, service, resource_type, name, region, account_id, first_seen, last_seen, last_sync_run_id,
                                 created_at, created_event_id, created_by_principal_id, tags, owner_team_id)
     SELECT u.arn, u.service, u.resource_type, u.name, u.region, u.account_id, u.first_seen, u.last_seen, $9::bigint,
            u.created_at, u.created_event_id, u.created_by, COALESCE(u.tags, '{}'::jsonb), u.owner_team_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                   $10::timestamptz[], $11::text[], $12::bigint[], $13::jsonb[], $14::bigint[])
            AS u(arn, service, resource_type, name, region, account_id, first_seen, last_seen, created_at, created_event_id, created_by, tags, owner_team_id)
     ON CONFLICT (arn) DO UPDATE SET
       first_seen = LEAST(r.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen),
       -- the caller's spelling of the name beats the lower-cased one taken from an ARN
       name = CASE WHEN r.name IS NULL OR (r.name = lower(r.name) AND EXCLUDED.name IS NOT NULL) THEN EXCLUDED.name ELSE r.name END,
       last_sync_run_id = COALESCE(EXCLUDED.last_sync_run_id, r.last_sync_run_id),
       created_at = CASE WHEN ${LATER_CREATE} THEN EXCLUDED.created_at ELSE r.created_at END,
       created_event_id = CASE WHEN ${LATER_CREATE} THEN EXCLUDED.created_event_id ELSE r.created_event_id END,
       created_by_principal_id = CASE WHEN ${LATER_CREATE} THEN EXCLUDED.created_by_principal_id ELSE r.created_by_principal_id END,
       -- a create after the last delete brings the resource back
       deleted_at = CASE WHEN ${LATER_CREATE} AND r.deleted_at <= EXCLUDED.created_at THEN NULL ELSE r.deleted_at END,
       deleted_event_id = CASE WHEN ${LATER_CREATE} AND r.deleted_at <= EXCLUDED.created_at THEN NULL ELSE r.deleted_event_id END
     -- a sighting that changes nothing writes nothing (no dead row, no index entries)
     WHERE r.first_seen > EXCLUDED.first_seen OR r.last_seen < EXCLUDED.last_seen
        OR (r.name IS NULL AND EXCLUDED.name IS NOT NULL) OR (r.name = lower(r.name) AND EXCLUDED.name IS NOT NULL AND EXCLUDED.name <> r.name)
        OR EXCLUDED.last_sync_run_id IS NOT NULL OR ${LATER_CREATE}
     -- xmax is 0 on a row version this statement inserted
     RETURNING r.id::text AS id, r.arn, (r.xmax = 0) AS inserted`,
    [
      ...params.head,
      syncRunId,
      params.createdAt,
      params.createdEventId,
      textArray(rows.map((r) => (r.created?.principalArn ? named.principals.get(r.created.principalArn) ?? null : null))),
      params.tags,
      textArray(rows.map((r) => (r.initial?.team ? named.teams.get(r.initial.team) ?? null : null))),
    ],
  );
  const ids = new Map(out.map((r) => [r.arn, r.id]));
  const inserted = new Set(out.filter((r) => r.inserted).map((r) => r.arn));
  const unchanged = rows.filter((r) => !ids.has(r.arn)).map((r) => r.arn);
  if (unchanged.length > 0) {
    const { rows: known } = await client.query<{ id: string; arn: string }>(
      'SELECT id::text AS id, arn FROM resources WHERE arn = ANY($1::text[])',
      [unchanged],
    );
    for (const r of known) ids.set(r.arn, r.id);
  }
  return { ids, inserted };
}

export interface TagObservation {
  resourceId: string;
  key: string;
  /** null: the tag was removed */
  value: string | null;
  at: Date;
  sourceEventId: string | null;
  sourceSyncRunId: string | null;
}

/** Appends tag observations; replays of the same event or sync run add nothing. */
export async function insertTagObservations(client: PoolClient, obs: TagObservation[]): Promise<void> {
  if (obs.length === 0) return;
  await client.query(
    `INSERT INTO resource_tag_changes (resource_id, tag_key, tag_value, changed_at, source_event_id, source_sync_run_id)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bigint[])
     ON CONFLICT DO NOTHING`,
    [
      textArray(obs.map((o) => o.resourceId)),
      textArray(obs.map((o) => o.key)),
      textArray(obs.map((o) => o.value)),
      timestampArray(obs.map((o) => o.at)),
      textArray(obs.map((o) => o.sourceEventId)),
      textArray(obs.map((o) => o.sourceSyncRunId)),
    ],
  );
}

/**
 * Recomputes what derives from the tag observations of these resources: current tags (latest
 * observation per key), the owner team (value of the team tag key), and the tags and team of
 * the principal with the same ARN (IAM roles and users are resources too).
 */
export async function refreshDerivedState(
  client: PoolClient,
  resourceIds: string[],
  teamTagKey: string,
  /** resources whose tags and owner are known to be current already (only their principals are brought in line) */
  current: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (resourceIds.length === 0) return;
  const ids = [...new Set(resourceIds)].sort();
  const stale = current.size > 0 ? ids.filter((id) => !current.has(id)) : ids;
  if (stale.length > 0) await refreshCurrentTags(client, stale, teamTagKey);
  await copyTagsToPrincipals(client, 'r.id = ANY($1::bigint[])', ids);
}

/**
 * One statement: current tags, any team first named here, and the owner team; rows whose tags
 * and owner did not change are left untouched.
 */
async function refreshCurrentTags(client: PoolClient, ids: string[], teamTagKey: string): Promise<void> {
  await client.query(
    `WITH latest AS (
       SELECT DISTINCT ON (c.resource_id, c.tag_key) c.resource_id, c.tag_key, c.tag_value
         FROM resource_tag_changes c WHERE c.resource_id = ANY($1::bigint[])
        ORDER BY c.resource_id, c.tag_key, c.changed_at DESC, c.id DESC
     ), agg AS (
       SELECT i.id AS resource_id,
              COALESCE(jsonb_object_agg(l.tag_key, l.tag_value) FILTER (WHERE l.tag_value IS NOT NULL), '{}'::jsonb) AS tags
         FROM unnest($1::bigint[]) AS i(id) LEFT JOIN latest l ON l.resource_id = i.id
        GROUP BY i.id
     ), new_teams AS (
       INSERT INTO teams (name)
       SELECT DISTINCT agg.tags->>$2 FROM agg WHERE COALESCE(agg.tags->>$2, '') <> '' ORDER BY 1
       ON CONFLICT (name) DO NOTHING RETURNING id, name
     ), named_teams AS (
       SELECT id, name FROM teams WHERE name IN (SELECT agg.tags->>$2 FROM agg)
       UNION ALL SELECT id, name FROM new_teams
     )
     UPDATE resources r SET tags = agg.tags, owner_team_id = t.id
       FROM agg LEFT JOIN named_teams t ON t.name = agg.tags->>$2
      WHERE r.id = agg.resource_id AND (r.tags IS DISTINCT FROM agg.tags OR r.owner_team_id IS DISTINCT FROM t.id)`,
    [ids, teamTagKey],
  );
}

/**
 * A principal carries the tags and team of the resource with its ARN (IAM roles and users are
 * resources too); `where` picks the pairs to bring in line (about `r` resources or `p` principals).
 */
async function copyTagsToPrincipals(client: PoolClient, where: string, keys: string[]): Promise<void> {
  await client.query(
    `UPDATE principals p SET tags = r.tags, team_id = r.owner_team_id
       FROM resources r
      WHERE ${where} AND p.arn = r.arn
        AND (p.tags IS DISTINCT FROM r.tags OR p.team_id IS DISTINCT FROM r.owner_team_id)`,
    [keys],
  );
}

/** Ensures the named teams exist; returns their ids by name. */
export async function upsertTeams(client: PoolClient, names: string[]): Promise<Map<string, string>> {
  const sorted = [...new Set(names.filter((n) => n !== ''))].sort();
  if (sorted.length === 0) return new Map();
  // DO UPDATE (of nothing) so that a team already there is returned too, one created by a concurrent batch included
  const { rows } = await client.query<{ id: string; name: string }>(
    'INSERT INTO teams AS t (name) SELECT * FROM unnest($1::text[]) ON CONFLICT (name) DO UPDATE SET name = t.name RETURNING t.id::text AS id, t.name',
    [sorted],
  );
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** Principals first seen in this batch take the tags and team of the resource with their ARN. */
export async function adoptResourceTeams(client: PoolClient, principalArns: string[]): Promise<void> {
  if (principalArns.length === 0) return;
  await copyTagsToPrincipals(client, 'p.arn = ANY($1::text[])', principalArns);
}

/** Runs fn in a transaction, retrying when Postgres picks this batch as a deadlock victim. */
export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await client.query('BEGIN');
    try {
      const result = await fn();
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (err as { code?: string }).code;
      const retryable = code === '40P01' || code === '40001'; // deadlock_detected, serialization_failure
      if (!retryable || attempt >= attempts) throw err;
    }
  }
}
