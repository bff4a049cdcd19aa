import type { AccessLogEntry } from '../server/access-log';
import { Page, PageRequest, toPage } from './pagination';
import { equalities, Params, Queryable, whereClause } from './sql';

/** One row of the API access log (api_access_log), as `apiAccessLog` reads it: the entry as stored, with its id. */
export interface AccessLogRow extends AccessLogEntry {
  id: string;
  /** `at` to the microsecond, UTC: the keyset half a JS Date would round */
  cursorTime: string;
}

/** Every field narrows (AND); absent fields do not. `from` is inclusive, `to` exclusive. */
export interface AccessLogFilter {
  from?: Date | null;
  to?: Date | null;
  identityId?: string | null;
  identityName?: string | null;
  role?: string | null;
  outcome?: string | null;
  operationName?: string | null;
  errorCode?: string | null;
}

const COLUMNS = `a.id::text AS id, a.at,
  to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorTime",
  a.identity_kind AS "identityKind", a.identity_id AS "identityId", a.identity_name AS "identityName", a.role,
  a.transport, a.operation_type AS "operationType", a.operation_name AS "operationName", a.query_sha256 AS "querySha256",
  a.variables, a.outcome, a.error_code AS "errorCode", a.http_status AS "httpStatus", a.rows_returned AS "rowsReturned",
  a.duration_ms AS "durationMs", a.client_address AS "clientAddress", a.user_agent AS "userAgent"`;

/** Newest first; id breaks ties, so the order is total. */
const ORDER = 'a.at DESC, a.id DESC';

function filterConditions(filter: AccessLogFilter, p: Params): string[] {
  // text arguments reach here checked (src/server/input-guards.ts: no NUL, no lone surrogate)
  const c = equalities(p, [
    ['a.identity_id', filter.identityId],
    ['a.identity_name', filter.identityName],
    ['a.role', filter.role],
    ['a.outcome', filter.outcome],
    ['a.operation_name', filter.operationName],
    ['a.error_code', filter.errorCode],
  ]);
  if (filter.from != null) c.push(`a.at >= ${p.add(filter.from)}`);
  if (filter.to != null) c.push(`a.at < ${p.add(filter.to)}`);
  return c;
}

function keysetCondition(req: PageRequest, p: Params): string[] {
  if (!req.after) return [];
  const [time, id] = req.after; // decodeCursor has checked both (a real time, an id within bigint)
  return [`(a.at, a.id) < (${p.add(time)}::timestamptz, ${p.add(id)}::bigint)`];
}

const rowKey = (row: AccessLogRow) => [row.cursorTime, row.id];

export async function listAccessLog(db: Queryable, filter: AccessLogFilter, req: PageRequest): Promise<Page<AccessLogRow>> {
  const p = new Params();
  const where = whereClause([...filterConditions(filter, p), ...keysetCondition(req, p)]);
  const { rows } = await db.query<AccessLogRow>(`SELECT ${COLUMNS} FROM api_access_log a ${where} ORDER BY ${ORDER} LIMIT ${p.add(req.first + 1)}`, p.values);
  return toPage(rows, req, 'access-log', rowKey);
}

export async function countAccessLog(db: Queryable, filter: AccessLogFilter): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM api_access_log a ${whereClause(filterConditions(filter, p))}`, p.values);
  return Number(rows[0].n);
}
