/**
 * Policy evaluation within one account, as the IAM User Guide's "Policy evaluation logic" and
 * "Determining whether a request is allowed or denied within an account" describe it:
 *
 * 1. An explicit Deny in any applicable policy (SCP, resource-based, identity-based, permissions
 *    boundary, session) denies.
 * 2. SCPs: every level of the organisation (root, OUs, account) must have an Allow.
 * 3. Resource-based policy: an Allow naming the caller itself (an IAM user, a role session, a
 *    federated user session, or `*`) allows on its own; one naming the role a session belongs to
 *    (or the IAM user a federated session came from) is still limited by the permissions boundary
 *    and session policies; one naming the account only delegates to identity-based policies. Role
 *    trust policies are the exception that must allow in every case.
 * 4. Identity-based policies must allow (the account root user needs none).
 * 5. The permissions boundary, if set, must allow. 6. Session policies, if passed, must allow.
 *
 * Across accounts ("Cross-account policy evaluation logic"), AWS evaluates the principal's account
 * (identity-based policies and what limits them: SCPs, boundary, session policies) and the
 * resource's account (its resource-based policy) apart, and allows only when both allow; a
 * resource-based policy then grants nothing on its own. The resource's account comes from its ARN,
 * else the caller's aws:ResourceAccount, else govgraph's inventory; an ARN that names no account
 * (S3) whose account nobody knows is judged within the principal's account, as IAM's policy
 * simulator does, and the Decision says so.
 *
 * Statements compile once (cached per statement object), so `whoCan` can evaluate the same grants
 * for thousands of principals.
 */
import { parseArn } from '../aws/arn';
import { compileConditionBlock, evaluateCompiledCondition, type CompiledConditionBlock } from './conditions';
import { matchesAction, matchResourcePattern } from './match';
import {
  PolicyEvaluationError,
  type AuthorizationRequest,
  type Decision,
  type EvaluationInput,
  type PolicyKind,
  type PolicyPrincipal,
  type PolicyStatement,
  type ResourceAccountSource,
  type SourcedPolicy,
  type SourcedStatement,
} from './types';
import { contextValues, hasVariables } from './variables';

/** How a resource-based policy's Principal names the caller. */
export type PrincipalMatch =
  | 'SELF' // the caller itself: IAM user, role session, federated user session, or "*"
  | 'ISSUER' // the role a session belongs to, or the IAM user a federated session came from
  | 'ACCOUNT'; // the caller's account: delegates to identity-based policies

export interface StatementsEvaluation {
  /** Allow statements that apply: action, resource, principal and conditions all match */
  allows: SourcedStatement[];
  /** Deny statements that apply */
  denies: SourcedStatement[];
  /** Allow statements whose action, resource and principal match but whose conditions do not */
  nearMisses: SourcedStatement[];
  /** condition keys (and variables' keys) the evaluated statements needed and the request lacked */
  missingKeys: string[];
}

type Category = Decision['deniedBy'] & string;

interface CompiledStatement {
  statement: PolicyStatement;
  label: string;
  substitute: boolean;
  condition: CompiledConditionBlock | null;
  actionMemo: Map<string, boolean>;
  resourceMemo: Map<string, boolean> | null;
}

interface Caller {
  self: string[];
  issuers: string[];
  accountId: string | null;
  partition: string;
  isRoot: boolean;
}

interface GroupResult extends StatementsEvaluation {
  allowMatches: Array<{ sourced: SourcedStatement; principal: PrincipalMatch | null }>;
}

/** The resource's account as the engine takes it, and how a request on it is judged. */
export interface ResourceAccount {
  /** null when unknown, or for `*` */
  accountId: string | null;
  /** null for `*` (no resource) */
  source: ResourceAccountSource | null;
}

const ACCOUNT_ID = /^\d{12}$/;

const compiledStatements = new WeakMap<PolicyStatement, CompiledStatement>();
const MEMO_LIMIT = 64;

/** Evaluates statements against one request: which allow, which deny, which nearly allowed. */
export function evaluateStatements(statements: SourcedStatement[], request: AuthorizationRequest): StatementsEvaluation {
  const { allows, denies, nearMisses, missingKeys } = evaluateGroup(statements, request, describeCaller(request));
  return { allows, denies, nearMisses, missingKeys };
}

export function evaluateRequest(input: EvaluationInput): Decision {
  const { request } = input;
  if (typeof request.action !== 'string' || !/^[^:\s]+:[^:\s]+$/.test(request.action)) {
    throw new PolicyEvaluationError(`action must be written service:Action, not ${JSON.stringify(request.action)}`);
  }
  if (typeof request.resourceArn !== 'string' || request.resourceArn === '') {
    throw new PolicyEvaluationError('resourceArn must be an ARN, or * for actions that take no resource');
  }
  const caller = describeCaller(request);
  const account = resourceAccountOf(request);
  const what = `${request.action} on ${request.resourceArn}`;
  const identity = evaluateGroup(statementsOf(input.identityPolicies), request, caller);
  const boundary = input.permissionsBoundaries && !caller.isRoot ? evaluateGroup(statementsOf(input.permissionsBoundaries), request, caller) : undefined;
  const scpLevels = input.serviceControlPolicies?.map((level) => evaluateGroup(statementsOf(level), request, caller));
  const resource = input.resourcePolicies ? evaluateGroup(statementsOf(input.resourcePolicies), request, caller) : undefined;
  const session = input.sessionPolicies && !caller.isRoot ? evaluateGroup(statementsOf(input.sessionPolicies), request, caller) : undefined;
  const trustRequired = input.resourcePolicies?.some((p) => p.source.kind === 'TRUST_POLICY') ?? false;
  const resourceCategory: Category = trustRequired ? 'TRUST_POLICY' : 'RESOURCE_POLICY';

  const missingContextKeys = [
    ...new Set([identity, boundary, ...(scpLevels ?? []), resource, session].flatMap((g) => g?.missingKeys ?? [])),
  ];
  const explanation: string[] = [];
  const decide = (decision: Decision['decision'], decidingStatements: SourcedStatement[], deniedBy: Decision['deniedBy'] = null): Decision => ({
    decision,
    decidingStatements,
    deniedBy,
    missingContextKeys,
    explanation,
    resourceAccount: account.accountId,
    resourceAccountSource: account.source,
  });
  const crossing = crossesAccounts(account, caller);
  const accountLine = describeAccounts(request, account, caller, crossing);
  if (accountLine) explanation.push(accountLine);
  const missingNote = () => (missingContextKeys.length > 0 ? ` (missing from the request: ${missingContextKeys.join(', ')})` : '');

  // 1. Explicit deny anywhere.
  const denyGroups: Array<[Category, GroupResult | undefined]> = [
    ...(scpLevels ?? []).map((level): [Category, GroupResult] => ['SCP', level]),
    [resourceCategory, resource],
    ['IDENTITY', identity],
    ['PERMISSIONS_BOUNDARY', boundary],
    ['SESSION_POLICY', session],
  ];
  const denies = denyGroups.flatMap(([category, group]) => (group?.denies ?? []).map((s) => ({ category, s })));
  if (denies.length > 0) {
    for (const { category, s } of denies) explanation.push(`Explicit deny of ${what} by ${describe(s)} (${categoryName(category)}).`);
    return decide('EXPLICIT_DENY', denies.map((d) => d.s), denies[0].category);
  }

  // 2. Every SCP level must allow.
  const scpAllows: SourcedStatement[] = [];
  if (scpLevels) {
    if (scpLevels.length === 0) {
      explanation.push(`Service control policies apply but none was given, so nothing is allowed.`);
      return decide('IMPLICIT_DENY', [], 'SCP');
    }
    for (const [i, level] of scpLevels.entries()) {
      if (level.allows.length === 0) {
        explanation.push(`No service control policy at level ${i + 1} of ${scpLevels.length} allows ${what}${missingNote()}.`);
        return decide('IMPLICIT_DENY', level.nearMisses, 'SCP');
      }
      scpAllows.push(...level.allows);
    }
    explanation.push(`Service control policies allow it at every level (${scpLevels.length}).`);
  }

  if (crossing) {
    // The principal's account first, then the resource's: both must allow.
    if (caller.isRoot) {
      explanation.push('The account root user needs no identity-based policy in its own account.');
    } else if (identity.allows.length === 0) {
      explanation.push(`No identity-based policy allows ${what}${missingNote()}: across accounts a resource-based policy cannot stand in for one.`);
      return decide('IMPLICIT_DENY', identity.nearMisses, 'IDENTITY');
    } else {
      explanation.push(`Identity-based policies allow it: ${identity.allows.map(describe).join('; ')}.`);
    }
    const limit = limitingType(boundary, session, what, missingNote, explanation);
    if (limit) return decide('IMPLICIT_DENY', limit.nearMisses, limit.category);
    // crossing means both accounts are known (crossesAccounts)
    const ofAccount = ` of account ${account.accountId}`;
    const needs = 'a cross-account request needs one';
    if (!resource) {
      explanation.push(`No resource-based policy${ofAccount} allows it, and ${needs}: none was given.`);
      return decide('IMPLICIT_DENY', [], 'RESOURCE_POLICY');
    }
    if (resource.allows.length === 0) {
      explanation.push(`The ${categoryName(resourceCategory)}${ofAccount} does not allow ${what} for this principal${missingNote()}, and ${needs}.`);
      return decide('IMPLICIT_DENY', resource.nearMisses, resourceCategory);
    }
    explanation.push(`${capitalized(categoryName(resourceCategory))}${ofAccount} allows it too: ${resource.allows.map(describe).join('; ')}.`);
    return decide('ALLOWED', [...scpAllows, ...identity.allows, ...(boundary?.allows ?? []), ...(session?.allows ?? []), ...resource.allows]);
  }

  // 3. Resource-based policy.
  if (resource) {
    const self = resource.allowMatches.filter((m) => m.principal === 'SELF').map((m) => m.sourced);
    const issuer = resource.allowMatches.filter((m) => m.principal === 'ISSUER').map((m) => m.sourced);
    if (self.length > 0) {
      explanation.push(`${capitalized(categoryName(resourceCategory))} allows it, naming the caller itself: ${self.map(describe).join('; ')}.`);
      return decide('ALLOWED', [...scpAllows, ...self]);
    }
    if (issuer.length > 0) {
      explanation.push(`${capitalized(categoryName(resourceCategory))} allows it, naming the caller's role or user: ${issuer.map(describe).join('; ')}.`);
      const limit = limitingType(boundary, session, what, missingNote, explanation);
      if (limit) return decide('IMPLICIT_DENY', limit.nearMisses, limit.category);
      return decide('ALLOWED', [...scpAllows, ...issuer, ...(boundary?.allows ?? []), ...(session?.allows ?? [])]);
    }
    if (trustRequired && resource.allowMatches.length === 0) {
      explanation.push(`The role's trust policy does not allow ${what} for this principal${missingNote()}.`);
      return decide('IMPLICIT_DENY', resource.nearMisses, 'TRUST_POLICY');
    }
  }
  const accountGrants = (resource?.allowMatches ?? []).filter((m) => m.principal === 'ACCOUNT').map((m) => m.sourced);

  // 4. Identity-based policies.
  if (caller.isRoot) {
    explanation.push('The account root user needs no identity-based policy.');
  } else if (identity.allows.length === 0) {
    explanation.push(`No identity-based policy allows ${what}${missingNote()}.`);
    return decide('IMPLICIT_DENY', [...identity.nearMisses, ...(resource?.nearMisses ?? [])], 'IDENTITY');
  } else {
    explanation.push(`Identity-based policies allow it: ${identity.allows.map(describe).join('; ')}.`);
  }

  // 5. and 6. Permissions boundary and session policies.
  const limit = limitingType(boundary, session, what, missingNote, explanation);
  if (limit) return decide('IMPLICIT_DENY', limit.nearMisses, limit.category);
  return decide('ALLOWED', [...scpAllows, ...accountGrants, ...identity.allows, ...(boundary?.allows ?? []), ...(session?.allows ?? [])]);
}

/**
 * The resource's account: the one its ARN names; for an ARN that names none, the caller's
 * aws:ResourceAccount, else govgraph's inventory, else unknown. A PolicyEvaluationError when the
 * caller's aws:ResourceAccount is no account id, or contradicts the ARN's.
 */
export function resourceAccountOf(request: AuthorizationRequest): ResourceAccount {
  if (request.resourceArn === '*') return { accountId: null, source: null };
  const arn = parseArn(request.resourceArn);
  const named = arn?.accountId ?? '';
  const given = contextValues(request.context, 'aws:ResourceAccount');
  if (given && (given.length > 1 || !ACCOUNT_ID.test(given[0]))) {
    throw new PolicyEvaluationError(`aws:ResourceAccount must be one 12-digit account id, not ${JSON.stringify(given.length > 1 ? given : given[0])}`);
  }
  if (named) {
    if (given && given[0] !== named) {
      throw new PolicyEvaluationError(`aws:ResourceAccount ${given[0]} contradicts the account ${named} that ${request.resourceArn} names`);
    }
    return { accountId: named, source: 'ARN' };
  }
  const known = given?.[0] ?? request.inventoryAccountId;
  if (known) return { accountId: known, source: known === request.inventoryAccountId ? 'INVENTORY' : 'CONTEXT' };
  return { accountId: null, source: 'UNKNOWN' };
}

/**
 * Whether the request crosses accounts: both accounts known and different (account ids only: `aws`
 * in an AWS managed policy's ARN is none). Unknown (null) is judged within the principal's account,
 * as IAM's policy simulator does when no resource owner is given: for an access review that
 * over-reports (an identity policy alone is taken to allow) rather than hides access another
 * account's bucket policy would have to grant; the Decision says so, and aws:ResourceAccount makes it exact.
 */
function crossesAccounts(account: ResourceAccount, caller: Caller): boolean {
  return account.accountId !== null && ACCOUNT_ID.test(account.accountId) && caller.accountId !== null && account.accountId !== caller.accountId;
}

const SOURCE_NAMES: Record<ResourceAccountSource, string> = {
  ARN: 'as its ARN names it',
  CONTEXT: 'as the aws:ResourceAccount given says',
  INVENTORY: "as govgraph's inventory records it",
  UNKNOWN: 'unknown', // never said: an unknown account is described apart
};

/** The line saying which account the resource is in and how the request is judged; null within one known account. */
function describeAccounts(request: AuthorizationRequest, account: ResourceAccount, caller: Caller, crossing: boolean): string | null {
  if (account.source === 'UNKNOWN') {
    return `${request.resourceArn} names no account and govgraph knows none for it: judged as in the principal's account, as IAM's policy simulator does, which may allow what AWS denies if it is another account's (give aws:ResourceAccount to judge it exactly).`;
  }
  if (!crossing) return null;
  return `${request.resourceArn} is in account ${account.accountId} (${SOURCE_NAMES[account.source!]}), the principal is in ${caller.accountId}: a cross-account request, allowed only when the principal's account (identity-based policies and what limits them) and the resource's account (a resource-based policy) both allow it.`;
}

/** The boundary or session policies, when present and without an Allow; null when neither limits. */
function limitingType(
  boundary: GroupResult | undefined,
  session: GroupResult | undefined,
  what: string,
  missingNote: () => string,
  explanation: string[],
): { category: Category; nearMisses: SourcedStatement[] } | null {
  if (boundary) {
    if (boundary.allows.length === 0) {
      explanation.push(`The permissions boundary does not allow ${what}${missingNote()}.`);
      return { category: 'PERMISSIONS_BOUNDARY', nearMisses: boundary.nearMisses };
    }
    explanation.push(`The permissions boundary allows it.`);
  }
  if (session) {
    if (session.allows.length === 0) {
      explanation.push(`No session policy allows ${what}${missingNote()}.`);
      return { category: 'SESSION_POLICY', nearMisses: session.nearMisses };
    }
    explanation.push(`Session policies allow it.`);
  }
  return null;
}

function statementsOf(policies: SourcedPolicy[]): SourcedStatement[] {
  return policies.flatMap((policy) => policy.document.statements.map((statement) => ({ source: policy.source, statement })));
}

function evaluateGroup(statements: SourcedStatement[], request: AuthorizationRequest, caller: Caller): GroupResult {
  const result: GroupResult = { allows: [], denies: [], nearMisses: [], missingKeys: [], allowMatches: [] };
  const missing = new Set<string>();
  const action = request.action.toLowerCase();
  for (const sourced of statements) {
    const compiled = compileStatement(sourced.statement);
    if (!actionApplies(compiled, action)) continue;
    if (!resourceApplies(compiled, request, missing)) continue;
    const { statement } = compiled;
    let principal: PrincipalMatch | null = null;
    if (statement.principal !== undefined) {
      principal = matchPrincipal(statement.principal, caller);
      if (principal === null) continue;
    } else if (statement.notPrincipal !== undefined) {
      if (matchPrincipal(statement.notPrincipal, caller) !== null) continue;
      principal = 'SELF';
    }
    let conditionMatched = true;
    if (compiled.condition) {
      const outcome = evaluateCompiledCondition(compiled.condition, request.context);
      for (const key of outcome.missingKeys) missing.add(key);
      conditionMatched = outcome.matched;
    }
    if (statement.effect === 'Deny') {
      if (conditionMatched) result.denies.push(sourced);
    } else if (conditionMatched) {
      result.allows.push(sourced);
      result.allowMatches.push({ sourced, principal });
    } else {
      result.nearMisses.push(sourced);
    }
  }
  result.missingKeys = [...missing];
  return result;
}

function compileStatement(statement: PolicyStatement): CompiledStatement {
  let compiled = compiledStatements.get(statement);
  if (compiled) return compiled;
  const label = statement.sid ? `statement ${statement.sid}` : `statement at index ${statement.index}`;
  const substitute = statement.version === undefined || statement.version === '2012-10-17';
  const patterns = statement.resource ?? statement.notResource ?? [];
  compiled = {
    statement,
    label,
    substitute,
    condition: statement.condition ? compileConditionBlock(statement.condition, { where: label, substituteVariables: substitute }) : null,
    actionMemo: new Map(),
    resourceMemo: substitute && patterns.some(hasVariables) ? null : new Map(),
  };
  compiledStatements.set(statement, compiled);
  return compiled;
}

function actionApplies(compiled: CompiledStatement, action: string): boolean {
  let applies = compiled.actionMemo.get(action);
  if (applies === undefined) {
    const { statement } = compiled;
    applies = statement.action
      ? statement.action.some((p) => matchesAction(p, action))
      : !statement.notAction!.some((p) => matchesAction(p, action)); // NotAction: every action but these
    memo(compiled.actionMemo, action, applies);
  }
  return applies;
}

function resourceApplies(compiled: CompiledStatement, request: AuthorizationRequest, missing: Set<string>): boolean {
  const { statement } = compiled;
  const arn = request.resourceArn;
  const cached = compiled.resourceMemo?.get(arn);
  if (cached !== undefined) return cached;
  let applies: boolean;
  const anyMatch = (patterns: string[]) =>
    patterns.some((p) => {
      const match = matchResourcePattern(p, arn, request.context, compiled.substitute);
      for (const key of match.unresolvedKeys) missing.add(key);
      return match.matched;
    });
  if (statement.resource) applies = anyMatch(statement.resource);
  // NotResource: every resource but these; an entry whose variable has no value excludes nothing.
  else if (statement.notResource) applies = !anyMatch(statement.notResource);
  else applies = true; // trust policies name no Resource: the role itself is the resource
  if (compiled.resourceMemo) memo(compiled.resourceMemo, arn, applies);
  return applies;
}

function memo<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MEMO_LIMIT) map.clear();
  map.set(key, value);
}

/**
 * The identities a caller can be named by. govgraph keys a session on its role, so a role ARN
 * means "a session of this role"; `sessionArn` (or an sts ARN as principalArn) names the session.
 */
function describeCaller(request: AuthorizationRequest): Caller {
  const principalArn = request.principalArn;
  const arn = parseArn(principalArn);
  const partition = arn?.partition ?? 'aws';
  const service = arn?.service ?? '';
  const resource = arn?.resource ?? '';
  const accountId = arn?.accountId || contextValues(request.context, 'aws:PrincipalAccount')?.[0] || null;
  const self: string[] = [];
  const issuers: string[] = [];
  if (request.sessionArn && request.sessionArn !== principalArn) {
    self.push(request.sessionArn);
    issuers.push(principalArn);
  } else if (service === 'sts' && resource.startsWith('assumed-role/')) {
    self.push(principalArn);
    // A session ARN drops the role's path; aws:PrincipalArn, when given, carries the exact role ARN.
    const roleName = resource.split('/')[1];
    if (roleName && accountId) issuers.push(`arn:${partition}:iam::${accountId}:role/${roleName}`);
  } else if (service === 'iam' && resource.startsWith('role/')) {
    issuers.push(principalArn);
  } else {
    self.push(principalArn);
  }
  const principalArnKey = contextValues(request.context, 'aws:PrincipalArn')?.[0];
  if (principalArnKey && !self.includes(principalArnKey) && !issuers.includes(principalArnKey)) issuers.push(principalArnKey);
  return { self, issuers, accountId, partition, isRoot: service === 'iam' && resource === 'root' };
}

function matchPrincipal(principal: PolicyPrincipal, caller: Caller): PrincipalMatch | null {
  if (principal === '*') return 'SELF';
  let best: PrincipalMatch | null = null;
  for (const ids of Object.values(principal)) {
    for (const id of ids) {
      if (id === '*' || caller.self.includes(id)) return 'SELF';
      if (caller.issuers.includes(id)) best = 'ISSUER';
      else if (best === null && caller.accountId && (id === caller.accountId || id === `arn:${caller.partition}:iam::${caller.accountId}:root`)) {
        best = 'ACCOUNT';
      }
    }
  }
  return best;
}

function describe(sourced: SourcedStatement): string {
  const { source, statement } = sourced;
  const name = source.policyName ?? source.policyArn ?? source.kind.toLowerCase().replace(/_/g, ' ');
  const id = statement.sid ?? `#${statement.index}`;
  return `${id} in ${name}`;
}

const CATEGORY_NAMES: Record<Category, string> = {
  IDENTITY: 'identity-based policy',
  PERMISSIONS_BOUNDARY: 'permissions boundary',
  SCP: 'service control policy',
  RESOURCE_POLICY: 'resource-based policy',
  TRUST_POLICY: 'role trust policy',
  SESSION_POLICY: 'session policy',
  INLINE: 'identity-based policy',
  MANAGED: 'identity-based policy',
  GROUP_INLINE: 'identity-based policy',
  GROUP_MANAGED: 'identity-based policy',
} satisfies Record<PolicyKind | 'IDENTITY', string>;

function categoryName(category: Category): string {
  return CATEGORY_NAMES[category];
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
