import { createHash } from 'node:crypto';

/**
 * Builders of CloudTrail records in the real format (eventVersion 1.08 shape, lowerCamelCase
 * requestParameters as SageMaker logs them), used by the demo story, the benchmark's generator
 * and the tests. Every value is written by govgraph; none is copied from a published record.
 */

export type CloudTrailRecord = Record<string, unknown> & { eventID: string; eventTime: string };

export interface Actor {
  accountId: string;
  /** IAM user name, or the role name for an assumed-role session */
  name: string;
  kind: 'IAMUser' | 'AssumedRole';
  /** for AssumedRole: the session name (often meaningless, e.g. "SageMaker") */
  sessionName?: string;
  principalId?: string;
  accessKeyId?: string;
}

/** A deterministic UUID-shaped id, so generated data is reproducible run after run. */
export function stableEventId(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function userIdentity(actor: Actor): Record<string, unknown> {
  const principalId = actor.principalId ?? `AIDA${createHash('sha1').update(actor.name).digest('hex').slice(0, 16).toUpperCase()}`;
  const accessKeyId = actor.accessKeyId ?? `ASIA${createHash('sha1').update(`${actor.name}/key`).digest('hex').slice(0, 16).toUpperCase()}`;
  if (actor.kind === 'IAMUser') {
    return {
      type: 'IAMUser',
      principalId,
      arn: `arn:aws:iam::${actor.accountId}:user/${actor.name}`,
      accountId: actor.accountId,
      accessKeyId,
      userName: actor.name,
    };
  }
  const session = actor.sessionName ?? 'SageMaker';
  const roleId = principalId.replace(/^AIDA/, 'AROA');
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${actor.accountId}:assumed-role/${actor.name}/${session}`,
    accountId: actor.accountId,
    accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:aws:iam::${actor.accountId}:role/${actor.name}`,
        accountId: actor.accountId,
        userName: actor.name,
      },
      attributes: { creationDate: '2026-11-02T08:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

export interface EventSpec {
  actor: Actor;
  time: Date;
  eventSource: string;
  eventName: string;
  region: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  sourceIPAddress?: string;
  userAgent?: string;
  /** seed for the eventID; defaults to the spec's own content */
  seed?: string;
}

export function cloudTrailRecord(spec: EventSpec): CloudTrailRecord {
  const eventTime = spec.time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const seed = spec.seed ?? `${spec.eventName}/${eventTime}/${spec.actor.name}/${JSON.stringify(spec.requestParameters ?? null)}`;
  const record: CloudTrailRecord = {
    eventVersion: '1.08',
    userIdentity: userIdentity(spec.actor),
    eventTime,
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIPAddress ?? '198.51.100.23',
    userAgent: spec.userAgent ?? 'aws-sdk-python/1.34.0 Python/3.11 sagemaker-studio',
    ...(spec.errorCode ? { errorCode: spec.errorCode, errorMessage: spec.errorMessage ?? '' } : {}),
    requestParameters: spec.requestParameters ?? null,
    responseElements: spec.errorCode ? null : spec.responseElements ?? null,
    requestID: stableEventId(`request/${seed}`),
    eventID: stableEventId(seed),
    readOnly: spec.readOnly ?? /^(Describe|List|Get|Search)/.test(spec.eventName),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.actor.accountId,
    eventCategory: 'Management',
  };
  return record;
}

export const sageMakerArn = (region: string, accountId: string, type: string, name: string) =>
  `arn:aws:sagemaker:${region}:${accountId}:${type}/${name.toLowerCase()}`;

/** CreateTrainingJob as SageMaker logs it; `vpc` false leaves vpcConfig out, as the SDK does. */
export function createTrainingJob(o: {
  actor: Actor; time: Date; region: string; jobName: string; team?: string | null; vpc: boolean; instanceType?: string; seed?: string;
  /** encrypted volumes and output, network isolation and inter-container encryption, as a hardened template sets them */
  hardened?: boolean;
}): CloudTrailRecord {
  const kmsKey = `arn:aws:kms:${o.region}:${o.actor.accountId}:key/6f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0`;
  const tags = o.team ? [{ key: 'team', value: o.team }] : [];
  return cloudTrailRecord({
    actor: o.actor,
    time: o.time,
    region: o.region,
    eventSource: 'sagemaker.amazonaws.com',
    eventName: 'CreateTrainingJob',
    seed: o.seed,
    requestParameters: {
      trainingJobName: o.jobName,
      algorithmSpecification: { trainingImage: `763104351884.dkr.ecr.${o.region}.amazonaws.com/pytorch-training:2.1-cpu-py310`, trainingInputMode: 'File' },
      roleArn: `arn:aws:iam::${o.actor.accountId}:role/${o.actor.kind === 'AssumedRole' ? o.actor.name : 'SageMakerExecutionRole'}`,
      outputDataConfig: { s3OutputPath: `s3://ml-artifacts-${o.actor.accountId}/${o.jobName}/output`, ...(o.hardened ? { kmsKeyId: kmsKey } : {}) },
      resourceConfig: { instanceType: o.instanceType ?? 'ml.m5.xlarge', instanceCount: 1, volumeSizeInGB: 30, ...(o.hardened ? { volumeKmsKeyId: kmsKey } : {}) },
      stoppingCondition: { maxRuntimeInSeconds: 86400 },
      ...(o.hardened ? { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true } : {}),
      ...(o.vpc ? { vpcConfig: { securityGroupIds: ['sg-0a1b2c3d4e5f60718'], subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'] } } : {}),
      ...(tags.length ? { tags } : {}),
    },
    responseElements: { trainingJobArn: sageMakerArn(o.region, o.actor.accountId, 'training-job', o.jobName) },
  });
}
