/**
 * Pure helpers of the IAM rules (catalog/iam-*.ts): what an IAM change event puts in or takes out
 * of force, which condition keys are guard rails, and whether a policy's guard rails got weaker
 * from one document to the next. Documents are read by the policy engine (src/domain/iam); nothing
 * here knows Postgres.
 */
import { matchesAction, matchResourcePattern, parseConditionOperator, parsePolicyDocument, type PolicyStatement } from '../iam';
import type { RuleEvent } from './types';

export const IAM_SOURCE = 'iam.amazonaws.com';

/**
 * An IAM snapshot (GetAccountAuthorizationDetails listing) is no CloudTrail event; the IAM rules
 * judge it as one of this source and name, keyed `iam-snapshot:<account>:<takenAt ISO>`.
 */
export const IAM_SNAPSHOT_SOURCE = 'govgraph';
export const IAM_SNAPSHOT_EVENT = 'IamSnapshot';
export const iamSnapshotEventId = (accountId: string, takenAt: Date): string => `iam-snapshot:${accountId}:${takenAt.toISOString()}`;
export const isIamSnapshotEvent = (e: Pick<RuleEvent, 'eventSource' | 'eventName'>): boolean =>
  e.eventSource === IAM_SNAPSHOT_SOURCE && e.eventName === IAM_SNAPSHOT_EVENT;

/** The seed 03 request: a training job started without a VPC configuration. */
export const TRAINING_ACTION = 'sagemaker:CreateTrainingJob';
export const VPC_KEYS: readonly string[] = ['sagemaker:VpcSubnets', 'sagemaker:VpcSecurityGroupIds'];
/** Any training job of the account, in any region: the resource the simulation asks about. */
export const anyTrainingJobArn = (partition: string, accountId: string): string => `arn:${partition}:sagemaker:*:${accountId}:training-job/*`;

// ---------------------------------------------------------------------------------------------
// What an IAM change event changes

export type IamEntityType = 'user' | 'group' | 'role';

/** The one thing an IAM change event puts in force or takes out of force. */
export interface IamChangeTarget {
  /** stable within the event: the key of ctx.iam.targets */
  key: string;
  kind: 'INLINE_POLICY' | 'MANAGED_POLICY' | 'ATTACHMENT' | 'PERMISSIONS_BOUNDARY' | 'GROUP_MEMBERSHIP';
  /** the user, group or role whose policies change; null for a managed policy as such (every principal it reaches) */
  entity: { type: IamEntityType; name: string } | null;
  /** inline policy name */
  policyName: string | null;
  /** the managed policy (attached, detached, new version, deleted, or the new boundary) */
  policyArn: string | null;
  /** GROUP_MEMBERSHIP: the group the user joins or leaves */
  groupName: string | null;
  /** the version the event makes the default (CreatePolicyVersion, SetDefaultPolicyVersion) */
  versionId: string | null;
  /** the document the event itself puts in force (Put*Policy, CreatePolicyVersion), as CloudTrail logged it */
  eventDocument?: unknown;
  /** the event takes it out of force (Delete*, Detach*, DeletePolicy, Delete*PermissionsBoundary, RemoveUserFromGroup) */
  removes: boolean;
}

const ENTITY_PARAM: Record<IamEntityType, string> = { user: 'userName', group: 'groupName', role: 'roleName' };
const ENTITY_NOUN: Record<string, IamEntityType> = { User: 'user', Group: 'group', Role: 'role' };

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a successful IAM change event changes, from its requestParameters (and responseElements);
 * null for any other event, a failed call, a CreatePolicyVersion that does not become the default
 * (nothing in force changes), or a record that lacks the names it needs.
 */
export function iamChangeOf(event: RuleEvent): IamChangeTarget | null {
  if (event.eventSource !== IAM_SOURCE || event.errorCode) return null;
  const p = event.requestParameters;
  const name = event.eventName;
  const target = (t: Omit<IamChangeTarget, 'key' | 'policyName' | 'policyArn' | 'groupName' | 'versionId'> & Partial<IamChangeTarget>): IamChangeTarget => {
    const full: IamChangeTarget = { policyName: null, policyArn: null, groupName: null, versionId: null, ...t, key: '' };
    const entity = full.entity ? `${full.entity.type}/${full.entity.name}` : '';
    full.key = [full.kind, entity, full.policyName ?? full.policyArn ?? full.groupName ?? ''].join(':');
    return full;
  };
  const inline = /^(Put|Delete)(Role|User|Group)Policy$/.exec(name);
  if (inline) {
    const type = ENTITY_NOUN[inline[2]];
    const entityName = str(p[ENTITY_PARAM[type]]);
    const policyName = str(p.policyName);
    if (!entityName || !policyName) return null;
    const removes = inline[1] === 'Delete';
    return target({ kind: 'INLINE_POLICY', entity: { type, name: entityName }, policyName, removes, ...(removes ? {} : { eventDocument: p.policyDocument }) });
  }
  const attach = /^(Attach|Detach)(Role|User|Group)Policy$/.exec(name);
  if (attach) {
    const type = ENTITY_NOUN[attach[2]];
    const entityName = str(p[ENTITY_PARAM[type]]);
    const policyArn = str(p.policyArn);
    if (!entityName || !policyArn) return null;
    return target({ kind: 'ATTACHMENT', entity: { type, name: entityName }, policyArn, removes: attach[1] === 'Detach' });
  }
  const boundary = /^(Put|Delete)(Role|User)PermissionsBoundary$/.exec(name);
  if (boundary) {
    const type = ENTITY_NOUN[boundary[2]];
    const entityName = str(p[ENTITY_PARAM[type]]);
    if (!entityName) return null;
    const removes = boundary[1] === 'Delete';
    const policyArn = removes ? null : str(p.permissionsBoundary);
    if (!removes && !policyArn) return null;
    return target({ kind: 'PERMISSIONS_BOUNDARY', entity: { type, name: entityName }, policyArn, removes });
  }
  switch (name) {
    case 'CreatePolicyVersion': {
      const policyArn = str(p.policyArn);
      const created = isObject(event.responseElements.policyVersion) ? event.responseElements.policyVersion : {};
      const isDefault = p.setAsDefault === true || p.setAsDefault === 'true' || created.isDefaultVersion === true;
      if (!policyArn || !isDefault) return null;
      return target({ kind: 'MANAGED_POLICY', entity: null, policyArn, versionId: str(created.versionId), eventDocument: p.policyDocument, removes: false });
    }
    case 'SetDefaultPolicyVersion': {
      const policyArn = str(p.policyArn);
      if (!policyArn) return null;
      return target({ kind: 'MANAGED_POLICY', entity: null, policyArn, versionId: str(p.versionId), removes: false });
    }
    case 'DeletePolicy': {
      const policyArn = str(p.policyArn);
      return policyArn ? target({ kind: 'MANAGED_POLICY', entity: null, policyArn, removes: true }) : null;
    }
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup': {
      const user = str(p.userName);
      const group = str(p.groupName);
      if (!user || !group) return null;
      return target({ kind: 'GROUP_MEMBERSHIP', entity: { type: 'user', name: user }, groupName: group, removes: name === 'RemoveUserFromGroup' });
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Guard rails

export type GuardArea = 'VPC' | 'KMS' | 'NETWORK' | 'TEAM_TAGS';

const NETWORK_KEYS = new Set([
  'sagemaker:networkisolation',
  'sagemaker:directinternetaccess',
  'sagemaker:intercontainertrafficencryption',
  'sagemaker:appnetworkaccesstype',
]);

/**
 * The guard rail a condition key (with the values a policy tests it against) stands for: the VPC
 * keys, SageMaker's KMS key keys (`sagemaker:VolumeKmsKey`, `sagemaker:OutputKmsKey`, their `…Arn`
 * forms and the other `…KmsKey` keys), network isolation and internet access, and the team tag
 * (`aws:RequestTag/<team>`, `aws:PrincipalTag/<team>`, `aws:ResourceTag/<team>`,
 * `sagemaker:ResourceTag/<team>`, `aws:TagKeys` naming it, or a value `${…/<team>}`); null otherwise.
 * Keys are compared without regard to case, as AWS does.
 */
export function guardAreaOf(key: string, values: readonly string[], teamTagKey: string): GuardArea | null {
  const k = key.toLowerCase();
  const team = teamTagKey.toLowerCase();
  if (k === 'sagemaker:vpcsubnets' || k === 'sagemaker:vpcsecuritygroupids') return 'VPC';
  if (/^sagemaker:[a-z]*kmskey(arn)?$/.test(k)) return 'KMS';
  if (NETWORK_KEYS.has(k)) return 'NETWORK';
  if ([`aws:requesttag/${team}`, `aws:principaltag/${team}`, `aws:resourcetag/${team}`, `sagemaker:resourcetag/${team}`].includes(k)) return 'TEAM_TAGS';
  if (k === 'aws:tagkeys' && values.some((v) => v.toLowerCase() === team)) return 'TEAM_TAGS';
  if (values.some((v) => new RegExp(`\\$\\{[a-z0-9-]+:(principal|resource|request)tag/${escapeRegExp(team)}[},\\s]`, 'i').test(v))) return 'TEAM_TAGS';
  return null;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

interface ConditionTest {
  operator: string;
  key: string;
  values: string[];
}

function testsOf(s: PolicyStatement): ConditionTest[] {
  return Object.entries(s.condition ?? {}).flatMap(([operator, keys]) => Object.entries(keys).map(([key, values]) => ({ operator, key, values })));
}

const describeTest = (t: ConditionTest) => `${t.operator} ${t.key} ${JSON.stringify(t.values.length === 1 ? t.values[0] : t.values)}`;
const sameKey = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** One guard-rail statement of the earlier document that the later one removes or loosens. */
export interface GuardRailWeakening {
  statement: { sid: string | null; index: number; effect: 'Allow' | 'Deny' };
  guardedKeys: { key: string; area: GuardArea }[];
  change: 'REMOVED' | 'LOOSENED';
  /** what changed, one line each, for people */
  changes: string[];
  /** the statement as the earlier document wrote it */
  before: Record<string, unknown>;
  /** its counterpart in the later document, as written; null when there is none */
  after: { sid: string | null; index: number; statement: Record<string, unknown> } | null;
  /** the seed 03 preventive control: a VPC guard on a Deny that covers sagemaker:CreateTrainingJob */
  preventiveVpcControl: boolean;
}

export interface ComparisonOptions {
  teamTagKey: string;
  /**
   * The later side is "no permissions boundary at all" (DeletePermissionsBoundary): the boundary's
   * guarded Allows stop limiting too. Without it, an Allow that disappears only takes access away.
   */
  boundaryRemoved?: boolean;
}

interface Side {
  statements: PolicyStatement[];
  raw: Record<string, unknown>[];
}

/** A policy document as CloudTrail logs it (a JSON string), as IAM returns it (URL-encoded) or stored (an object). */
export function readPolicyDocument(input: unknown): Side {
  const doc = parsePolicyDocument(input);
  let raw: unknown = input;
  if (typeof input === 'string') {
    const text = input.trim();
    raw = JSON.parse(text.startsWith('{') ? text : decodeURIComponent(text));
  }
  const list = (raw as { Statement: unknown }).Statement;
  return { statements: doc.statements, raw: (Array.isArray(list) ? list : [list]) as Record<string, unknown>[] };
}

/** The guard-rail keys a statement tests, with their areas (each key once). */
export function guardedKeysOf(s: PolicyStatement, teamTagKey: string): { key: string; area: GuardArea }[] {
  const out: { key: string; area: GuardArea }[] = [];
  for (const t of testsOf(s)) {
    const area = guardAreaOf(t.key, t.values, teamTagKey);
    if (area && !out.some((o) => sameKey(o.key, t.key))) out.push({ key: t.key, area });
  }
  return out;
}

const canonical = (s: PolicyStatement) => JSON.stringify({ ...s, index: undefined, version: undefined });
const actionsOf = (s: PolicyStatement) => s.action ?? null;
const resourcesOf = (s: PolicyStatement) => s.resource ?? (s.notResource ? null : ['*']);
const shape = (s: PolicyStatement) =>
  JSON.stringify([s.effect, (s.action ?? []).map((a) => a.toLowerCase()).sort(), (s.notAction ?? []).map((a) => a.toLowerCase()).sort(), [...(s.resource ?? [])].sort(), [...(s.notResource ?? [])].sort()]);

/** Does some pattern of `patterns` cover the action pattern `p` (taken literally)? */
const actionCovered = (p: string, patterns: readonly string[]) => patterns.some((q) => matchesAction(q, p));
const resourceCovered = (p: string, patterns: readonly string[]) => patterns.some((q) => q === p || matchResourcePattern(q, p, {}, false).matched);
const actionsOverlap = (a: readonly string[], b: readonly string[]) => a.some((p) => b.some((q) => matchesAction(q, p) || matchesAction(p, q)));

/** Actions the earlier Deny covered that its counterpart no longer does, as lines. */
function actionsLost(s: PolicyStatement, c: PolicyStatement): string[] {
  if (s.action && c.action) {
    const lost = s.action.filter((p) => !actionCovered(p, c.action!));
    return lost.length ? [`no longer denies ${lost.join(', ')}`] : [];
  }
  if (s.action && c.notAction) {
    const lost = s.action.filter((p) => c.notAction!.some((q) => matchesAction(q, p) || matchesAction(p, q)));
    return lost.length ? [`NotAction now exempts ${lost.join(', ')}`] : [];
  }
  if (s.notAction && c.notAction) {
    const added = c.notAction.filter((q) => !actionCovered(q, s.notAction!));
    return added.length ? [`NotAction now also exempts ${added.join(', ')}`] : [];
  }
  if (s.notAction && c.action) return [`no longer denies every action but ${s.notAction.join(', ')}: only ${c.action.join(', ')}`];
  return [];
}

function resourcesLost(s: PolicyStatement, c: PolicyStatement): string[] {
  const before = resourcesOf(s);
  const after = resourcesOf(c);
  if (before && after) {
    const lost = before.filter((p) => !resourceCovered(p, after));
    return lost.length ? [`no longer covers resources ${lost.join(', ')}`] : [];
  }
  if (!before && !after) {
    const added = c.notResource!.filter((q) => !resourceCovered(q, s.notResource!));
    return added.length ? [`NotResource now also exempts ${added.join(', ')}`] : [];
  }
  if (before && !after) return [`NotResource now exempts ${c.notResource!.join(', ')}`];
  return [`now covers only ${after!.join(', ')} (was every resource but ${s.notResource!.join(', ')})`];
}

/**
 * Whether a guard test got weaker from `t` to `u` (the same key in the counterpart statement), and
 * how. Under a Deny, a positive operator's values are what it denies (fewer is weaker) and a
 * negated operator's are exemptions (more is weaker); under an Allow the other way round. Null and
 * Bool flip meaning with any change; another operator, or ordered comparisons with other values,
 * are reported as changes govgraph cannot prove to be no weaker.
 */
function testLoosening(effect: 'Allow' | 'Deny', t: ConditionTest, u: ConditionTest): string | null {
  const where = `statement`;
  const a = parseConditionOperator(t.operator, where);
  const b = parseConditionOperator(u.operator, where);
  if (a.base !== b.base || a.ifExists !== b.ifExists || a.setOperator !== b.setOperator) {
    return `the test on ${t.key} changed from ${describeTest(t)} to ${describeTest(u)}`;
  }
  const before = new Set(t.values);
  const after = new Set(u.values);
  const added = u.values.filter((v) => !before.has(v));
  const removed = t.values.filter((v) => !after.has(v));
  if (added.length === 0 && removed.length === 0) return null;
  if (a.family === 'Null' || a.family === 'Bool' || a.comparison === 'lt' || a.comparison === 'le' || a.comparison === 'gt' || a.comparison === 'ge') {
    return `the test on ${t.key} changed from ${describeTest(t)} to ${describeTest(u)}`;
  }
  // values that widen what the statement lets through
  const widening = (effect === 'Deny') === a.negated ? added : removed;
  if (widening.length === 0) return null;
  const verb = effect === 'Deny' ? (a.negated ? 'now also exempts' : 'no longer denies') : a.negated ? 'no longer excludes' : 'now also allows';
  return `${t.operator} ${t.key} ${verb} ${widening.map((v) => JSON.stringify(v)).join(', ')}`;
}

/** The later statement that stands for an earlier one: same Sid, else same shape, else (a Deny) one guarding the same key over the same actions. */
function counterpart(s: PolicyStatement, later: PolicyStatement[], guarded: { key: string }[]): PolicyStatement | null {
  const same = later.filter((c) => c.effect === s.effect);
  if (s.sid) {
    const bySid = same.find((c) => c.sid === s.sid);
    if (bySid) return bySid;
  }
  const byShape = same.find((c) => shape(c) === shape(s) && (!s.sid || !c.sid));
  if (byShape) return byShape;
  if (s.effect === 'Deny') {
    return same.find((c) => testsOf(c).some((t) => guarded.some((g) => sameKey(g.key, t.key))) && actionsLost(s, c).length === 0) ?? null;
  }
  return null;
}

const coversTraining = (s: PolicyStatement) =>
  s.action ? s.action.some((p) => matchesAction(p, TRAINING_ACTION)) : !(s.notAction ?? []).some((p) => matchesAction(p, TRAINING_ACTION));

/**
 * The guard-rail statements of `before` that `after` removes or loosens: a Deny testing a guard key
 * that is gone, covers fewer actions or resources, has a weaker test on the key, or gained a
 * condition (it then applies in fewer requests); an Allow whose test on a guard key is gone or
 * weaker, or whose actions a new Allow grants without that test. `after` null: the policy is no
 * longer in force (deleted, detached, the user left the group). A change that tightens, or that
 * touches only statements testing no guard key, gives nothing. Throws PolicyEvaluationError when a
 * document cannot be read.
 */
export function guardRailWeakenings(beforeDoc: unknown, afterDoc: unknown | null, opts: ComparisonOptions): GuardRailWeakening[] {
  const before = readPolicyDocument(beforeDoc);
  const after = afterDoc === null ? null : readPolicyDocument(afterDoc);
  const laterCanon = new Set((after?.statements ?? []).map(canonical));
  const earlierCanon = new Set(before.statements.map(canonical));
  const out: GuardRailWeakening[] = [];
  for (const s of before.statements) {
    const guardedKeys = guardedKeysOf(s, opts.teamTagKey);
    if (guardedKeys.length === 0) continue;
    if (laterCanon.has(canonical(s)) && s.effect === 'Deny') continue; // the same Deny is still there
    const weakening = (change: GuardRailWeakening['change'], changes: string[], c: PolicyStatement | null): GuardRailWeakening => ({
      statement: { sid: s.sid ?? null, index: s.index, effect: s.effect },
      guardedKeys,
      change,
      changes,
      before: before.raw[s.index],
      after: c && after ? { sid: c.sid ?? null, index: c.index, statement: after.raw[c.index] } : null,
      preventiveVpcControl: s.effect === 'Deny' && coversTraining(s) && guardedKeys.some((g) => g.area === 'VPC'),
    });
    const label = s.sid ? `${s.effect} ${s.sid}` : `${s.effect} statement #${s.index}`;
    if (!after) {
      if (s.effect === 'Deny' || opts.boundaryRemoved) {
        out.push(weakening('REMOVED', [opts.boundaryRemoved ? `the permissions boundary is gone, and ${label} with it` : `${label} is no longer in force`], null));
      }
      continue;
    }
    const c = counterpart(s, after.statements, guardedKeys);
    if (s.effect === 'Deny') {
      if (!c) {
        out.push(weakening('REMOVED', [`${label} is gone from the new document`], null));
        continue;
      }
      const changes = [...actionsLost(s, c), ...resourcesLost(s, c)];
      const earlierTests = testsOf(s);
      for (const t of earlierTests) {
        if (!guardedKeys.some((g) => sameKey(g.key, t.key))) continue;
        const u = testsOf(c).find((x) => sameKey(x.key, t.key) && parseConditionOperator(x.operator, 'statement').family === parseConditionOperator(t.operator, 'statement').family)
          ?? testsOf(c).find((x) => sameKey(x.key, t.key));
        // a test dropped from a Deny makes it apply to more requests: stronger, not weaker
        if (!u) continue;
        const why = testLoosening('Deny', t, u);
        if (why) changes.push(why);
      }
      for (const u of testsOf(c)) {
        if (!earlierTests.some((t) => sameKey(t.key, u.key))) changes.push(`a condition was added (${describeTest(u)}): the Deny now applies only when it holds too`);
      }
      if (changes.length > 0) out.push(weakening('LOOSENED', changes, c));
      continue;
    }
    // an Allow with a guarding condition
    const changes: string[] = [];
    if (c) {
      for (const t of testsOf(s)) {
        if (!guardedKeys.some((g) => sameKey(g.key, t.key))) continue;
        const u = testsOf(c).find((x) => sameKey(x.key, t.key) && x.operator.toLowerCase() === t.operator.toLowerCase()) ?? testsOf(c).find((x) => sameKey(x.key, t.key));
        if (!u) changes.push(`the condition ${describeTest(t)} was removed: the Allow no longer requires it`);
        else {
          const why = testLoosening('Allow', t, u);
          if (why) changes.push(why);
        }
      }
    }
    const sActions = actionsOf(s);
    if (sActions) {
      for (const a of after.statements) {
        if (a === c || a.effect !== 'Allow' || earlierCanon.has(canonical(a))) continue;
        const aActions = a.action ?? null;
        const overlaps = aActions ? actionsOverlap(sActions, aActions) : !sActions.every((p) => actionCovered(p, a.notAction ?? []));
        const sResources = resourcesOf(s) ?? ['*'];
        const aResources = resourcesOf(a) ?? ['*'];
        const resourcesMeet = sResources.some((p) => aResources.some((q) => resourceCovered(p, [q]) || resourceCovered(q, [p])));
        const keepsGuard = testsOf(a).some((u) => guardedKeys.some((g) => sameKey(g.key, u.key)));
        if (overlaps && resourcesMeet && !keepsGuard) {
          changes.push(`${a.sid ? `Allow ${a.sid}` : `Allow statement #${a.index}`} now grants ${(aActions ?? ['NotAction ' + (a.notAction ?? []).join(', ')]).join(', ')} without the condition on ${guardedKeys.map((g) => g.key).join(', ')}`);
        }
      }
    }
    if (changes.length > 0) out.push(weakening('LOOSENED', changes, c));
  }
  return out;
}
