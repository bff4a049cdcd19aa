/**
 * Tags as a create request carried them, and the SageMaker create calls that take tags.
 * Tag keys are case-sensitive in AWS ("Key names are case sensitive": `Team` is not `team`), so a
 * tag is found by its exact key; keys that differ only by case or surrounding spaces are reported
 * as near misses, for evidence, never taken as the tag.
 */
import { parseArn } from '../aws/arn';
import { readTags } from '../cloudtrail/inventory';
import type { RuleEvent } from './types';

export interface RequestTags {
  /** whether the request had a tags parameter at all (absent and `[]` read the same otherwise) */
  given: boolean;
  /** key → value as requested; a tag given without a value has the value '' (AWS: omitted = empty) */
  tags: Record<string, string>;
}

/** The request's `tags` (`[{key, value}]` as CloudTrail logs them, `[{Key, Value}]` as the API spells them). */
export function requestTags(params: Record<string, unknown>): RequestTags {
  const raw = params.tags ?? params.Tags;
  return { given: raw !== undefined && raw !== null, tags: readTags(raw) };
}

export interface TagLookup {
  /** the value under exactly this key; null when no tag has this key */
  value: string | null;
  /** other keys equal to it but for case or surrounding spaces (`Team`, `team `): not the tag */
  nearMissKeys: string[];
}

export function lookupTag(tags: Record<string, string>, key: string): TagLookup {
  const wanted = key.trim().toLowerCase();
  return {
    value: Object.hasOwn(tags, key) ? tags[key] : null,
    nearMissKeys: Object.keys(tags).filter((k) => k !== key && k.trim().toLowerCase() === wanted),
  };
}

/** A SageMaker create call that takes `Tags`, with where its record names the new resource. */
export interface TaggableCreate {
  eventName: string;
  /** for messages: `training job` */
  kind: string;
  /** the request parameter naming the resource */
  nameParam: string;
  /** the response element holding its ARN */
  arnField: string;
  /** the resource type in its ARN */
  arnType: string;
}

const taggable = (noun: string, kind: string, arnType: string, field = noun.charAt(0).toLowerCase() + noun.slice(1)): TaggableCreate => ({
  eventName: `Create${noun}`,
  kind,
  nameParam: `${field}Name`,
  arnField: `${field}Arn`,
  arnType,
});

/**
 * SageMaker resources a data-science team creates and owns, whose Create call accepts `Tags`
 * (SageMaker API reference, each `Create*` request). Left out on purpose:
 * - `CreateApp`: Studio creates apps for the user when Studio opens, and the seed's own read-only
 *   policy grants `sagemaker:*App` on `*` with no tag condition; an app belongs to its user
 *   profile or space, which carry the tags.
 * - `CreatePresignedDomainUrl`, `CreatePresignedNotebookInstanceUrl`: they create no resource.
 * - `CreateModelPackage` (versions live in a tagged model package group), lifecycle
 *   configurations, images, workforces and other account-level set-up.
 */
export const TAGGABLE_SAGEMAKER_CREATES: readonly TaggableCreate[] = [
  taggable('TrainingJob', 'training job', 'training-job'),
  taggable('ProcessingJob', 'processing job', 'processing-job'),
  taggable('HyperParameterTuningJob', 'hyperparameter tuning job', 'hyper-parameter-tuning-job'),
  taggable('TransformJob', 'transform job', 'transform-job'),
  taggable('AutoMLJob', 'AutoML job', 'automl-job', 'autoMLJob'),
  taggable('AutoMLJobV2', 'AutoML job', 'automl-job', 'autoMLJob'),
  taggable('LabelingJob', 'labeling job', 'labeling-job'),
  taggable('CompilationJob', 'compilation job', 'compilation-job'),
  taggable('Model', 'model', 'model'),
  taggable('ModelPackageGroup', 'model package group', 'model-package-group'),
  taggable('NotebookInstance', 'notebook instance', 'notebook-instance'),
  taggable('EndpointConfig', 'endpoint configuration', 'endpoint-config'),
  taggable('Endpoint', 'endpoint', 'endpoint'),
  taggable('Experiment', 'experiment', 'experiment'),
  taggable('Trial', 'trial', 'experiment-trial'),
  taggable('TrialComponent', 'trial component', 'experiment-trial-component'),
  taggable('Pipeline', 'pipeline', 'pipeline'),
  taggable('FeatureGroup', 'feature group', 'feature-group'),
  taggable('MonitoringSchedule', 'monitoring schedule', 'monitoring-schedule'),
  taggable('Project', 'project', 'project'),
  taggable('Domain', 'Studio domain', 'domain'),
  taggable('UserProfile', 'Studio user profile', 'user-profile'),
  taggable('Space', 'Studio space', 'space'),
];

const BY_EVENT_NAME = new Map(TAGGABLE_SAGEMAKER_CREATES.map((c) => [c.eventName, c]));

export const SAGEMAKER_SOURCE = 'sagemaker.amazonaws.com';

/** The taggable create this event is, when it is one (whatever its outcome). */
export function taggableCreateOf(event: RuleEvent): TaggableCreate | null {
  if (event.eventSource !== SAGEMAKER_SOURCE) return null;
  return BY_EVENT_NAME.get(event.eventName) ?? null;
}

/**
 * The created resource's ARN: the one SageMaker returned (`trainingJobArn`), else the event's
 * primary resource, else a touched ARN of the right type and name; null when none says.
 */
export function createdResourceArn(event: RuleEvent, create: TaggableCreate): string | null {
  const returned = event.responseElements[create.arnField];
  if (typeof returned === 'string' && parseArn(returned.trim())) return returned.trim();
  if (event.primaryResourceArn) return event.primaryResourceArn;
  const name = requestedName(event, create)?.toLowerCase();
  const touched = event.resourceArns.find((arn) => {
    const parsed = parseArn(arn);
    return parsed?.service === 'sagemaker' && parsed.resourceType === create.arnType && (!name || parsed.resourceName?.toLowerCase() === name);
  });
  return touched ?? null;
}

/** The name the caller gave the resource, as written. */
export function requestedName(event: RuleEvent, create: TaggableCreate): string | null {
  const name = event.requestParameters[create.nameParam];
  return typeof name === 'string' && name.trim() !== '' ? name : null;
}
