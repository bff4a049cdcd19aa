import type { Severity } from '../domain/rules/types';
import { InvalidInputError, truncate } from './errors';
import { Page, PageRequest, toPage } from './pagination';
import { equalities, groupBy, Params, Queryable, whereClause } from './sql';

export type ViolationStatus = 'OPEN' | 'RESOLVED' | 'SUPPRESSED';

/** One stored violation (violations), as the API reads it. */
export interface ViolationRow {
  id: string;
  ruleId: string;
  severity: Severity;
  status: ViolationStatus;
  message: string;
  evidence: unknown;
  eventId: string;
  eventTime: Date;
  /** event_time to the microsecond, UTC: the keyset half a JS Date would round */
  cursorTime: string;
  /** null when the event named no resource (stored as '') */
  resourceArn: string | null;
  principalArn: string | null;
  team: string | null;
  accountId: string | null;
  region: string | null;
  firstSeen: Date;
  lastSeen: Date;
  resolvedAt: Date | null;
  resolvedByEventId: string | null;
  suppressedReason: string | null;
  suppressedBy: string | null;
  suppressedUntil: Date | null;
}

/** Every field narrows (AND); absent fields do not. `from` is inclusive, `to` exclusive (on event_time). */
export interface ViolationFilter {
  ruleId?: string | null;
  severity?: Severity | null;
  status?: ViolationStatus | null;
  /** the team answerable for it (violations.team) */
  team?: string | null;
  accountId?: string | null;
  resourceArn?: string | null;
  principalArn?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** One appended status change (violation_status_changes). */
export interface StatusChangeRow {
  fromStatus: ViolationStatus | null;
  toStatus: ViolationStatus;
  reason: string | null;
  changedBy: string;
  changedAt: Date;
  until: Date | null;
  eventId: string | null;
}

export const VIOLATION_COLUMNS = `v.id::text AS id, v.rule_id AS "ruleId", v.severity, v.status, v.message, v.evidence,
  v.event_id AS "eventId", v.event_time AS "eventTime",
  to_char(v.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorTime",
  NULLIF(v.resource_arn, '') AS "resourceArn", v.principal_arn AS "principalArn", v.team, v.account_id AS "accountId",
  v.region, v.first_seen AS "firstSeen", v.last_seen AS "lastSeen", v.resolved_at AS "resolvedAt",
  v.resolved_by_event_id AS "resolvedByEventId", v.suppressed_reason AS "suppressedReason",
  v.suppressed_by AS "suppressedBy", v.suppressed_until AS "suppressedUntil"`;

/** Newest first by the offending event's time; id breaks ties, so the order is total. */
const ORDER = 'v.event_time DESC, v.id DESC';

const violationKey = (row: ViolationRow) => [row.cursorTime, row.id];

function filterConditions(filter: ViolationFilter, p: Params): string[] {
  const c = equalities(p, [
    ['v.rule_id', filter.ruleId],
    ['v.severity', filter.severity],
    ['v.status', filter.status],
    ['v.team', filter.team],
    ['v.account_id', filter.accountId],
    ['v.resource_arn', filter.resourceArn],
    ['v.principal_arn', filter.principalArn],
  ]);
  if (filter.from != null) c.push(`v.event_time >= ${p.add(filter.from)}`);
  if (filter.to != null) c.push(`v.event_time < ${p.add(filter.to)}`);
  return c;
}

/**
 * filterConditions in memory, for violations already loaded (the violationOpened subscription):
 * the same fields, the same meaning.
 */
export function matchesViolationFilter(row: ViolationRow, filter: ViolationFilter): boolean {
  const eq = (value: string | null, wanted: string | null | undefined) => wanted === null || wanted === undefined || value === wanted;
  return (
    eq(row.ruleId, filter.ruleId) &&
    eq(row.severity, filter.severity) &&
    eq(row.status, filter.status) &&
    eq(row.team, filter.team) &&
    eq(row.accountId, filter.accountId) &&
    // stored as '' when the event names no resource: no ARN filter matches it
    eq(row.resourceArn ?? '', filter.resourceArn) &&
    eq(row.principalArn, filter.principalArn) &&
    (filter.from == null || row.eventTime.getTime() >= filter.from.getTime()) &&
    (filter.to == null || row.eventTime.getTime() < filter.to.getTime())
  );
}

function keysetCondition(req: PageRequest, p: Params): string[] {
  if (!req.after) return [];
  const [time, id] = req.after;
  return [`(v.event_time, v.id) < (${p.add(time)}::timestamptz, ${p.add(id)}::bigint)`];
}

export async function listViolations(db: Queryable, filter: ViolationFilter, req: PageRequest): Promise<Page<ViolationRow>> {
  const p = new Params();
  const where = whereClause([...filterConditions(filter, p), ...keysetCondition(req, p)]);
  const { rows } = await db.query<ViolationRow>(
    `SELECT ${VIOLATION_COLUMNS} FROM violations v ${where} ORDER BY ${ORDER} LIMIT ${p.add(req.first + 1)}`,
    p.values,
  );
  return toPage(rows, req, 'violation', violationKey);
}

export async function countViolations(db: Queryable, filter: ViolationFilter): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM violations v ${whereClause(filterConditions(filter, p))}`, p.values);
  return Number(rows[0].n);
}

export async function violationsByIds(db: Queryable, ids: readonly string[]): Promise<ViolationRow[]> {
  const { rows } = await db.query<ViolationRow>(`SELECT ${VIOLATION_COLUMNS} FROM violations v WHERE v.id = ANY($1::bigint[])`, [ids]);
  return rows;
}

/** Violation ids are bigserial numbers; anything else is refused rather than looked up. */
export function checkViolationId(value: string, argument = 'id'): string {
  const id = value.trim();
  if (!/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > 9223372036854775807n) {
    throw new InvalidInputError(`${argument} "${truncate(id)}" is not a violation id (Violation.id: a whole number)`, argument);
  }
  return id;
}

/** What the violations of one parent are: `k.key` is the parent's key in the batched queries below. */
export type ViolationParent = 'resource' | 'principal' | 'team';

const PARENT_CONDITION: Record<ViolationParent, string> = {
  resource: 'v.resource_arn = k.key',
  principal: 'v.principal_arn = k.key',
  // violations.team holds the team's name (the team answerable: the actor's, else the resource owner's)
  team: 'v.team = k.key',
};

/**
 * One page of violations for each of many parents (resource ARNs, principal keys or team names)
 * in one statement: a LATERAL subquery per key, each an index-ordered LIMIT. The filter applies
 * too (AND), so `Team.violations(filter: {status: OPEN})` is the team's open ones.
 */
export async function violationPagesFor(
  db: Queryable,
  parent: ViolationParent,
  keys: readonly string[],
  filter: ViolationFilter,
  req: PageRequest,
): Promise<Map<string, Page<ViolationRow>>> {
  const p = new Params();
  const keysParam = p.add(keys);
  const where = whereClause([PARENT_CONDITION[parent], ...filterConditions(filter, p), ...keysetCondition(req, p)]);
  const { rows } = await db.query<ViolationRow & { parentKey: string }>(
    `SELECT k.key AS "parentKey", x.*
       FROM unnest(${keysParam}::text[]) WITH ORDINALITY AS k(key, ord)
       CROSS JOIN LATERAL (SELECT ${VIOLATION_COLUMNS} FROM violations v ${where} ORDER BY ${ORDER} LIMIT ${p.add(req.first + 1)}) x
      ORDER BY k.ord, x."eventTime" DESC, x.id::bigint DESC`,
    p.values,
  );
  const byKey = new Map<string, ViolationRow[]>(keys.map((k) => [k, []]));
  for (const { parentKey, ...row } of rows) byKey.get(parentKey)?.push(row);
  return new Map([...byKey].map(([k, list]) => [k, toPage(list, req, 'violation', violationKey)]));
}

/** How many violations each parent has under the filter, in one statement. */
export async function violationCountsFor(
  db: Queryable,
  parent: ViolationParent,
  keys: readonly string[],
  filter: ViolationFilter,
): Promise<Map<string, number>> {
  const p = new Params();
  const keysParam = p.add(keys);
  const where = whereClause([PARENT_CONDITION[parent], ...filterConditions(filter, p)]);
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT k.key, (SELECT count(*) FROM violations v ${where}) AS n FROM unnest(${keysParam}::text[]) AS k(key)`,
    p.values,
  );
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/** Status histories of many violations, oldest change first. */
export async function statusHistoriesFor(db: Queryable, violationIds: readonly string[]): Promise<Map<string, StatusChangeRow[]>> {
  const { rows } = await db.query<StatusChangeRow & { violationId: string }>(
    `SELECT c.violation_id::text AS "violationId", c.from_status AS "fromStatus", c.to_status AS "toStatus", c.reason,
            c.changed_by AS "changedBy", c.changed_at AS "changedAt", c.until, c.event_id AS "eventId"
       FROM violation_status_changes c
      WHERE c.violation_id = ANY($1::bigint[])
      ORDER BY c.violation_id, c.changed_at, c.id`,
    [violationIds],
  );
  const grouped = groupBy(rows, (r) => r.violationId);
  return new Map(violationIds.map((id) => [id, (grouped.get(id) ?? []).map(({ violationId: _v, ...change }) => change)]));
}

/** The dimensions a compliance summary can be grouped by. */
export type ComplianceDimension = 'TEAM' | 'RULE' | 'ACCOUNT' | 'DAY';

/** One group of a compliance summary: its keys (null when not grouped by that dimension) and counts by status. */
export interface ComplianceSummaryRow {
  team: string | null;
  ruleId: string | null;
  accountId: string | null;
  /** midnight UTC of the day */
  day: Date | null;
  open: number;
  resolved: number;
  suppressed: number;
  total: number;
}

/** Column expression and output name per dimension; the only SQL a caller's choice can reach. */
const DAY_OF_EVENT = "date_bin('1 day', v.event_time, timestamptz '2000-01-01T00:00:00Z')";

/** Per dimension: what it groups on, what is returned for it (as `as`), and how groups are ordered by it. */
const DIMENSIONS: Record<ComplianceDimension, { expr: string; select?: string; as: keyof ComplianceSummaryRow; order: string }> = {
  // groups are ordered bytewise: the same order on every server, and no locale comparison per group
  TEAM: { expr: 'v.team', as: 'team', order: 'v.team COLLATE "C"' },
  RULE: { expr: 'v.rule_id', as: 'ruleId', order: 'v.rule_id COLLATE "C"' },
  ACCOUNT: { expr: 'v.account_id', as: 'accountId', order: 'v.account_id COLLATE "C"' },
  // the day of the offending event in UTC, whatever the session's time zone: plain arithmetic on
  // the timestamp (date_trunc with a zone converts every row), and the expression the
  // violations_summary_groups statistics know, so Postgres expects as many groups as there are
  // and counts them in a hash table instead of sorting every violation first
  // (returned as epoch milliseconds: thousands of groups would each have a timestamp parsed otherwise)
  DAY: { expr: DAY_OF_EVENT, select: `(extract(epoch FROM ${DAY_OF_EVENT}) * 1000)::bigint`, as: 'day', order: DAY_OF_EVENT },
};

/**
 * Violations of events in [from, to) counted by status, grouped by the chosen dimensions, in one
 * GROUP BY statement. Rows come in the order the dimensions were given, each ascending (nulls —
 * violations without a team or account — last), so the same data always gives the same rows.
 * No dimension: one row with the window's totals.
 */
export async function complianceSummary(
  db: Queryable,
  window: { from: Date; to: Date },
  groupByDims: readonly ComplianceDimension[],
): Promise<ComplianceSummaryRow[]> {
  if (!(window.to.getTime() > window.from.getTime())) {
    throw new InvalidInputError(`to (${window.to.toISOString()}) must be after from (${window.from.toISOString()})`, 'to');
  }
  const dims = [...new Set(groupByDims)].map((d) => DIMENSIONS[d]);
  const keys = dims.map((d) => `${d.select ?? d.expr} AS "${d.as}"`);
  const { rows } = await db.query<{ [k: string]: unknown; open: string; resolved: string; suppressed: string; total: string }>(
    `SELECT ${[...keys, ''].join(', ')}
            count(*) FILTER (WHERE v.status = 'OPEN') AS open,
            count(*) FILTER (WHERE v.status = 'RESOLVED') AS resolved,
            count(*) FILTER (WHERE v.status = 'SUPPRESSED') AS suppressed,
            count(*) AS total
       FROM violations v
      WHERE v.event_time >= $1 AND v.event_time < $2
      ${dims.length ? `GROUP BY ${dims.map((d) => d.expr).join(', ')}` : ''}
      ${dims.length ? `ORDER BY ${dims.map((d) => `${d.order} ASC NULLS LAST`).join(', ')}` : ''}`,
    [window.from, window.to],
  );
  return rows.map((r) => ({
    team: (r.team as string | undefined) ?? null,
    ruleId: (r.ruleId as string | undefined) ?? null,
    accountId: (r.accountId as string | undefined) ?? null,
    day: r.day === undefined || r.day === null ? null : new Date(Number(r.day)),
    open: Number(r.open),
    resolved: Number(r.resolved),
    suppressed: Number(r.suppressed),
    total: Number(r.total),
  }));
}
