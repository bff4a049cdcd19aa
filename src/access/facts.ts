/**
 * What the access service reads besides grants: which IAM principal a key names at a moment, and
 * resource tags as they stood then (the tag history). Plain SQL, batched.
 */
import type { Queryable } from '../read/sql';
import { parseArn } from '../domain/aws/arn';
import type { IamPrincipalAt } from '../iam/grants-read';
import { InvalidInputError, NotFoundError, truncate } from '../read/errors';
import { entityAccessAt, type KeyedGrant } from '../read/grants';

const SESSION_ARN = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

/** A principal key as the caller wrote it, checked: an IAM user or role ARN, or a role session ARN. */
export interface PrincipalKey {
  /** the ARN as given */
  given: string;
  accountId: string;
  /** the store's entity key: `role/<name>`, `user/<name>` (IAM names are unique in an account, paths aside) */
  entityKey: string;
  /** the IAM user or role ARN, when given as one */
  iamArn: string | null;
  /** for a session ARN: the role's name, the session name and the session ARN */
  session: { roleName: string; sessionName: string; arn: string } | null;
}

export function checkPrincipalArn(value: string, argument = 'principalArn'): PrincipalKey {
  const given = value.trim();
  const arn = parseArn(given);
  const refuse = (why: string) => new InvalidInputError(`${argument} "${truncate(given)}" ${why}`, argument);
  if (!arn) throw refuse('is not an ARN (arn:partition:service:region:account:resource)');
  const session = SESSION_ARN.exec(given);
  if (session) return { given, accountId: session[2], entityKey: `role/${session[3]}`, iamArn: null, session: { roleName: session[3], sessionName: session[4], arn: given } };
  if (arn.service !== 'iam' || (arn.resourceType !== 'user' && arn.resourceType !== 'role')) {
    throw refuse('is not an IAM user, an IAM role or an assumed-role session ARN: govgraph evaluates the policies of users and roles');
  }
  return { given, accountId: arn.accountId, entityKey: `${arn.resourceType}/${arn.resourceName}`, iamArn: given, session: null };
}

/** The IAM principal a key names, as it stood at `at`, with the session it acted through if any. */
export interface ResolvedPrincipal extends IamPrincipalAt {
  sessionArn: string | null;
  sessionName: string | null;
}

/** The role a session ARN belongs to (session ARNs drop the role's path): the latest role of that name in the account. */
async function roleOfSession(pool: Queryable, key: PrincipalKey): Promise<string | null> {
  const { rows } = await pool.query<{ arn: string }>(
    `SELECT payload->>'arn' AS arn FROM iam_fact_periods
      WHERE fact_kind = 'ENTITY' AND account_id = $1 AND fact_key = 'role/' || $2
      ORDER BY upper(validity) DESC NULLS FIRST LIMIT 1`,
    [key.accountId, key.session!.roleName],
  );
  return rows[0]?.arn ?? null;
}

/** The IAM ARN a key names (a session resolved to its role); a NotFoundError when govgraph has no IAM data for it. */
export async function iamArnOf(pool: Queryable, key: PrincipalKey, argument = 'principalArn'): Promise<string> {
  if (key.iamArn) return key.iamArn;
  const role = await roleOfSession(pool, key);
  if (!role) {
    throw new NotFoundError(
      `govgraph has no IAM data for role ${key.session!.roleName} in account ${key.accountId} (the role of session ${truncate(key.given)}); ingest an IAM snapshot of the account (govgraph ingest iam)`,
      argument,
    );
  }
  return role;
}

/** Why a principal key names no IAM user or role at `at`: never seen, or seen at other times. */
export async function notFoundAt(pool: Queryable, key: PrincipalKey, at: Date, argument = 'principalArn'): Promise<NotFoundError> {
  const { rows } = await pool.query<{ arn: string; valid_from: Date; valid_to: Date | null }>(
    `SELECT payload->>'arn' AS arn, lower(validity) AS valid_from, upper(validity) AS valid_to FROM iam_fact_periods
      WHERE fact_kind = 'ENTITY' AND account_id = $1 AND fact_key = $2 ORDER BY lower(validity)`,
    [key.accountId, key.entityKey],
  );
  const what = key.session ? `role ${key.session.roleName} in account ${key.accountId} (the role of session ${truncate(key.given)})` : truncate(key.given);
  if (rows.length === 0) {
    return new NotFoundError(`govgraph has no IAM data for ${what}; ingest an IAM snapshot of its account (govgraph ingest iam)`, argument);
  }
  const periods = rows.map((r) => `${r.valid_from.toISOString()} to ${r.valid_to ? r.valid_to.toISOString() : 'now'}`).join(', ');
  return new NotFoundError(`${what} did not exist at ${at.toISOString()} as far as govgraph knows (it existed from ${periods})`, argument);
}

/**
 * The IAM user or role a key names as it stood at `at` (its tags then) and its grants then, by the
 * store's entity key: a session ARN finds its role whatever the role's path. Principal null when none.
 */
export async function principalAccessAt(pool: Queryable, key: PrincipalKey, at: Date): Promise<{ principal: ResolvedPrincipal | null; grants: KeyedGrant[] }> {
  const { entity, grants } = await entityAccessAt(pool, key.accountId, key.entityKey, at);
  if (!entity) return { principal: null, grants: [] };
  return {
    principal: {
      arn: entity.arn,
      type: key.entityKey.startsWith('user/') ? 'IAM_USER' : 'ROLE',
      accountId: key.accountId,
      name: key.entityKey.slice(key.entityKey.indexOf('/') + 1),
      awsPrincipalId: entity.id,
      path: entity.path ?? '/',
      createDate: entity.createDate ? new Date(entity.createDate) : null,
      tags: entity.tags,
      validFrom: entity.validFrom,
      validTo: entity.validTo,
      sessionArn: key.session?.arn ?? null,
      sessionName: key.session?.sessionName ?? null,
    },
    grants,
  };
}

