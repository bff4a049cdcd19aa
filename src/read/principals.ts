import { parseArn } from '../domain/aws/arn';
import { InvalidInputError, truncate } from './errors';
import { Page, PageRequest, toPage } from './pagination';
import { Params, Queryable, whereClause } from './sql';
import { tagConditions } from './tags';

/** Who acted (principals), as the API and the CLI read it. */
export interface PrincipalRow {
  id: string;
  /** the AWS ARN, or a documented synthetic key (see isPrincipalKey) */
  arn: string;
  type: string;
  accountId: string | null;
  name: string;
  awsPrincipalId: string | null;
  tags: Record<string, string>;
  teamId: string | null;
  firstSeen: Date;
  lastSeen: Date;
}

export interface PrincipalFilter {
  /** team name */
  team?: string | null;
  type?: string | null;
  accountId?: string | null;
  tagKey?: string | null;
  tagValue?: string | null;
}

const COLUMNS = `p.id::text AS id, p.arn, p.principal_type AS type, p.account_id AS "accountId", p.name,
  p.aws_principal_id AS "awsPrincipalId", p.tags, p.team_id::text AS "teamId",
  p.first_seen AS "firstSeen", p.last_seen AS "lastSeen"`;

const idKey = (row: { id: string }) => [row.id];

/**
 * Principals without an AWS ARN are keyed as src/domain/cloudtrail/principal.ts documents:
 * `saml-user:<idp>/<user>`, `web-identity-user:<idp>/<user>`, `identity-center-user:[<store>/]<id>`
 * (user names may hold spaces), and AWS service principals (`sagemaker.amazonaws.com`, `AWS Internal`).
 */
const SYNTHETIC_KEY = /^(saml-user|web-identity-user|identity-center-user):[^\n]+$|^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$|^AWS Internal$/;
/**
 * A record whose identity ARN is malformed (published samples hold `arn:aws::sts:…`) is keyed on
 * that ARN as recorded; such keys still have the ARN's six colon-separated parts.
 */
const RECORDED_ARN = /^arn:[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:\S+$/;

export function isPrincipalKey(value: string): boolean {
  return parseArn(value) !== null || SYNTHETIC_KEY.test(value) || RECORDED_ARN.test(value);
}

function filterConditions(filter: PrincipalFilter, p: Params): string[] {
  const c: string[] = [];
  if (filter.team != null) c.push(`p.team_id = (SELECT id FROM teams WHERE name = ${p.add(filter.team)})`);
  if (filter.type != null) c.push(`p.principal_type = ${p.add(filter.type)}`);
  if (filter.accountId != null) c.push(`p.account_id = ${p.add(filter.accountId)}`);
  return [...c, ...tagConditions('p.tags', filter, p)];
}

const keyset = (req: PageRequest, p: Params) => (req.after ? [`p.id > ${p.add(req.after[0])}::bigint`] : []);

export async function listPrincipals(db: Queryable, filter: PrincipalFilter, req: PageRequest): Promise<Page<PrincipalRow>> {
  const p = new Params();
  const where = whereClause([...filterConditions(filter, p), ...keyset(req, p)]);
  const { rows } = await db.query<PrincipalRow>(`SELECT ${COLUMNS} FROM principals p ${where} ORDER BY p.id LIMIT ${p.add(req.first + 1)}`, p.values);
  return toPage(rows, req, 'principal', idKey);
}

export async function countPrincipals(db: Queryable, filter: PrincipalFilter): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM principals p ${whereClause(filterConditions(filter, p))}`, p.values);
  return Number(rows[0].n);
}

export async function principalsByIds(db: Queryable, ids: readonly string[]): Promise<PrincipalRow[]> {
  const { rows } = await db.query<PrincipalRow>(`SELECT ${COLUMNS} FROM principals p WHERE p.id = ANY($1::bigint[])`, [ids]);
  return rows;
}

export async function principalsByArns(db: Queryable, arns: readonly string[]): Promise<PrincipalRow[]> {
  const { rows } = await db.query<PrincipalRow>(`SELECT ${COLUMNS} FROM principals p WHERE p.arn = ANY($1::text[])`, [arns]);
  return rows;
}

/**
 * The principal a key names. Principals are keyed on the issuing role for sessions, so an
 * assumed-role session ARN (`arn:aws:sts::<account>:assumed-role/<Role>/<session>`) that is not a
 * key itself resolves to its role (session ARNs drop the role's path, hence account and name).
 * Exact throughout: the partition is compared as a prefix with starts_with, never LIKE, where the
 * `_` a partition may hold would match any character.
 */
export async function principalByKey(db: Queryable, key: string): Promise<PrincipalRow | null> {
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(key);
  const { rows } = await db.query<PrincipalRow>(
    session
      ? `SELECT ${COLUMNS} FROM principals p WHERE p.arn = $1
           OR (p.principal_type = 'ROLE' AND p.account_id = $2 AND p.name = $3 AND starts_with(p.arn, 'arn:' || $4 || ':iam::'))
         ORDER BY (p.arn = $1) DESC, p.id LIMIT 1`
      : `SELECT ${COLUMNS} FROM principals p WHERE p.arn = $1`,
    session ? [key, session[2], session[3], session[1]] : [key],
  );
  return rows[0] ?? null;
}

/** One page of members for each of many teams, in one statement. */
export async function memberPagesFor(db: Queryable, teamIds: readonly string[], req: PageRequest): Promise<Map<string, Page<PrincipalRow>>> {
  const p = new Params();
  const keys = p.add(teamIds);
  const where = whereClause(['p.team_id = k.key::bigint', ...keyset(req, p)]);
  const { rows } = await db.query<PrincipalRow & { parentKey: string }>(
    `SELECT k.key AS "parentKey", x.* FROM unnest(${keys}::text[]) WITH ORDINALITY AS k(key, ord)
       CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM principals p ${where} ORDER BY p.id LIMIT ${p.add(req.first + 1)}) x
      ORDER BY k.ord, x.id::bigint`,
    p.values,
  );
  const byKey = new Map<string, PrincipalRow[]>(teamIds.map((k) => [k, []]));
  for (const { parentKey, ...row } of rows) byKey.get(parentKey)?.push(row);
  return new Map([...byKey].map(([k, list]) => [k, toPage(list, req, 'principal', idKey)]));
}

export async function memberCountsFor(db: Queryable, teamIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT p.team_id::text AS key, count(*) AS n FROM principals p WHERE p.team_id = ANY($1::bigint[]) GROUP BY p.team_id`,
    [teamIds],
  );
  const counts = new Map(rows.map((r) => [r.key, Number(r.n)]));
  return new Map(teamIds.map((id) => [id, counts.get(id) ?? 0]));
}

/** `principal(arn:)` takes an ARN or a synthetic key; anything else is a typo worth saying so. */
export function checkPrincipalKey(value: string, argument = 'arn'): string {
  const key = value.trim();
  if (!key) throw new InvalidInputError(`${argument} must not be empty`, argument);
  if (!isPrincipalKey(key)) {
    throw new InvalidInputError(
      `${argument} "${truncate(key)}" is neither an ARN (arn:partition:service:region:account:resource) nor a principal key (saml-user:…, web-identity-user:…, identity-center-user:…, <service>.amazonaws.com)`,
      argument,
    );
  }
  return key;
}
