import { parseArn } from '../domain/aws/arn';
import { InvalidInputError, truncate } from './errors';
import { Page, PageRequest, toPage } from './pagination';
import { equalities, groupBy, Params, Queryable, whereClause } from './sql';
import { tagConditions } from './tags';

/** Anything with an ARN (resources), as the API and the CLI read it. */
export interface ResourceRow {
  id: string;
  arn: string;
  service: string;
  resourceType: string | null;
  name: string | null;
  region: string | null;
  accountId: string | null;
  tags: Record<string, string>;
  ownerTeamId: string | null;
  createdByPrincipalId: string | null;
  createdEventId: string | null;
  createdAt: Date | null;
  firstSeen: Date;
  lastSeen: Date;
  deletedAt: Date | null;
  deletedEventId: string | null;
}

export interface ResourceFilter {
  /** owner team name */
  team?: string | null;
  service?: string | null;
  resourceType?: string | null;
  accountId?: string | null;
  region?: string | null;
  tagKey?: string | null;
  tagValue?: string | null;
  /** true: only deleted; false: only live; absent: both */
  deleted?: boolean | null;
}

/** One period of one tag's value; `value` null means the tag was removed for that period. */
export interface TagPeriodRow {
  key: string;
  value: string | null;
  from: Date;
  /** null: still the value now */
  to: Date | null;
  sourceEventId: string | null;
  sourceSyncRunId: string | null;
}

const COLUMNS = `r.id::text AS id, r.arn, r.service, r.resource_type AS "resourceType", r.name, r.region,
  r.account_id AS "accountId", r.tags, r.owner_team_id::text AS "ownerTeamId",
  r.created_by_principal_id::text AS "createdByPrincipalId", r.created_event_id AS "createdEventId",
  r.created_at AS "createdAt", r.first_seen AS "firstSeen", r.last_seen AS "lastSeen",
  r.deleted_at AS "deletedAt", r.deleted_event_id AS "deletedEventId"`;

const idKey = (row: { id: string }) => [row.id];

function filterConditions(filter: ResourceFilter, p: Params, options: { team: boolean } = { team: true }): string[] {
  const c: string[] = [];
  if (options.team && filter.team != null) c.push(`r.owner_team_id = (SELECT id FROM teams WHERE name = ${p.add(filter.team)})`);
  c.push(...equalities(p, [
    ['r.service', filter.service],
    ['r.resource_type', filter.resourceType],
    ['r.account_id', filter.accountId],
    ['r.region', filter.region],
  ]));
  if (filter.deleted === true) c.push('r.deleted_at IS NOT NULL');
  if (filter.deleted === false) c.push('r.deleted_at IS NULL');
  return [...c, ...tagConditions('r.tags', filter, p)];
}

const keyset = (req: PageRequest, p: Params) => (req.after ? [`r.id > ${p.add(req.after[0])}::bigint`] : []);

export async function listResources(db: Queryable, filter: ResourceFilter, req: PageRequest): Promise<Page<ResourceRow>> {
  const p = new Params();
  const where = whereClause([...filterConditions(filter, p), ...keyset(req, p)]);
  const { rows } = await db.query<ResourceRow>(`SELECT ${COLUMNS} FROM resources r ${where} ORDER BY r.id LIMIT ${p.add(req.first + 1)}`, p.values);
  return toPage(rows, req, 'resource', idKey);
}

export async function countResources(db: Queryable, filter: ResourceFilter): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM resources r ${whereClause(filterConditions(filter, p))}`, p.values);
  return Number(rows[0].n);
}

export async function resourcesByArns(db: Queryable, arns: readonly string[]): Promise<ResourceRow[]> {
  const { rows } = await db.query<ResourceRow>(`SELECT ${COLUMNS} FROM resources r WHERE r.arn = ANY($1::text[])`, [arns]);
  return rows;
}

/** A team's resources: the filter minus `team`, one page per team id, in one statement. */
export async function resourcePagesFor(
  db: Queryable,
  teamIds: readonly string[],
  filter: ResourceFilter,
  req: PageRequest,
): Promise<Map<string, Page<ResourceRow>>> {
  const p = new Params();
  const keys = p.add(teamIds);
  const where = whereClause(['r.owner_team_id = k.key::bigint', ...filterConditions(filter, p, { team: false }), ...keyset(req, p)]);
  const { rows } = await db.query<ResourceRow & { parentKey: string }>(
    `SELECT k.key AS "parentKey", x.* FROM unnest(${keys}::text[]) WITH ORDINALITY AS k(key, ord)
       CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM resources r ${where} ORDER BY r.id LIMIT ${p.add(req.first + 1)}) x
      ORDER BY k.ord, x.id::bigint`,
    p.values,
  );
  const byKey = new Map<string, ResourceRow[]>(teamIds.map((k) => [k, []]));
  for (const { parentKey, ...row } of rows) byKey.get(parentKey)?.push(row);
  return new Map([...byKey].map(([k, list]) => [k, toPage(list, req, 'resource', idKey)]));
}

export async function resourceCountsFor(db: Queryable, teamIds: readonly string[], filter: ResourceFilter): Promise<Map<string, number>> {
  const p = new Params();
  const keys = p.add(teamIds);
  const where = whereClause([`r.owner_team_id = ANY(${keys}::bigint[])`, ...filterConditions(filter, p, { team: false })]);
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT r.owner_team_id::text AS key, count(*) AS n FROM resources r ${where} GROUP BY r.owner_team_id`,
    p.values,
  );
  const counts = new Map(rows.map((r) => [r.key, Number(r.n)]));
  return new Map(teamIds.map((id) => [id, counts.get(id) ?? 0]));
}

/** Tag history of many resources, oldest period first per key (resource_tag_periods). */
export async function tagHistoriesFor(db: Queryable, resourceIds: readonly string[]): Promise<Map<string, TagPeriodRow[]>> {
  const { rows } = await db.query<TagPeriodRow & { resourceId: string }>(
    `SELECT h.resource_id::text AS "resourceId", h.tag_key AS key, h.tag_value AS value, h.valid_from AS "from",
            h.valid_to AS "to", h.source_event_id AS "sourceEventId", h.source_sync_run_id::text AS "sourceSyncRunId"
       FROM resource_tag_periods h
      WHERE h.resource_id = ANY($1::bigint[])
      ORDER BY h.resource_id, h.tag_key, h.valid_from, h.id`,
    [resourceIds],
  );
  const grouped = groupBy(rows, (r) => r.resourceId);
  return new Map(resourceIds.map((id) => [id, (grouped.get(id) ?? []).map(({ resourceId: _r, ...period }) => period)]));
}

/** `resource(arn:)` takes an ARN, which is how resources are keyed; anything else is refused. */
export function checkResourceArn(value: string, argument = 'arn'): string {
  const arn = value.trim();
  if (!parseArn(arn)) {
    throw new InvalidInputError(`${argument} "${truncate(arn)}" is not an ARN (arn:partition:service:region:account:resource)`, argument);
  }
  return arn;
}
