/**
 * Plain-SQL reads of policy grants and IAM principals "as of" a moment, shaped for the API and the
 * access service. Every query is served by an index: btree principal_arn, GIN action_services,
 * GiST validity.
 */
import type { Queryable } from '../read/sql';
import { tagsAsOfJoin } from '../read/tags-at';
import type { Effect, PolicyKind, PolicySource } from '../domain/iam/types';

/** One statement of one policy reaching one principal, valid over [validFrom, validTo). */
export interface PolicyGrantRow {
  principalArn: string;
  principalType: 'IAM_USER' | 'ROLE';
  accountId: string;
  source: PolicySource;
  /** the statement exactly as the policy document holds it (Action/Resource/Condition as written) */
  statement: Record<string, unknown>;
  statementIndex: number;
  sid: string | null;
  effect: Effect;
  /**
   * the `Version` of the document the statement comes from, as written; null when it has none
   * (AWS then reads it as 2008-10-17, and substitutes no `${…}` policy variables)
   */
  documentVersion: string | null;
  validFrom: Date;
  /** null: still valid */
  validTo: Date | null;
}

/** A policy_grants row as GRANT_COLUMNS selects it (alias `g`). */
export interface GrantDbRow {
  principal_arn: string;
  principal_type: 'IAM_USER' | 'ROLE';
  account_id: string;
  kind: PolicyKind;
  policy_arn: string | null;
  policy_name: string | null;
  version_id: string | null;
  via_group_arn: string | null;
  attached_to_arn: string;
  statement: Record<string, unknown>;
  statement_index: number;
  sid: string | null;
  effect: Effect;
  document_version: string | null;
  valid_from: Date;
  valid_to: Date | null;
}

/** The select list of a GrantDbRow from `policy_grants g`; `statement` may be given as another expression (`g.statement::text AS statement_text`). */
export const grantColumns = (statement = 'g.statement') => `g.principal_arn, g.principal_type, g.account_id, g.kind, g.policy_arn, g.policy_name, g.version_id,
  g.via_group_arn, g.attached_to_arn, ${statement}, g.statement_index, g.sid, g.effect, g.document_version,
  lower(g.validity) AS valid_from, upper(g.validity) AS valid_to`;

export const GRANT_COLUMNS = grantColumns();

// Deterministic order: a principal's grants by where they come from, then by statement.
const GRANT_ORDER = 'g.principal_arn, g.kind, g.policy_arn NULLS FIRST, g.policy_name, g.via_group_arn NULLS FIRST, g.statement_index, lower(g.validity)';

/** A row of GRANT_COLUMNS → the grant. */
export function toGrantRow(r: GrantDbRow): PolicyGrantRow {
  return {
    principalArn: r.principal_arn,
    principalType: r.principal_type,
    accountId: r.account_id,
    source: {
      kind: r.kind,
      policyArn: r.policy_arn,
      policyName: r.policy_name,
      versionId: r.version_id,
      viaGroupArn: r.via_group_arn,
      attachedToArn: r.attached_to_arn,
    },
    statement: r.statement,
    statementIndex: r.statement_index,
    sid: r.sid,
    effect: r.effect,
    documentVersion: r.document_version,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  };
}

export interface GrantFilter {
  /** only these kinds (e.g. leave out TRUST_POLICY for identity-based evaluation) */
  kinds?: PolicyKind[];
  effect?: Effect;
}

function filterSql(filter: GrantFilter, params: unknown[]): string {
  const parts: string[] = [];
  if (filter.kinds?.length) {
    params.push(filter.kinds);
    parts.push(`g.kind = ANY($${params.length}::text[])`);
  }
  if (filter.effect) {
    params.push(filter.effect);
    parts.push(`g.effect = $${params.length}`);
  }
  return parts.map((p) => ` AND ${p}`).join('');
}

/** Every grant of these principals (IAM user or role ARNs) valid at `at`. */
export async function grantsForPrincipals(pool: Queryable, principalArns: string[], at: Date, filter: GrantFilter = {}): Promise<PolicyGrantRow[]> {
  if (principalArns.length === 0) return [];
  const params: unknown[] = [[...new Set(principalArns)], at];
  const { rows } = await pool.query<GrantDbRow>(
    `SELECT ${GRANT_COLUMNS} FROM policy_grants g
      WHERE g.principal_arn = ANY($1::text[]) AND g.validity @> $2::timestamptz${filterSql(filter, params)}
      ORDER BY ${GRANT_ORDER}`,
    params,
  );
  return rows.map(toGrantRow);
}

/**
 * Every grant valid at `at` whose statement may name an action of `service` (`sagemaker`): its
 * Action names the service or `*`, or it is a NotAction statement (which may match any service).
 */
export async function grantsForService(pool: Queryable, service: string, at: Date, filter: GrantFilter = {}): Promise<PolicyGrantRow[]> {
  const params: unknown[] = [[service.toLowerCase(), '*'], at];
  const { rows } = await pool.query<GrantDbRow>(
    `SELECT ${GRANT_COLUMNS} FROM policy_grants g
      WHERE g.action_services && $1::text[] AND g.validity @> $2::timestamptz${filterSql(filter, params)}
      ORDER BY ${GRANT_ORDER}`,
    params,
  );
  return rows.map(toGrantRow);
}

/** Every period of every grant of one principal, oldest first: how its access changed over time. */
export async function grantHistory(pool: Queryable, principalArn: string): Promise<PolicyGrantRow[]> {
  const { rows } = await pool.query<GrantDbRow>(
    `SELECT ${GRANT_COLUMNS} FROM policy_grants g WHERE g.principal_arn = $1 ORDER BY lower(g.validity), ${GRANT_ORDER}`,
    [principalArn],
  );
  return rows.map(toGrantRow);
}

/** An IAM user or role as it stood at a moment. */
/** An ENTITY fact row of a user or role (`user/<name>`, `role/<name>`) as the principal it is. */
export function principalOfEntity(row: { account_id: string; fact_key: string; payload: { arn: string; id?: string | null } }): {
  arn: string; type: 'IAM_USER' | 'ROLE'; accountId: string; name: string; awsPrincipalId: string | null;
} {
  return {
    arn: row.payload.arn,
    type: row.fact_key.startsWith('user/') ? 'IAM_USER' : 'ROLE',
    accountId: row.account_id,
    name: row.fact_key.slice(row.fact_key.indexOf('/') + 1),
    awsPrincipalId: row.payload.id ?? null,
  };
}

/** SQL: the ENTITY facts of users and roles (alias `f` of iam_fact_periods). */
export const USER_OR_ROLE_ENTITY = `f.fact_kind = 'ENTITY' AND (f.fact_key LIKE 'user/%' OR f.fact_key LIKE 'role/%')`;

export interface IamPrincipalAt {
  arn: string;
  type: 'IAM_USER' | 'ROLE';
  accountId: string;
  name: string;
  /** UserId / RoleId (AIDA…, AROA…) */
  awsPrincipalId: string | null;
  path: string;
  createDate: Date | null;
  /** its tags at that moment, from the tag history */
  tags: Record<string, string>;
  /** the period over which the entity held as it is */
  validFrom: Date;
  validTo: Date | null;
}

/** IAM users and roles that existed at `at`, with their tags then; optionally one account's or some ARNs only. */
export async function iamPrincipalsAt(pool: Queryable, at: Date, opts: { accountId?: string; arns?: string[] } = {}): Promise<IamPrincipalAt[]> {
  const params: unknown[] = [at];
  let where = '';
  if (opts.accountId) {
    params.push(opts.accountId);
    where += ` AND f.account_id = $${params.length}`;
  }
  if (opts.arns) {
    params.push(opts.arns);
    where += ` AND f.payload->>'arn' = ANY($${params.length}::text[])`;
  }
  const { rows } = await pool.query<{
    account_id: string; fact_key: string; payload: { arn: string; id: string | null; path: string | null; createDate: string | null };
    valid_from: Date; valid_to: Date | null; tags: Record<string, string>;
  }>(
    `SELECT f.account_id, f.fact_key, f.payload, lower(f.validity) AS valid_from, upper(f.validity) AS valid_to, t.tags
       FROM iam_fact_periods f
       LEFT JOIN resources r ON r.arn = f.payload->>'arn'
       ${tagsAsOfJoin('t', 'r.id', '$1')}
      WHERE ${USER_OR_ROLE_ENTITY}
        AND f.validity @> $1::timestamptz${where}
      ORDER BY f.payload->>'arn'`,
    params,
  );
  return rows.map((r) => ({
    ...principalOfEntity(r),
    path: r.payload.path ?? '/',
    createDate: r.payload.createDate ? new Date(r.payload.createDate) : null,
    tags: r.tags,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  }));
}
