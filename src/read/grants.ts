/**
 * Policy grants valid at a moment, in pages: the keyset reads behind `policyGrants` and
 * `Principal.grants`. The store (src/iam) recomputes an account's grant rows whenever its IAM
 * changes, so row ids are not stable; the order and the cursor use the grant's own identity
 * instead (principal, where it came from, statement, start of validity), which a refresh keeps.
 */
import type { Effect, PolicyKind } from '../domain/iam/types';
import { GRANT_COLUMNS, grantColumns, toGrantRow, type GrantDbRow, type PolicyGrantRow } from '../iam/grants-read';
import { pageRequest, toPage, type Page, type PageRequest } from './pagination';
import { Params, type Queryable, whereClause } from './sql';
import { tagsAsOfJoin } from './tags-at';

/** The grant's identity, in list order: principal, kind, policy ARN, policy name, group, statement index, valid from. */
export type GrantKey = [string, string, string, string, string, string, string];

export interface GrantListFilter {
  /** only these principals' grants (IAM user or role ARNs) */
  principalArns?: string[];
  /** only statements that may name an action of this service (`sagemaker`), or NotAction ones */
  service?: string;
  kinds?: PolicyKind[];
  effect?: Effect;
}

/** A grant row with its list key. */
export interface KeyedGrant extends PolicyGrantRow {
  key: GrantKey;
}

// The sort key, NULLs folded to '' so that a row comparison (keyset) and ORDER BY agree.
const KEY_PARTS = ['g.principal_arn', 'g.kind', "COALESCE(g.policy_arn, '')", "COALESCE(g.policy_name, '')", "COALESCE(g.via_group_arn, '')", 'g.statement_index', 'lower(g.validity)'];
const KEY_COLUMNS = KEY_PARTS.join(', ');

type KeyedDbRow = GrantDbRow & { valid_from_text: string };

const COLUMNS = `${GRANT_COLUMNS}, to_char(lower(g.validity) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS valid_from_text`;

function toGrant(r: KeyedDbRow): KeyedGrant {
  return {
    ...toGrantRow(r),
    key: [r.principal_arn, r.kind, r.policy_arn ?? '', r.policy_name ?? '', r.via_group_arn ?? '', String(r.statement_index), r.valid_from_text],
  };
}

/** A page request whose `after` is a grant key (pageRequest(first, after, 'grant')). */
export interface GrantPageRequest extends PageRequest {
  after: GrantKey | null;
}

export function grantPageRequest(first: number | null | undefined, after: string | null | undefined): GrantPageRequest {
  return pageRequest(first, after, 'grant') as GrantPageRequest;
}

function conditions(filter: GrantListFilter, at: Date, p: Params): string[] {
  const c = [`g.validity @> ${p.add(at)}::timestamptz`];
  if (filter.principalArns) c.push(`g.principal_arn = ANY(${p.add(filter.principalArns)}::text[])`);
  if (filter.service) c.push(`g.action_services && ${p.add([filter.service.toLowerCase(), '*'])}::text[]`);
  if (filter.kinds?.length) c.push(`g.kind = ANY(${p.add(filter.kinds)}::text[])`);
  if (filter.effect) c.push(`g.effect = ${p.add(filter.effect)}`);
  return c;
}

function keysetCondition(after: GrantKey, p: Params): string {
  const [arn, kind, policyArn, policyName, group, index, from] = after;
  return `(${KEY_COLUMNS}) > (${p.add(arn)}::text, ${p.add(kind)}::text, ${p.add(policyArn)}::text, ${p.add(policyName)}::text, ${p.add(group)}::text, ${p.add(Number(index))}::integer, ${p.add(from)}::timestamptz)`;
}

/** Up to `limit` grants valid at `at`, in list order, after the key. */
export async function grantsAfter(db: Queryable, filter: GrantListFilter, at: Date, after: GrantKey | null, limit: number): Promise<KeyedGrant[]> {
  const p = new Params();
  const where = whereClause([...conditions(filter, at, p), ...(after ? [keysetCondition(after, p)] : [])]);
  const { rows } = await db.query<KeyedDbRow>(`SELECT ${COLUMNS} FROM policy_grants g ${where} ORDER BY ${KEY_COLUMNS} LIMIT ${p.add(limit)}`, p.values);
  return rows.map(toGrant);
}

/**
 * Every grant valid at `at` of these kinds whose statement may name an action of `service` (its
 * Action names the service or `*`, or it is a NotAction statement), as grantsForService in
 * src/iam/grants-read.ts reads them but in no order (a sort of tens of thousands of ARNs costs more
 * than the rest of the read). Statements come as text and each distinct text is parsed once:
 * `whoCan` reads tens of thousands of grants that share a few hundred statements.
 */
export async function serviceGrantsAt(db: Queryable, service: string, at: Date, kinds: PolicyKind[]): Promise<PolicyGrantRow[]> {
  const { rows } = await db.query<Omit<GrantDbRow, 'statement'> & { statement_text: string }>(
    `SELECT ${grantColumns('g.statement::text AS statement_text')}
       FROM policy_grants g
      WHERE g.action_services && $1::text[] AND g.validity @> $2::timestamptz AND g.kind = ANY($3::text[])`,
    [[service.toLowerCase(), '*'], at, kinds],
  );
  const parsed = new Map<string, Record<string, unknown>>();
  return rows.map((r) => {
    let statement = parsed.get(r.statement_text);
    if (!statement) {
      statement = JSON.parse(r.statement_text) as Record<string, unknown>;
      parsed.set(r.statement_text, statement);
    }
    return toGrantRow({ ...r, statement });
  });
}

export async function countGrants(db: Queryable, filter: GrantListFilter, at: Date): Promise<number> {
  const p = new Params();
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM policy_grants g ${whereClause(conditions(filter, at, p))}`, p.values);
  return Number(rows[0].n);
}

/**
 * One page of grants for each of many principals (valid at `at`), in one statement: the
 * Principal.grants loader.
 */
export async function grantPagesFor(db: Queryable, principalArns: readonly string[], at: Date, req: GrantPageRequest): Promise<Map<string, Page<KeyedGrant>>> {
  const p = new Params();
  const keys = p.add(principalArns);
  const where = whereClause(['g.principal_arn = k.key', ...conditions({}, at, p), ...(req.after ? [keysetCondition(req.after, p)] : [])]);
  const { rows } = await db.query<KeyedDbRow & { parent_key: string }>(
    `SELECT k.key AS parent_key, x.* FROM unnest(${keys}::text[]) WITH ORDINALITY AS k(key, ord)
       CROSS JOIN LATERAL (SELECT ${COLUMNS}, ${KEY_PARTS.map((c, i) => `${c} AS k${i}`).join(', ')}
                             FROM policy_grants g ${where} ORDER BY ${KEY_COLUMNS} LIMIT ${p.add(req.first + 1)}) x
      ORDER BY k.ord, x.k0, x.k1, x.k2, x.k3, x.k4, x.k5, x.k6`,
    p.values,
  );
  const byKey = new Map<string, KeyedGrant[]>(principalArns.map((k) => [k, []]));
  for (const row of rows) byKey.get(row.parent_key)?.push(toGrant(row));
  return new Map([...byKey].map(([k, list]) => [k, toGrantPage(list, req)]));
}

export async function grantCountsFor(db: Queryable, principalArns: readonly string[], at: Date): Promise<Map<string, number>> {
  const { rows } = await db.query<{ key: string; n: string }>(
    `SELECT g.principal_arn AS key, count(*) AS n FROM policy_grants g
      WHERE g.principal_arn = ANY($1::text[]) AND g.validity @> $2::timestamptz GROUP BY g.principal_arn`,
    [principalArns, at],
  );
  const counts = new Map(rows.map((r) => [r.key, Number(r.n)]));
  return new Map(principalArns.map((arn) => [arn, counts.get(arn) ?? 0]));
}

/** Rows fetched with LIMIT first + 1 (or filtered down to at most that) → the page. */
export const toGrantPage = (rows: KeyedGrant[], req: GrantPageRequest): Page<KeyedGrant> => toPage(rows, req, 'grant', (g) => g.key);

/** An IAM user or role as the store's entity facts hold it at a moment, with its tags then. */
export interface EntityAt {
  arn: string;
  id: string | null;
  path: string | null;
  createDate: string | null;
  validFrom: Date;
  validTo: Date | null;
  tags: Record<string, string>;
}

/**
 * The IAM user or role with this entity key (`role/<name>`, `user/<name>`) in the account as it
 * stood at `at` (its tags then, from the tag history), and every grant of it valid then (each with
 * its document's Version). One statement: the reads of one simulation. `entity` is null when there
 * is no such principal then.
 */
export async function entityAccessAt(db: Queryable, accountId: string, entityKey: string, at: Date): Promise<{ entity: EntityAt | null; grants: KeyedGrant[] }> {
  // the grant columns are null on the one row of a principal with no grants then
  const { rows } = await db.query<Omit<KeyedDbRow, 'principal_arn'> & {
    principal_arn: string | null;
    e_payload: { arn: string; id: string | null; path: string | null; createDate: string | null };
    e_valid_from: Date; e_valid_to: Date | null; e_tags: Record<string, string> | null;
  }>({
    // prepared (planned once per connection). The validity test of iam_fact_periods is written as
    // bounds so that the generic plan keeps to the (account_id, fact_kind, fact_key) index: the GiST
    // index on validity matches most of the table at any moment.
    name: 'govgraph-entity-access-at',
    text: `WITH e AS (
       SELECT f.payload, lower(f.validity) AS valid_from, upper(f.validity) AS valid_to, t.tags
         FROM iam_fact_periods f
         LEFT JOIN resources r ON r.arn = f.payload->>'arn'
         ${tagsAsOfJoin('t', 'r.id', '$3')}
        WHERE f.account_id = $1 AND f.fact_kind = 'ENTITY' AND f.fact_key = $2
          AND lower(f.validity) <= $3::timestamptz AND (upper(f.validity) IS NULL OR upper(f.validity) > $3::timestamptz)
        LIMIT 1
     )
     SELECT e.payload AS e_payload, e.valid_from AS e_valid_from, e.valid_to AS e_valid_to, e.tags AS e_tags, x.*
       FROM e LEFT JOIN LATERAL (
         SELECT ${COLUMNS}, ${KEY_PARTS.map((c, i) => `${c} AS k${i}`).join(', ')}
           FROM policy_grants g
          WHERE g.principal_arn = e.payload->>'arn' AND g.account_id = $1 AND g.validity @> $3::timestamptz
       ) x ON true
      ORDER BY x.k0, x.k1, x.k2, x.k3, x.k4, x.k5, x.k6`,
    values: [accountId, entityKey, at],
  });
  if (rows.length === 0) return { entity: null, grants: [] };
  const e = rows[0];
  const entity: EntityAt = {
    arn: e.e_payload.arn,
    id: e.e_payload.id ?? null,
    path: e.e_payload.path ?? null,
    createDate: e.e_payload.createDate ?? null,
    validFrom: e.e_valid_from,
    validTo: e.e_valid_to,
    tags: e.e_tags ?? {},
  };
  const grants = rows.filter((r) => r.principal_arn !== null).map((r) => toGrant(r as KeyedDbRow));
  return { entity, grants };
}
