/**
 * Effective access: "can X do Y on Z (at t)?", "who can do Y?", and the grants behind them. The one
 * code path the API, the CLI and the rules use. It gathers what applies at a moment from the store
 * (the principal and its tags then, its identity grants and permissions boundary, the resource's
 * tags then), builds the request context the way AWS would (src/domain/iam/context.ts; the caller's
 * entries override derived ones), checks the request against the service catalog, and hands it to
 * the engine (src/domain/iam/evaluate.ts).
 *
 * Errors are the read layer's: InvalidInputError (BAD_USER_INPUT) for a malformed ARN, date or
 * action, an action the catalog does not know or a context key the action does not support;
 * NotFoundError (NOT_FOUND) for a principal govgraph has no IAM data for at that moment.
 */
import type { Queryable } from '../read/sql';
import { parseArn } from '../domain/aws/arn';
import {
  buildAuthorizationRequest,
  evaluateRequest,
  matchesAction,
  matchResourcePattern,
  PolicyEvaluationError,
  resourceAccountOf,
  validateRequest,
  type AuthorizationRequest,
  type Decision,
  type PolicyKind,
  type RequestContext,
  type RequestFacts,
  type SourcedPolicy,
  type Effect,
  type EvaluationInput,
} from '../domain/iam';
import { grantsForPrincipals, iamPrincipalsAt, type IamPrincipalAt, type PolicyGrantRow } from '../iam/grants-read';
import { InvalidInputError, NotFoundError, truncate } from '../read/errors';
import { countGrants, grantsAfter, serviceGrantsAt, toGrantPage, type GrantListFilter, type GrantPageRequest, type KeyedGrant } from '../read/grants';
import type { Page } from '../read/pagination';
import { groupBy } from '../read/sql';
import {
  checkPrincipalArn,
  iamArnOf,
  notFoundAt,
  principalAccessAt,
  type PrincipalKey,
  type ResolvedPrincipal,
} from './facts';
import { tagsAt, type TagsAt, type TagsAtRequest } from '../read/tags-at';
import { callerPolicy, conditionTests, IDENTITY_KINDS, splitGrants, StatementNormalizer, versionOf } from './policies';

/** A condition context entry the caller supplies: it overrides what govgraph derives. */
export interface ContextEntry {
  key: string;
  values: string[];
}

export interface AccessQuery {
  /** `service:Action`, e.g. `sagemaker:CreateTrainingJob` */
  action: string;
  /** the resource ARN; absent: `*` (actions that take no resource, or "any") */
  resourceArn?: string | null;
  context?: ContextEntry[] | null;
  /** the moment to ask about; default now */
  at?: Date | null;
}

export interface SimulateInput extends AccessQuery {
  /** an IAM user or role ARN, or an assumed-role session ARN (resolved to its role) */
  principalArn: string;
  /** a resource-based policy to evaluate with the identity policies (a bucket policy…) */
  resourcePolicy?: unknown;
  /** a session policy passed when the session was created */
  sessionPolicy?: unknown;
  /** SCPs, one list per level of the organisation (root first); each level must allow */
  serviceControlPolicies?: unknown[][] | null;
  /** tags the request itself sets (a Create* call's Tags, AddTags): aws:RequestTag/… and aws:TagKeys */
  requestTags?: Record<string, string> | null;
  /** judge the resource's tags as they stood before this CloudTrail event's own tag changes */
  beforeEventId?: string | null;
}

/** The resource as govgraph knew it at that moment. */
export interface ResourceAt extends TagsAt {
  arn: string;
}

export interface Simulation {
  decision: Decision;
  principal: ResolvedPrincipal;
  action: string;
  /** the resource ARN evaluated, `*` when none was given */
  resourceArn: string;
  resource: ResourceAt | null;
  /** the request context the decision was made on */
  context: RequestContext;
  at: Date;
}

export interface Grantee {
  principal: ResolvedPrincipal;
  simulation: Simulation;
}

export interface WhoCanInput extends AccessQuery {
  /** only principals of this account */
  accountId?: string | null;
}

export interface GrantListInput {
  principalArn?: string | null;
  action?: string | null;
  resourceArn?: string | null;
  at?: Date | null;
  kinds?: PolicyKind[] | null;
  effect?: Effect | null;
}

const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9]+$/;

/** Checked arguments shared by simulate and whoCan. */
interface CheckedQuery {
  action: string;
  resourceArn: string;
  at: Date;
  extra: Record<string, string[]>;
  callerKeys: string[];
}

function checkAt(at: Date | null | undefined, argument = 'at'): Date {
  if (at === null || at === undefined) return new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new InvalidInputError(`${argument} must be an RFC 3339 date-time such as 2026-11-03T14:00:00Z`, argument);
  return at;
}

function checkAction(action: string, argument = 'action'): string {
  const a = action.trim();
  if (!ACTION.test(a)) {
    throw new InvalidInputError(`${argument} "${truncate(a)}" must be one action written service:Action, e.g. sagemaker:CreateTrainingJob (no wildcards)`, argument);
  }
  return a;
}

export function checkResourceArn(resourceArn: string | null | undefined, argument = 'resourceArn'): string {
  if (resourceArn === null || resourceArn === undefined) return '*';
  const arn = resourceArn.trim();
  if (arn === '*') return arn;
  if (!parseArn(arn)) throw new InvalidInputError(`${argument} "${truncate(arn)}" is not an ARN (arn:partition:service:region:account:resource), nor *`, argument);
  return arn;
}

function checkContext(entries: ContextEntry[] | null | undefined): { extra: Record<string, string[]>; callerKeys: string[] } {
  const extra: Record<string, string[]> = {};
  const seen = new Map<string, string>();
  for (const { key, values } of entries ?? []) {
    const k = key.trim();
    // A tag key may hold spaces (aws:RequestTag/cost center); a web identity key's prefix is a host (token.actions.githubusercontent.com:sub).
    if (!/^[^\s:]+:\S(?:.*\S)?$/.test(k)) throw new InvalidInputError(`context key "${truncate(k)}" must be a condition key such as sagemaker:VpcSubnets or aws:RequestTag/team`, 'context');
    const lower = k.toLowerCase();
    if (seen.has(lower)) throw new InvalidInputError(`context key ${k} is given twice (keys are case-insensitive: ${seen.get(lower)})`, 'context');
    seen.set(lower, k);
    extra[k] = [...values];
  }
  return { extra, callerKeys: [...seen.values()] };
}

/** The catalog check: an unknown action or an unsupported caller key is BAD_USER_INPUT. */
async function validate(request: AuthorizationRequest, callerKeys: string[]): Promise<void> {
  try {
    await validateRequest(request, callerKeys);
  } catch (err) {
    if (err instanceof PolicyEvaluationError) {
      const argument = /is not a condition key/.test(err.message) ? 'context' : 'action';
      throw new InvalidInputError(err.message, argument);
    }
    throw err;
  }
}

async function checkQuery(query: AccessQuery, principalArn = '*'): Promise<CheckedQuery> {
  const action = checkAction(query.action);
  const resourceArn = checkResourceArn(query.resourceArn);
  const at = checkAt(query.at);
  const { extra, callerKeys } = checkContext(query.context);
  await validate({ principalArn, action, resourceArn, context: extra }, callerKeys);
  try {
    resourceAccountOf({ principalArn, action, resourceArn, context: extra }); // an aws:ResourceAccount that is no account, or not the ARN's
  } catch (err) {
    if (err instanceof PolicyEvaluationError) throw new InvalidInputError(err.message, 'context');
    throw err;
  }
  return { action, resourceArn, at, extra, callerKeys };
}

function factsFor(principal: ResolvedPrincipal, q: CheckedQuery, resource: ResourceAt | null, requestTags?: Record<string, string> | null): RequestFacts {
  return {
    principal: {
      arn: principal.arn,
      type: principal.type,
      accountId: principal.accountId,
      name: principal.name,
      userId: principal.awsPrincipalId,
      sessionName: principal.sessionName,
      sessionArn: principal.sessionArn,
      tags: principal.tags,
    },
    resource: resource ? { arn: resource.arn, tags: resource.tags, accountId: resource.accountId } : null,
    action: q.action,
    ...(requestTags && Object.keys(requestTags).length > 0 ? { requestTags } : {}),
    extra: q.extra,
    at: q.at,
  };
}

const withSession = (p: IamPrincipalAt, key: PrincipalKey | null): ResolvedPrincipal => ({
  ...p,
  sessionArn: key?.session?.arn ?? null,
  sessionName: key?.session?.sessionName ?? null,
});

/** The caller's extra policies (resource, session, SCPs), parsed; undefined where none was given. */
type ExtraPolicies = Pick<EvaluationInput, 'resourcePolicies' | 'sessionPolicies' | 'serviceControlPolicies'>;

function extraPolicies(input: SimulateInput): ExtraPolicies {
  const out: ExtraPolicies = {};
  if (input.resourcePolicy !== null && input.resourcePolicy !== undefined) {
    out.resourcePolicies = [callerPolicy(input.resourcePolicy, 'RESOURCE_POLICY', 'resourcePolicy', 'resource policy')];
  }
  if (input.sessionPolicy !== null && input.sessionPolicy !== undefined) {
    out.sessionPolicies = [callerPolicy(input.sessionPolicy, 'SESSION_POLICY', 'sessionPolicy', 'session policy')];
  }
  if (input.serviceControlPolicies) {
    out.serviceControlPolicies = input.serviceControlPolicies.map((level, i) =>
      level.map((doc, j) => callerPolicy(doc, 'SCP', 'serviceControlPolicies', `SCP ${j + 1} at level ${i + 1}`)),
    );
  }
  return out;
}

function evaluate(
  principal: ResolvedPrincipal,
  q: CheckedQuery,
  resource: ResourceAt | null,
  policies: { identity: SourcedPolicy[]; boundaries: SourcedPolicy[] | undefined },
  extra: ExtraPolicies = {},
  requestTags?: Record<string, string> | null,
  /** false: leave out the lines on condition tests (whoCan weighs thousands and keeps only the allowed) */
  explainConditions = true,
): Simulation {
  const request = buildAuthorizationRequest(factsFor(principal, q, resource, requestTags));
  // one engine for every account: it tells same- from cross-account requests (and says how)
  const decision = evaluateRequest({
    request,
    identityPolicies: policies.identity,
    ...(policies.boundaries ? { permissionsBoundaries: policies.boundaries } : {}),
    ...extra,
  });
  if (explainConditions) decision.explanation.push(...conditionExplanation(decision, request.context));
  if (resource && !resource.known) {
    decision.explanation.push(`govgraph has no record of ${resource.arn}, so none of its tags are in the request context.`);
  }
  return { decision, principal, action: q.action, resourceArn: q.resourceArn, resource, context: request.context, at: q.at };
}

const quoted = (values: (string | null)[]) => values.map((v) => (v === null ? '(no value)' : JSON.stringify(v))).join(' or ');

/**
 * The condition tests behind a decision, one line each: for a denial, the tests of the statements
 * that nearly allowed that failed (the tags compared, the key that was missing); for an explicit
 * deny, the tests that made the Deny apply.
 */
function conditionExplanation(decision: Decision, context: RequestContext): string[] {
  const lines: string[] = [];
  const wanted = decision.decision === 'IMPLICIT_DENY' ? false : decision.decision === 'EXPLICIT_DENY' ? true : null;
  if (wanted === null) return lines;
  for (const { source, statement } of decision.decidingStatements) {
    const name = `${statement.sid ?? `statement #${statement.index}`} in ${source.policyName ?? source.policyArn ?? source.kind}`;
    for (const t of conditionTests(statement, context)) {
      if (t.matched !== wanted) continue;
      const has = t.requestValues === null ? `the request has no ${t.key}` : `the request has ${t.key} = ${quoted(t.requestValues)}`;
      const asked = t.policyValues.some((v, i) => v !== t.resolvedValues[i])
        ? `${quoted(t.policyValues)}, that is ${quoted(t.resolvedValues)}`
        : quoted(t.policyValues);
      lines.push(`${name}: ${t.operator} ${t.key} ${asked} ${wanted ? 'holds' : 'fails'}: ${has}.`);
    }
  }
  return lines;
}

/** The bucket of an S3 object ARN: the object is in the bucket's account. Null for anything else. */
function bucketOf(arn: string): string | null {
  return /^(arn:[\w-]+:s3:::[^/]+)\/./.exec(arn)?.[1] ?? null;
}

/**
 * tagsAt, with the account of an S3 object govgraph has no account for taken from its bucket's
 * inventory row (read in the same statement): an S3 ARN names no account.
 */
async function resourcesAt(pool: Queryable, requests: TagsAtRequest[]): Promise<TagsAt[]> {
  const buckets = requests.map((r) => bucketOf(r.arn));
  const extra = requests.flatMap((r, i) => (buckets[i] ? [{ arn: buckets[i]!, at: r.at }] : []));
  const found = await tagsAt(pool, [...requests, ...extra]);
  let next = requests.length;
  return requests.map((_, i) => {
    const own = found[i];
    if (!buckets[i]) return own;
    const bucket = found[next++];
    return own.accountId === null && bucket.accountId !== null ? { ...own, accountId: bucket.accountId } : own;
  });
}

/** A simulation's arguments, checked, before anything is read. */
interface CheckedSimulation {
  input: SimulateInput;
  key: PrincipalKey;
  q: CheckedQuery;
  extra: ExtraPolicies;
}

async function checkSimulation(input: SimulateInput): Promise<CheckedSimulation> {
  const key = checkPrincipalArn(input.principalArn);
  const q = await checkQuery(input, key.iamArn ?? key.given);
  const extra = extraPolicies(input); // a malformed policy is refused before anything is read
  return { input, key, q, extra };
}

const tagRequest = ({ q, input }: CheckedSimulation) => ({ arn: q.resourceArn, at: q.at, excludeEventId: input.beforeEventId });

/** The simulation from what was read: the principal and its grants then (null: none), the resource's tags then. */
async function simulateWith(pool: Queryable, c: CheckedSimulation, access: Awaited<ReturnType<typeof principalAccessAt>>, tags: TagsAt | null): Promise<Simulation> {
  if (!access.principal) throw await notFoundAt(pool, c.key, c.q.at);
  const resource = tags ? { arn: c.q.resourceArn, ...tags } : null;
  return evaluate(access.principal, c.q, resource, splitGrants(new StatementNormalizer(), access.grants), c.extra, c.input.requestTags);
}

/** "Can this principal do this action on this resource (at t)?", with the statements that decided it. */
export async function simulateAccess(pool: Queryable, input: SimulateInput): Promise<Simulation> {
  const c = await checkSimulation(input);
  // one round trip: the principal and its grants then (with their documents' Version), the resource's tags then
  const [access, [tags]] = await Promise.all([
    principalAccessAt(pool, c.key, c.q.at),
    c.q.resourceArn === '*' ? [null] : resourcesAt(pool, [tagRequest(c)]),
  ]);
  return simulateWith(pool, c, access, tags);
}

/**
 * Many simulations at once (Violation.decision over a page of violations), each as simulateAccess
 * makes it: the resources' tags in one statement, and one round trip per principal, run together.
 * Each answer is its Simulation; null when govgraph has no IAM data for that principal then; the
 * error for a request that cannot be evaluated (a malformed ARN, an action the catalog does not know).
 */
export async function simulateMany(pool: Queryable, inputs: SimulateInput[]): Promise<(Simulation | null | Error)[]> {
  const asAnswer = (err: unknown) => (err instanceof NotFoundError ? null : err instanceof Error ? err : new Error(String(err)));
  const checked = await Promise.all(inputs.map((input) => checkSimulation(input).catch(asAnswer)));
  const ok = checked.filter((c): c is CheckedSimulation => c !== null && !(c instanceof Error));
  const tagged = ok.filter((c) => c.q.resourceArn !== '*');
  const [tags, accesses] = await Promise.all([
    resourcesAt(pool, tagged.map(tagRequest)),
    Promise.all(ok.map((c) => principalAccessAt(pool, c.key, c.q.at).catch(asAnswer))),
  ]);
  const tagsOf = new Map(tagged.map((c, i) => [c, tags[i]]));
  const accessOf = new Map(ok.map((c, i) => [c, accesses[i]]));
  return Promise.all(
    checked.map(async (c) => {
      if (c === null || c instanceof Error) return c;
      const access = accessOf.get(c)!;
      if (access === null || access instanceof Error) return access;
      return simulateWith(pool, c, access, tagsOf.get(c) ?? null).catch(asAnswer);
    }),
  );
}

/** Whether an identity statement can allow the action at all (its effect and Action or NotAction), before conditions. */
const mayAllow = (grant: PolicyGrantRow, action: string) => grant.effect === 'Allow' && coversAction(grant.statement, action);

/**
 * The principals allowed the action (on the resource, with the context) at a moment, each with the
 * decision. Grants naming the action's service are read once; every statement is normalised once
 * and shared by the principals it reaches, so each principal costs one evaluation.
 */
export async function whoCan(pool: Queryable, input: WhoCanInput): Promise<Grantee[]> {
  const q = await checkQuery(input);
  const given = input.accountId?.trim() || null;
  if (given !== null && !/^\d{12}$/.test(given)) throw new InvalidInputError(`accountId "${truncate(given)}" is not a 12-digit AWS account id`, 'accountId');
  const service = q.action.slice(0, q.action.indexOf(':'));
  const [serviceGrants, [tags]] = await Promise.all([
    serviceGrantsAt(pool, service, q.at, [...IDENTITY_KINDS]),
    q.resourceArn === '*' ? [null] : resourcesAt(pool, [{ arn: q.resourceArn, at: q.at }]),
  ]);
  // The engine's own reading of the resource's account (ARN, the caller's aws:ResourceAccount, the inventory).
  const resourceAccount = resourceAccountOf({ principalArn: '*', action: q.action, resourceArn: q.resourceArn, context: q.extra, ...(tags?.accountId ? { inventoryAccountId: tags.accountId } : {}) });
  // A resource in an account is reachable from other accounts only through a resource-based policy,
  // which whoCan takes none of: only that account's principals can be allowed.
  const ownAccount = resourceAccount.accountId !== null && /^\d{12}$/.test(resourceAccount.accountId) ? resourceAccount.accountId : null;
  if (given && ownAccount && given !== ownAccount) return [];
  const accountId = given ?? ownAccount;
  const byPrincipal = groupBy(accountId ? serviceGrants.filter((g) => g.accountId === accountId) : serviceGrants, (g) => g.principalArn);
  const arns = [...byPrincipal].filter(([, grants]) => grants.some((g) => mayAllow(g, q.action))).map(([arn]) => arn).sort();
  if (arns.length === 0) return [];
  const [boundaryGrants, principals] = await Promise.all([
    grantsForPrincipals(pool, arns, q.at, { kinds: ['PERMISSIONS_BOUNDARY'] }),
    iamPrincipalsAt(pool, q.at, { ...(accountId ? { accountId } : {}), arns }),
  ]);
  const boundariesOf = groupBy(boundaryGrants, (g) => g.principalArn);
  const normalizer = new StatementNormalizer();
  const resource = tags ? { arn: q.resourceArn, ...tags } : null;
  const out: Grantee[] = [];
  for (const p of principals) {
    const principal = withSession(p, null);
    const policies = splitGrants(normalizer, [...(byPrincipal.get(p.arn) ?? []), ...(boundariesOf.get(p.arn) ?? [])]);
    // an allowed decision has no failed condition to explain
    const simulation = evaluate(principal, q, resource, policies, {}, null, false);
    if (simulation.decision.decision === 'ALLOWED') out.push({ principal, simulation });
  }
  return out;
}

function list(v: unknown): string[] | null {
  return typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
}

/** Does the statement's Action/NotAction cover the action? */
function coversAction(statement: Record<string, unknown>, action: string): boolean {
  const actions = list(statement.Action);
  if (actions) return actions.some((p) => matchesAction(p, action));
  const notActions = list(statement.NotAction);
  return notActions ? !notActions.some((p) => matchesAction(p, action)) : false;
}

/** Does the statement's Resource/NotResource cover the ARN (variables from the principal's context)? */
function coversResource(statement: Record<string, unknown>, arn: string, context: RequestContext, substitute: boolean): boolean {
  const any = (patterns: string[]) => patterns.some((p) => matchResourcePattern(p, arn, context, substitute).matched);
  const resources = list(statement.Resource);
  if (resources) return any(resources);
  const notResources = list(statement.NotResource);
  if (notResources) return !any(notResources);
  return true; // trust policies: the role itself is the resource
}

const hasVariable = (statement: Record<string, unknown>) => [...(list(statement.Resource) ?? []), ...(list(statement.NotResource) ?? [])].some((p) => p.includes('${'));

/** The checked filter of a grant listing; `null` when it can match nothing (an unknown session's role). */
async function grantFilter(pool: Queryable, input: GrantListInput): Promise<{ filter: GrantListFilter; at: Date; action: string | null; resourceArn: string | null } | null> {
  const at = checkAt(input.at);
  const action = input.action === null || input.action === undefined ? null : checkAction(input.action);
  const resourceArn = input.resourceArn === null || input.resourceArn === undefined ? null : checkResourceArn(input.resourceArn);
  if (action) await validate({ principalArn: '*', action, resourceArn: resourceArn ?? '*', context: {} }, []);
  const filter: GrantListFilter = {};
  if (input.principalArn !== null && input.principalArn !== undefined) {
    const key = checkPrincipalArn(input.principalArn);
    try {
      filter.principalArns = [await iamArnOf(pool, key)];
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }
  if (action) filter.service = action.slice(0, action.indexOf(':'));
  if (input.kinds?.length) filter.kinds = input.kinds;
  if (input.effect) filter.effect = input.effect;
  return { filter, at, action, resourceArn };
}

/** Keeps the grants whose statement covers the action and the resource. */
async function matching(pool: Queryable, rows: KeyedGrant[], at: Date, action: string | null, resourceArn: string | null): Promise<KeyedGrant[]> {
  let kept = action ? rows.filter((g) => coversAction(g.statement, action)) : rows;
  if (!resourceArn) return kept;
  const needContext = kept.filter((g) => hasVariable(g.statement));
  const contexts = new Map<string, RequestContext>();
  if (needContext.length > 0) {
    const arns = [...new Set(needContext.map((g) => g.principalArn))];
    const [principals, [tags]] = await Promise.all([
      iamPrincipalsAt(pool, at, { arns }),
      resourceArn === '*' ? [null] : tagsAt(pool, [{ arn: resourceArn, at }]),
    ]);
    for (const p of principals) {
      const facts = factsFor(withSession(p, null), { action: action ?? '*:*', resourceArn, at, extra: {}, callerKeys: [] }, tags ? { arn: resourceArn, ...tags } : null);
      contexts.set(p.arn, buildAuthorizationRequest(facts).context);
    }
  }
  kept = kept.filter((g) => coversResource(g.statement, resourceArn, contexts.get(g.principalArn) ?? {}, versionOf(g) === '2012-10-17'));
  return kept;
}

export interface GrantListing {
  page: Page<KeyedGrant>;
  /** how many grants match in all (counted only when called) */
  count: () => Promise<number>;
}

/**
 * Grants valid at a moment (default now), optionally one principal's (a session ARN: its role's),
 * those whose Action/NotAction covers the action and whose Resource/NotResource covers the
 * resource (policy variables from the principal's own context), of some kinds or one effect;
 * in pages that never skip or repeat a grant.
 */
export async function listPolicyGrants(pool: Queryable, input: GrantListInput, req: GrantPageRequest): Promise<GrantListing> {
  const checked = await grantFilter(pool, input);
  if (!checked) return { page: toGrantPage([], req), count: async () => 0 };
  const { filter, at, action, resourceArn } = checked;
  const filtered = action !== null || resourceArn !== null;
  if (!filtered) {
    const rows = await grantsAfter(pool, filter, at, req.after, req.first + 1);
    return { page: toGrantPage(rows, req), count: () => countGrants(pool, filter, at) };
  }
  // Statements are matched here (the engine's matchers), so read on in batches until a page is full.
  const batch = Math.min(Math.max(4 * (req.first + 1), 200), 2000);
  const found: KeyedGrant[] = [];
  let after = req.after;
  for (;;) {
    const rows = await grantsAfter(pool, filter, at, after, batch);
    found.push(...(await matching(pool, rows, at, action, resourceArn)));
    if (found.length > req.first || rows.length < batch) break;
    after = rows[rows.length - 1].key;
  }
  const count = async () => {
    let n = 0;
    let from: KeyedGrant['key'] | null = null;
    for (;;) {
      const rows = await grantsAfter(pool, filter, at, from, 5000);
      n += (await matching(pool, rows, at, action, resourceArn)).length;
      if (rows.length < 5000) return n;
      from = rows[rows.length - 1].key;
    }
  };
  return { page: toGrantPage(found.slice(0, req.first + 1), req), count };
}
