import { Page, PageRequest, toPage } from './pagination';
import { equalities, Params, Queryable, whereClause } from './sql';

/** One stored CloudTrail event (audit_events), as the API and the CLI read it. */
export interface AuditEventRow {
  eventId: string;
  eventTime: Date;
  /** event_time to the microsecond, UTC: the keyset half a JS Date would round */
  cursorTime: string;
  eventSource: string;
  eventName: string;
  eventType: string | null;
  eventCategory: string | null;
  awsRegion: string | null;
  accountId: string | null;
  principalId: string | null;
  principalArn: string | null;
  userIdentityArn: string | null;
  sessionName: string | null;
  accessKeyId: string | null;
  sourceIpAddress: string | null;
  userAgent: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  readOnly: boolean | null;
  resourceArns: string[];
  /** the record as received */
  raw: unknown;
}

/** Every field narrows (AND); absent fields do not. `from` is inclusive, `to` exclusive. */
export interface AuditEventFilter {
  eventSource?: string | null;
  eventName?: string | null;
  /** the acting principal's key (for a session: the issuing role's ARN) */
  principalArn?: string | null;
  /** events that touched this resource */
  resourceArn?: string | null;
  /** events acted by a member of the team OR touching a resource the team owns (see teamCondition) */
  team?: string | null;
  errorCode?: string | null;
  accountId?: string | null;
  region?: string | null;
  from?: Date | null;
  to?: Date | null;
}

const COLUMNS = `e.event_id AS "eventId", e.event_time AS "eventTime",
  to_char(e.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorTime",
  e.event_source AS "eventSource", e.event_name AS "eventName", e.event_type AS "eventType",
  e.event_category AS "eventCategory", e.aws_region AS "awsRegion", e.account_id AS "accountId",
  e.principal_id::text AS "principalId", e.principal_arn AS "principalArn", e.user_identity_arn AS "userIdentityArn",
  e.session_name AS "sessionName", e.access_key_id AS "accessKeyId", e.source_ip_address AS "sourceIpAddress",
  e.user_agent AS "userAgent", e.error_code AS "errorCode", e.error_message AS "errorMessage",
  e.read_only AS "readOnly", e.resource_arns AS "resourceArns", e.raw`;

/** Newest first; (event_time, event_id) is the primary key, so the order is total. */
const ORDER = 'e.event_time DESC, e.event_id DESC';

const eventKey = (row: AuditEventRow) => [row.cursorTime, row.eventId];

/**
 * A team's events: acted by a principal of the team, OR touching a resource the team owns now.
 * Both halves are arrays computed once (init plans), so Postgres can use the principal index
 * and the GIN index on resource_arns rather than test every event against a subquery.
 */
function teamCondition(teamId: string): string {
  return `(e.principal_id = ANY(ARRAY(SELECT tp.id FROM principals tp WHERE tp.team_id = ${teamId}))
        OR e.resource_arns && ARRAY(SELECT tr.arn FROM resources tr WHERE tr.owner_team_id = ${teamId}))`;
}

function filterConditions(filter: AuditEventFilter, p: Params): string[] {
  const c = equalities(p, [
    ['e.event_source', filter.eventSource],
    ['e.event_name', filter.eventName],
    ['e.error_code', filter.errorCode],
    ['e.account_id', filter.accountId],
    ['e.aws_region', filter.region],
  ]);
  if (filter.principalArn != null) c.push(`e.principal_id = ANY(ARRAY(SELECT id FROM principals WHERE arn = ${p.add(filter.principalArn)}))`);
  if (filter.resourceArn != null) c.push(`e.resource_arns @> ARRAY[${p.add(filter.resourceArn)}::text]`);
  if (filter.team != null) c.push(teamCondition(`(SELECT id FROM teams WHERE name = ${p.add(filter.team)})`));
  if (filter.from != null) c.push(`e.event_time >= ${p.add(filter.from)}`);
  if (filter.to != null) c.push(`e.event_time < ${p.add(filter.to)}`);
  return c;
}

function keysetCondition(req: PageRequest, p: Params): string[] {
  if (!req.after) return [];
  const [time, id] = req.after;
  return [`(e.event_time, e.event_id) < (${p.add(time)}::timestamptz, ${p.add(id)}::text)`];
}

export async function listEvents(db: Queryable, filter: AuditEventFilter, req: PageRequest): Promise<Page<AuditEventRow>> {
  const p = new Params();
  const where = whereClause([...filterConditions(filter, p), ...keysetCondition(req, p)]);
  const { rows } = await db.query<AuditEventRow>(`SELECT ${COLUMNS} FROM audit_events e ${where} ORDER BY ${ORDER} LIMIT ${p.add(req.first + 1)}`, p.values);
  return toPage(rows, req, 'event', eventKey);
}

/** Events by eventId (a violation's offending event), in one statement. */
export async function eventsByIds(db: Queryable, ids: readonly string[]): Promise<AuditEventRow[]> {
  const { rows } = await db.query<AuditEventRow>(`SELECT ${COLUMNS} FROM audit_events e WHERE e.event_id = ANY($1::text[])`, [ids]);
  return rows;
}

export async function countEvents(db: Queryable, filter: AuditEventFilter): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events e ${whereClause(filterConditions(filter, p))}`, p.values);
  return Number(rows[0].n);
}

/** What the events of one parent are: `k.key` is the parent's key in the batched queries below. */
export type EventParent = 'principal' | 'resource' | 'team';

const PARENT_CONDITION: Record<EventParent, string> = {
  principal: 'e.principal_id = k.key::bigint',
  resource: 'e.resource_arns @> ARRAY[k.key]',
  team: teamCondition('k.key::bigint'),
};

/**
 * One page of events for each of many parents (principal ids, resource ARNs or team ids) in one
 * statement: a LATERAL subquery per key, each an index-ordered LIMIT.
 */
export async function eventPagesFor(
  db: Queryable,
  parent: EventParent,
  keys: readonly string[],
  req: PageRequest,
): Promise<Map<string, Page<AuditEventRow>>> {
  const p = new Params();
  const keysParam = p.add(keys);
  const where = whereClause([PARENT_CONDITION[parent], ...keysetCondition(req, p)]);
  const { rows } = await db.query<AuditEventRow & { parentKey: string }>(
    `SELECT k.key AS "parentKey", x.*
       FROM unnest(${keysParam}::text[]) WITH ORDINALITY AS k(key, ord)
       CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM audit_events e ${where} ORDER BY ${ORDER} LIMIT ${p.add(req.first + 1)}) x
      ORDER BY k.ord, x."eventTime" DESC, x."eventId" DESC`,
    p.values,
  );
  const byKey = new Map<string, AuditEventRow[]>(keys.map((k) => [k, []]));
  for (const { parentKey, ...row } of rows) byKey.get(parentKey)?.push(row);
  return new Map([...byKey].map(([k, list]) => [k, toPage(list, req, 'event', eventKey)]));
}

/** How many events each parent has, in one statement. */
export async function eventCountsFor(db: Queryable, parent: EventParent, keys: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT k.key, (SELECT count(*) FROM audit_events e WHERE ${PARENT_CONDITION[parent]}) AS n FROM unnest($1::text[]) AS k(key)`,
    [keys],
  );
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}
