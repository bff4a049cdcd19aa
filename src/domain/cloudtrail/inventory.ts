/**
 * What a successful event does to the resource inventory: a resource created (with the tags it
 * was created with), deleted, or re-tagged. A denied or failed call changes nothing, so it has
 * no effect here even though the resource it aimed at is still a touched resource.
 */
import { parseArn } from '../aws/arn';
import {
  RESOURCE_ARN_PARAMS,
  SAGEMAKER_NAMED_KINDS,
  requestParametersOf,
  trimmedArn,
  type SageMakerNamedKind,
} from './resources';
import type { InventoryEffect, TouchedResource } from './types';
import { isJsonObject, nonEmptyString } from './validate';

interface EventView {
  eventName: string;
  params: Record<string, unknown>;
  response: Record<string, unknown>;
  touched: TouchedResource[];
}

export function deriveInventoryEffects(record: Record<string, unknown>, touched: TouchedResource[]): InventoryEffect[] {
  if (nonEmptyString(record.errorCode) !== null) return [];
  const view: EventView = {
    eventName: nonEmptyString(record.eventName) ?? '',
    params: requestParametersOf(record),
    response: isJsonObject(record.responseElements) ? record.responseElements : {},
    touched,
  };
  switch (nonEmptyString(record.eventSource)) {
    case 'sagemaker.amazonaws.com':
      return genericTagEffects(view) ?? sageMakerLifecycle(view);
    case 'iam.amazonaws.com':
      return iamTagEffects(view) ?? iamLifecycle(view);
    case 's3.amazonaws.com':
      return s3Lifecycle(view);
    default:
      return genericTagEffects(view) ?? [];
  }
}

// ---- tags ----------------------------------------------------------------------------------

const TAG_SET_EVENTS = new Set(['AddTags', 'TagResource']);
const TAG_REMOVE_EVENTS = new Set(['DeleteTags', 'UntagResource', 'RemoveTags']);

/** null when the event is not a tagging call, so the caller tries lifecycle calls next. */
function genericTagEffects(view: EventView): InventoryEffect[] | null {
  const setting = TAG_SET_EVENTS.has(view.eventName);
  if (!setting && !TAG_REMOVE_EVENTS.has(view.eventName)) return null;
  return tagEffects(tagTargets(view), view.params, setting);
}

function tagEffects(targets: string[], params: Record<string, unknown>, setting: boolean): InventoryEffect[] {
  const set = setting ? readTags(params.tags ?? params.Tags) : {};
  const remove = setting ? [] : readTagKeys(params.tagKeys ?? params.TagKeys);
  if (Object.keys(set).length === 0 && remove.length === 0) return [];
  return targets.map((arn) => ({ kind: 'tag', arn, set, remove }));
}

/** The ARNs a generic tagging call names; KMS names its key by `keyId`, CloudFront by `resource`. */
function tagTargets(view: EventView): string[] {
  const p = view.params;
  const lists = [p.resourceArns, p.ResourceArns, p.resourceARNList, p.ResourceARNList].flatMap((v) => (Array.isArray(v) ? v : []));
  const named = [...RESOURCE_ARN_PARAMS.map((key) => p[key]), p.resource, p.keyId, ...lists]
    .map(trimmedArn)
    .filter((arn): arn is string => arn !== null);
  if (named.length > 0) return [...new Set(named)];
  // A key given by id rather than ARN: the record's resources[] still names it.
  const recorded = view.touched.filter((t) => t.via === 'resources');
  return recorded.length === 1 ? [recorded[0].arn] : [];
}

/**
 * Tags as CloudTrail writes them: lists of `{key, value}` (the API's `{Key, Value}` in
 * lowerCamelCase), KMS's `{tagKey, tagValue}`, `{items: [...]}` wrappers, or plain maps.
 */
export function readTags(value: unknown): Record<string, string> {
  if (isJsonObject(value) && Array.isArray(value.items)) return readTags(value.items);
  const tags: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isJsonObject(item)) continue;
      const key = firstString(item.key, item.Key, item.tagKey, item.TagKey);
      if (key) tags[key] = firstString(item.value, item.Value, item.tagValue, item.TagValue) ?? '';
    }
  } else if (isJsonObject(value)) {
    for (const [key, tagValue] of Object.entries(value)) {
      if (key !== '' && isScalar(tagValue)) tags[key] = String(tagValue);
    }
  }
  return tags;
}

export function readTagKeys(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((k): k is string => typeof k === 'string' && k !== ''))];
}

function firstString(...values: unknown[]): string | null {
  for (const value of values) if (typeof value === 'string') return value;
  return null;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

// ---- SageMaker -----------------------------------------------------------------------------

/** Kinds with a lifecycle here; a domain is named by its id once created. */
const SAGEMAKER_LIFECYCLE_KINDS: readonly SageMakerNamedKind[] = [
  ...SAGEMAKER_NAMED_KINDS,
  { noun: 'UserProfile', param: 'userProfileName', type: 'user-profile' },
  { noun: 'Domain', param: 'domainId', type: 'domain' },
];

/**
 * `Create<Kind>`/`Delete<Kind>`. The ARN AWS returned (`trainingJobArn`) wins; otherwise the ARN
 * built from the name. Calls that create no resource (`CreatePresignedDomainUrl`) match nothing.
 */
function sageMakerLifecycle(view: EventView): InventoryEffect[] {
  const verb = lifecycleVerb(view.eventName);
  if (!verb) return [];
  const noun = view.eventName.slice(verb.length);
  const field = noun.charAt(0).toLowerCase() + noun.slice(1);
  const kind = SAGEMAKER_LIFECYCLE_KINDS.find((k) => k.noun === noun);
  const name = nonEmptyString(view.params[`${field}Name`]) ?? (kind ? nonEmptyString(view.params[kind.param]) : null);
  const arn =
    trimmedArn(view.response[`${field}Arn`]) ??
    trimmedArn(view.params[`${field}Arn`]) ??
    trimmedArn(name) ??
    (kind && name ? touchedArn(view.touched, 'sagemaker', kind.type, name) : null);
  if (!arn) return [];
  return [lifecycleEffect(verb, arn, name, view.params)];
}

// ---- IAM -----------------------------------------------------------------------------------

interface IamKind {
  type: string;
  param: string;
  /** where CreateX's response holds the new entity (`responseElements.role.arn`) */
  response: string;
}

const IAM_KINDS: Readonly<Record<string, IamKind>> = {
  Role: { type: 'role', param: 'roleName', response: 'role' },
  User: { type: 'user', param: 'userName', response: 'user' },
  Policy: { type: 'policy', param: 'policyName', response: 'policy' },
};

/** Only these names: `DeleteRolePolicy` or `DeleteLoginProfile` must not delete the role or user. */
function iamLifecycle(view: EventView): InventoryEffect[] {
  const verb = lifecycleVerb(view.eventName);
  const noun = verb ? view.eventName.slice(verb.length) : '';
  if (!verb || !Object.hasOwn(IAM_KINDS, noun)) return [];
  const kind = IAM_KINDS[noun];
  const arn = (verb === 'Create' ? createdIamArn(view.response, kind) : null) ?? iamTarget(view, kind);
  if (!arn) return [];
  return [lifecycleEffect(verb, arn, nonEmptyString(view.params[kind.param]), view.params)];
}

/** The response's ARN carries the path the request may not have spelt out. */
function createdIamArn(response: Record<string, unknown>, kind: IamKind): string | null {
  const entity = response[kind.response];
  return isJsonObject(entity) ? trimmedArn(entity.arn) : null;
}

const IAM_TAG_EVENTS: Readonly<Record<string, { kind: IamKind; setting: boolean }>> = {
  TagRole: { kind: IAM_KINDS.Role, setting: true },
  UntagRole: { kind: IAM_KINDS.Role, setting: false },
  TagUser: { kind: IAM_KINDS.User, setting: true },
  UntagUser: { kind: IAM_KINDS.User, setting: false },
  TagPolicy: { kind: IAM_KINDS.Policy, setting: true },
  UntagPolicy: { kind: IAM_KINDS.Policy, setting: false },
};

function iamTagEffects(view: EventView): InventoryEffect[] | null {
  if (!Object.hasOwn(IAM_TAG_EVENTS, view.eventName)) return null;
  const { kind, setting } = IAM_TAG_EVENTS[view.eventName];
  const arn = iamTarget(view, kind);
  return arn ? tagEffects([arn], view.params, setting) : [];
}

/** Policies are named by ARN in calls; roles and users by name (the touched list has their ARN). */
function iamTarget(view: EventView, kind: IamKind): string | null {
  if (kind.type === 'policy') {
    const policyArn = trimmedArn(view.params.policyArn);
    if (policyArn) return policyArn;
  }
  const name = nonEmptyString(view.params[kind.param]);
  return name ? (trimmedArn(name) ?? touchedArn(view.touched, 'iam', kind.type, name)) : null;
}

// ---- S3 ------------------------------------------------------------------------------------

function s3Lifecycle(view: EventView): InventoryEffect[] {
  if (view.eventName !== 'CreateBucket' && view.eventName !== 'DeleteBucket') return [];
  const bucket = nonEmptyString(view.params.bucketName)?.trim() ?? null;
  const arn = bucket ? touchedArn(view.touched, 's3', 'bucket', bucket) : null;
  if (!arn) return [];
  return [lifecycleEffect(view.eventName === 'CreateBucket' ? 'Create' : 'Delete', arn, bucket, view.params)];
}

// ---- shared --------------------------------------------------------------------------------

type LifecycleVerb = 'Create' | 'Delete';

function lifecycleVerb(eventName: string): LifecycleVerb | null {
  if (eventName.startsWith('Create')) return 'Create';
  if (eventName.startsWith('Delete')) return 'Delete';
  return null;
}

function lifecycleEffect(verb: LifecycleVerb, arn: string, name: string | null, params: Record<string, unknown>): InventoryEffect {
  if (verb === 'Delete') return { kind: 'delete', arn };
  return { kind: 'create', arn, name, tags: readTags(params.tags ?? params.Tags) };
}

/** The touched ARN of this kind and name; names compare case-blind because SageMaker ARNs are lower-cased. */
function touchedArn(touched: TouchedResource[], service: string, type: string, name: string): string | null {
  const wanted = name.trim().toLowerCase();
  const match = touched.find((t) => {
    const arn = parseArn(t.arn);
    return arn?.service === service && arn.resourceType === type && arn.resourceName?.toLowerCase() === wanted;
  });
  return match?.arn ?? null;
}
