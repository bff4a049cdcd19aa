/**
 * Which resources an event touched, as full ARNs. Three places say it: the record's
 * `resources[]`, ARNs AWS wrote into `responseElements`, and names the caller passed in
 * `requestParameters` (turned into ARNs here). An ARN AWS recorded beats one built from a name:
 * built IAM ARNs cannot know the role's path.
 */
import {
  buildIamArn,
  buildS3Arn,
  buildSageMakerArn,
  isArn,
  parseArn,
  partitionForRegion,
} from '../aws/arn';
import type { TouchedResource } from './types';
import { isJsonObject, nonEmptyString } from './validate';

/** A SageMaker kind named by one request parameter; `noun` is how its API calls spell it (`CreateTrainingJob`). */
export interface SageMakerNamedKind {
  noun: string;
  param: string;
  type: string;
}

export const SAGEMAKER_NAMED_KINDS: readonly SageMakerNamedKind[] = [
  { noun: 'TrainingJob', param: 'trainingJobName', type: 'training-job' },
  { noun: 'ProcessingJob', param: 'processingJobName', type: 'processing-job' },
  { noun: 'NotebookInstance', param: 'notebookInstanceName', type: 'notebook-instance' },
  { noun: 'Endpoint', param: 'endpointName', type: 'endpoint' },
  { noun: 'EndpointConfig', param: 'endpointConfigName', type: 'endpoint-config' },
  { noun: 'Model', param: 'modelName', type: 'model' },
  { noun: 'Experiment', param: 'experimentName', type: 'experiment' },
  { noun: 'Trial', param: 'trialName', type: 'experiment-trial' },
  { noun: 'TrialComponent', param: 'trialComponentName', type: 'experiment-trial-component' },
  { noun: 'HyperParameterTuningJob', param: 'hyperParameterTuningJobName', type: 'hyper-parameter-tuning-job' },
];

/** Request parameters that hold the ARN of the resource acted on, across services. */
export const RESOURCE_ARN_PARAMS = ['resourceArn', 'ResourceArn', 'resourceARN'] as const;

/** Where an event happened and for which account; what built ARNs need. */
export interface EventScope {
  region: string | null;
  accountId: string | null;
  partition: string;
}

export function eventScope(record: Record<string, unknown>): EventScope {
  const identity = isJsonObject(record.userIdentity) ? record.userIdentity : {};
  const region = nonEmptyString(record.awsRegion);
  return {
    region,
    accountId: nonEmptyString(record.recipientAccountId) ?? nonEmptyString(identity.accountId),
    partition: partitionForRegion(region),
  };
}

export function requestParametersOf(record: Record<string, unknown>): Record<string, unknown> {
  return isJsonObject(record.requestParameters) ? record.requestParameters : {};
}

interface Candidate {
  arn: string;
  name: string | null;
  via: TouchedResource['via'];
  /** built from a name, not written by AWS */
  built: boolean;
}

export function extractTouchedResources(record: Record<string, unknown>): TouchedResource[] {
  // every candidate in one list, in the order of precedence: recorded ones first
  const candidates: Candidate[] = [];
  fromResourcesArray(record.resources, candidates);
  fromResponseElements(record.responseElements, candidates);
  fromRequestParameters(record, candidates);
  const merged = new Map<string, TouchedResource>();
  for (const candidate of candidates) merge(merged, candidate);
  return [...merged.values()];
}

function merge(merged: Map<string, TouchedResource>, candidate: Candidate): void {
  const existing = merged.get(candidate.arn) ?? (candidate.built ? sameResource(merged, candidate.arn) : undefined);
  if (existing) {
    // The caller's spelling is the only place the name keeps its case (SageMaker ARNs are lower-cased).
    if (existing.name === null && candidate.name !== null) existing.name = candidate.name;
    return;
  }
  merged.set(candidate.arn, { arn: candidate.arn, name: candidate.name, via: candidate.via });
}

/**
 * A recorded ARN for the same kind and name (`role/team-a/Analyst` for a built `role/Analyst`).
 * The account is not compared: the built one is a guess from `recipientAccountId`.
 */
function sameResource(merged: Map<string, TouchedResource>, builtArn: string): TouchedResource | undefined {
  if (merged.size === 0) return undefined;
  const built = parseArn(builtArn);
  if (!built || built.resourceName === null) return undefined;
  const wanted = built.resourceName.toLowerCase();
  for (const entry of merged.values()) {
    const seen = parseArn(entry.arn);
    if (
      seen &&
      seen.service === built.service &&
      seen.region === built.region &&
      seen.resourceType === built.resourceType &&
      seen.resourceName?.toLowerCase() === wanted
    ) {
      return entry;
    }
  }
  return undefined;
}

function fromResourcesArray(resources: unknown, out: Candidate[]): void {
  if (!Array.isArray(resources)) return;
  for (const entry of resources) {
    if (!isJsonObject(entry)) continue;
    const arn = trimmedArn(entry.ARN) ?? trimmedArn(entry.arn);
    if (arn) out.push({ arn, name: null, via: 'resources', built: false });
  }
}

/** Any ARN anywhere in the response, except STS sessions: those are who acted, not what was touched. */
function fromResponseElements(responseElements: unknown, out: Candidate[]): void {
  walkStrings(responseElements, (text) => {
    // only a string that starts (after blanks) with "arn:" can be one: most are not worth trimming
    if (text.length < 8 || (!text.startsWith('arn:') && !/^\s/.test(text))) return;
    const arn = trimmedArn(text);
    if (arn && parseArn(arn)?.service !== 'sts') out.push({ arn, name: null, via: 'responseElements', built: false });
  });
}

/** JSON has no cycles; the depth bound only guards against absurdly nested input. */
function walkStrings(value: unknown, visit: (text: string) => void, depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const item of value) walkStrings(item, visit, depth + 1);
  else if (isJsonObject(value)) for (const key in value) walkStrings(value[key], visit, depth + 1);
}

/** The value as an ARN, surrounding whitespace removed (published records have `" arn:…"`); else null. */
export function trimmedArn(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const arn = value.trim();
  return isArn(arn) ? arn : null;
}

function fromRequestParameters(record: Record<string, unknown>, out: Candidate[]): void {
  const params = requestParametersOf(record);
  const scope = eventScope(record);
  for (const key of RESOURCE_ARN_PARAMS) requested(out, trimmedArn(params[key]), null);
  switch (nonEmptyString(record.eventSource)) {
    case 'sagemaker.amazonaws.com':
      return sageMakerNames(params, scope, out);
    case 'iam.amazonaws.com':
      return iamNames(params, scope, nonEmptyString(record.eventName), out);
    case 's3.amazonaws.com':
      return s3Names(params, scope, out);
  }
}

/** Built ARNs are checked too: a name with spaces (`AWS ROOT USER`) makes no ARN. */
function requested(out: Candidate[], arn: string | null, name: string | null, built = false): void {
  if (arn && isArn(arn)) out.push({ arn, name, via: 'requestParameters', built });
}

/** A name parameter may hold an ARN already (many SageMaker calls accept either). */
function nameOrArn(out: Candidate[], value: unknown, build: (name: string) => string | null): void {
  const text = nonEmptyString(value)?.trim() ?? null;
  if (text === null) return;
  if (isArn(text)) requested(out, text, null);
  else requested(out, build(text), text, true);
}

function sageMakerNames(params: Record<string, unknown>, scope: EventScope, out: Candidate[]): void {
  const { region, accountId } = scope;
  if (!region || !accountId) return;
  for (const kind of SAGEMAKER_NAMED_KINDS) {
    const value = params[kind.param];
    if (value !== undefined) nameOrArn(out, value, (name) => buildSageMakerArn(region, accountId, kind.type, name));
  }
  const domainId = nonEmptyString(params.domainId)?.trim() ?? null;
  if (!domainId) return;
  // User profiles live under their domain: `user-profile/<domainId>/<name>`.
  nameOrArn(out, domainId, (name) => buildSageMakerArn(region, accountId, 'domain', name));
  nameOrArn(out, params.userProfileName, (name) => buildSageMakerArn(region, accountId, 'user-profile', `${domainId}/${name}`));
}

function iamNames(params: Record<string, unknown>, scope: EventScope, eventName: string | null, out: Candidate[]): void {
  const { accountId, partition } = scope;
  const path = nonEmptyString(params.path) ?? undefined;
  const arnFor = (type: string) => (name: string) => (accountId ? buildIamArn(accountId, type, name, path, partition) : null);
  nameOrArn(out, params.roleName, arnFor('role'));
  nameOrArn(out, params.userName, arnFor('user'));
  nameOrArn(out, params.groupName, arnFor('group'));
  requested(out, trimmedArn(params.policyArn), null);
  // Elsewhere `policyName` names an inline policy, which is not a resource.
  if (eventName === 'CreatePolicy') nameOrArn(out, params.policyName, arnFor('policy'));
}

/** Bucket names start with a letter or digit (legacy ones may have capitals); "..." is no bucket. */
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function s3Names(params: Record<string, unknown>, scope: EventScope, out: Candidate[]): void {
  const bucket = nonEmptyString(params.bucketName)?.trim() ?? null;
  if (!bucket || !BUCKET_NAME.test(bucket)) return;
  const key = nonEmptyString(params.key);
  requested(out, buildS3Arn(bucket, undefined, scope.partition), bucket, true);
  if (key) requested(out, buildS3Arn(bucket, key, scope.partition), key, true);
}
