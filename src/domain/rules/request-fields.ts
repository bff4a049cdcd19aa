/**
 * Reading SageMaker request parameters as CloudTrail logs them (lowerCamelCase, optional fields
 * simply absent) and saying, for evidence, whether a value was requested or is the API default.
 * Pure helpers shared by the rules in ./catalog; nothing here knows about storage.
 */
import type { RuleEvent } from './types';

export const SAGEMAKER_SOURCE = 'sagemaker.amazonaws.com';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (`resourceConfig.volumeKmsKeyId`); undefined when any step is absent or null. */
export function fieldAt(params: unknown, path: string): unknown {
  let current: unknown = params;
  for (const step of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[step];
  }
  return current === null ? undefined : current;
}

/** A non-blank string, trimmed; null for anything else (absent, empty, another type). */
export function nonBlank(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Whether the call is one the rule reads, and succeeded (a denied call created nothing). */
export function isJudgedCall(event: RuleEvent, reads: { eventSource: string; eventNames: string[] }[]): boolean {
  if (event.errorCode) return false;
  return reads.some((r) => r.eventSource === event.eventSource && r.eventNames.includes(event.eventName));
}

/**
 * The resource a call created or changed: the ARN SageMaker wrote in the response
 * (`trainingJobArn`, …), else the event's primary resource.
 */
export function actedOnArn(event: RuleEvent, responseArnKey: string): string | null {
  return nonBlank(event.responseElements[responseArnKey]) ?? event.primaryResourceArn;
}

/** The caller's name for the resource (`trainingJobName`, …), for messages; falls back to the ARN. */
export function resourceLabel(event: RuleEvent, nameKey: string, arn: string | null): string {
  return nonBlank(event.requestParameters[nameKey]) ?? arn ?? 'the resource';
}

// ---------------------------------------------------------------------------------------------
// Readings: a deciding value plus how it was decided, ready to go into a Finding's evidence.

export interface Reading<T> {
  /** the value that applies: the requested one, or the API default when absent */
  value: T;
  /** true when the request carried the field */
  requested: boolean;
  /** for evidence: where the value came from */
  decidedBy: string;
}

export const ABSENT = 'absent from the request';

/**
 * An `Enabled`/`Disabled` setting (directInternetAccess, rootAccess). Absent → the API default.
 * A requested value is kept as logged; `isDisabled` compares it without regard to case.
 */
export function readEnabledSetting(params: Json, path: string, apiDefault: 'Enabled' | 'Disabled'): Reading<unknown> {
  const raw = fieldAt(params, path);
  if (raw === undefined) return { value: apiDefault, requested: false, decidedBy: `${ABSENT}: the API default is ${apiDefault}` };
  return { value: raw, requested: true, decidedBy: 'set in the request' };
}

export function isDisabled(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'disabled';
}

/** boolean true or the string "true" (any case): how SDKs and CloudTrail spell a set flag */
export function isTrueFlag(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** A boolean flag whose API default is false (enableNetworkIsolation, enableInterContainerTrafficEncryption). */
export function readFlag(params: Json, path: string): Reading<unknown> & { on: boolean } {
  const raw = fieldAt(params, path);
  if (raw === undefined) return { value: false, on: false, requested: false, decidedBy: `${ABSENT}: the API default is false` };
  const on = isTrueFlag(raw);
  const decidedBy = on || raw === false || (typeof raw === 'string' && raw.trim().toLowerCase() === 'false')
    ? 'set in the request'
    : `set in the request to a value that is not true (${typeof raw})`;
  return { value: raw, on, requested: true, decidedBy };
}

/** A KMS key id or ARN at `path`; null when absent or blank. */
export function readKmsKey(params: Json, path: string): string | null {
  return nonBlank(fieldAt(params, path));
}

// ---------------------------------------------------------------------------------------------
// VPC configuration

/** The subnets of a VpcConfig (`{ securityGroupIds, subnets }`); [] when absent, empty or malformed. */
export function vpcSubnets(vpcConfig: unknown): string[] {
  const subnets = isObject(vpcConfig) ? vpcConfig.subnets : undefined;
  return Array.isArray(subnets) ? subnets.filter((s): s is string => nonBlank(s) !== null) : [];
}

export interface VpcReading {
  inVpc: boolean;
  /** the vpcConfig as logged (null when absent) */
  vpcConfig: unknown;
  decidedBy: string;
}

/** Whether the VpcConfig at `path` places the resource in a VPC: it must name at least one subnet. */
export function readVpcConfig(params: Json, path: string): VpcReading {
  const vpcConfig = fieldAt(params, path);
  if (vpcConfig === undefined) {
    return { inVpc: false, vpcConfig: null, decidedBy: `${ABSENT}: with no VpcConfig SageMaker runs it outside your VPC` };
  }
  if (vpcSubnets(vpcConfig).length === 0) {
    return { inVpc: false, vpcConfig, decidedBy: 'present in the request but with no subnets: no VPC placement' };
  }
  return { inVpc: true, vpcConfig, decidedBy: 'set in the request with subnets' };
}

// ---------------------------------------------------------------------------------------------
// Tags

/** The request's `tags` ([{ key, value }] as CloudTrail logs them; [{ Key, Value }] tolerated) as a map. */
export function requestTags(params: Json): Record<string, string> {
  const out: Record<string, string> = {};
  const tags = params.tags;
  if (!Array.isArray(tags)) return out;
  for (const tag of tags) {
    if (!isObject(tag)) continue;
    const key = nonBlank(tag.key ?? tag.Key);
    const value = tag.value ?? tag.Value;
    if (key !== null && typeof value === 'string') out[key] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Instance types

/** One ML instance type a request asks for, with the request field it came from. */
export interface RequestedInstanceType {
  field: string;
  instanceType: string;
}

function pushType(out: RequestedInstanceType[], field: string, value: unknown): void {
  const type = nonBlank(value);
  if (type !== null) out.push({ field, instanceType: type });
}

function pushEach(out: RequestedInstanceType[], listField: string, list: unknown, key = 'instanceType'): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => pushType(out, `${listField}[${i}].${key}`, fieldAt(item, key)));
}

/** Training compute: `resourceConfig.instanceType` and heterogeneous `resourceConfig.instanceGroups[]`. */
function trainingResourceTypes(out: RequestedInstanceType[], prefix: string, definition: unknown): void {
  pushType(out, `${prefix}resourceConfig.instanceType`, fieldAt(definition, 'resourceConfig.instanceType'));
  pushEach(out, `${prefix}resourceConfig.instanceGroups`, fieldAt(definition, 'resourceConfig.instanceGroups'));
  pushType(out, `${prefix}hyperParameterTuningResourceConfig.instanceType`, fieldAt(definition, 'hyperParameterTuningResourceConfig.instanceType'));
  pushEach(out, `${prefix}hyperParameterTuningResourceConfig.instanceConfigs`, fieldAt(definition, 'hyperParameterTuningResourceConfig.instanceConfigs'));
}

/** Every instance type a SageMaker create/update request asks for, by event name. */
export function requestedInstanceTypes(eventName: string, params: Json): RequestedInstanceType[] {
  const out: RequestedInstanceType[] = [];
  switch (eventName) {
    case 'CreateNotebookInstance':
    case 'UpdateNotebookInstance':
      pushType(out, 'instanceType', params.instanceType);
      break;
    case 'CreateTrainingJob':
      trainingResourceTypes(out, '', params);
      break;
    case 'CreateHyperParameterTuningJob':
      if (isObject(params.trainingJobDefinition)) trainingResourceTypes(out, 'trainingJobDefinition.', params.trainingJobDefinition);
      if (Array.isArray(params.trainingJobDefinitions)) {
        params.trainingJobDefinitions.forEach((d, i) => trainingResourceTypes(out, `trainingJobDefinitions[${i}].`, d));
      }
      break;
    case 'CreateProcessingJob':
      pushType(out, 'processingResources.clusterConfig.instanceType', fieldAt(params, 'processingResources.clusterConfig.instanceType'));
      break;
    case 'CreateEndpointConfig':
      pushEach(out, 'productionVariants', params.productionVariants);
      pushEach(out, 'shadowProductionVariants', params.shadowProductionVariants);
      break;
    default:
      break;
  }
  return out;
}

/**
 * Whether an instance type has local instance-store volumes by EC2's naming convention (a `d` in
 * the family's attributes: ml.m5d, ml.g4dn, ml.p4d). SageMaker refuses a volume KMS key for them:
 * their local NVMe storage is encrypted by the instance's hardware. Families outside the naming
 * convention that also have local storage (ml.g5, ml.p5, ml.trn1) are not recognised.
 */
export function hasLocalStorageByName(instanceType: string): boolean {
  const family = instanceType.toLowerCase().split('.')[1] ?? '';
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family);
}
