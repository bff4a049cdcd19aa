import { buildSageMakerArn } from '../domain/aws/arn';
import { Actor, cloudTrailRecord, CloudTrailRecord, createTrainingJob } from './cloudtrail-records';
import { DEMO_PREVENTIVE_CONTROL_TIME, NOTEBOOK_PRODUCT_POLICY_ARN, NOTEBOOK_PRODUCT_POLICY_V2 } from './iam-story';

/**
 * The demo: the guard-rails story of self-service SageMaker, as CloudTrail and GetResources
 * would record it. Two teams (TeamA, TeamB) with ABAC roles tagged `team`; IAM users bound to
 * Studio user profiles by the `studiouserid` tag; an approved notebook provisioned through
 * Service Catalog and one created by hand with direct internet access; training jobs with and
 * without a VPC; the preventive control denying a training job without a VPC; TeamB denied
 * DeleteExperiment on TeamA's experiment; a presigned Studio URL asked for another user's profile.
 */

export const DEMO_ACCOUNT = '111122223333';
export const DEMO_REGION = 'us-east-1';
export const DEMO_DOMAIN_ID = 'd-6v3jqkqwprfq';
const A = DEMO_ACCOUNT;
const R = DEMO_REGION;

const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser', principalId: 'AIDA6ODU5QAHEXAMPLE1', accessKeyId: 'AKIA6ODU5QAHEXAMPLE1' };
const userA1: Actor = { accountId: A, name: 'user-a1', kind: 'IAMUser', principalId: 'AIDA6ODU5QAHEXAMPLEA1', accessKeyId: 'AKIA6ODU5QAHEXAMPLEA1' };
const userA2: Actor = { accountId: A, name: 'user-a2', kind: 'IAMUser', principalId: 'AIDA6ODU5QAHEXAMPLEA2', accessKeyId: 'AKIA6ODU5QAHEXAMPLEA2' };
const userB1: Actor = { accountId: A, name: 'user-b1', kind: 'IAMUser', principalId: 'AIDA6ODU5QAHEXAMPLEB1', accessKeyId: 'AKIA6ODU5QAHEXAMPLEB1' };
const teamARole: Actor = { accountId: A, name: 'SageMakerStudioDeveloperTeamARole', kind: 'AssumedRole', sessionName: 'SageMaker', principalId: 'AROA6ODU5QAHTEAMAROLE', accessKeyId: 'ASIA6ODU5QAHSESSIONA1' };
const teamBRole: Actor = { accountId: A, name: 'SageMakerStudioDeveloperTeamBRole', kind: 'AssumedRole', sessionName: 'SageMaker', principalId: 'AROA6ODU5QAHTEAMBROLE', accessKeyId: 'ASIA6ODU5QAHSESSIONB1' };
const teamAExec: Actor = { accountId: A, name: 'SageMakerExecRole-ml-product-team', kind: 'AssumedRole', sessionName: 'SageMaker', principalId: 'AROA6ODU5QAHEXECROLEA', accessKeyId: 'ASIA6ODU5QAHSESSIONX1' };
const catalogLaunch: Actor = { accountId: A, name: 'SC-111122223333-ProductLaunchRole', kind: 'AssumedRole', sessionName: 'servicecatalog', principalId: 'AROA6ODU5QAHSCLAUNCH1', accessKeyId: 'ASIA6ODU5QAHSCSESSION' };

const t = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute));
const iamRoleArn = (name: string) => `arn:aws:iam::${A}:role/${name}`;
const sm = (type: string, name: string) => buildSageMakerArn(R, A, type, name);

const TRUST_SAGEMAKER = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** `roleId`: the id AWS gave the role, the one its sessions' userIdentity carries. */
function createRole(time: Date, roleName: string, team: string | null, roleId: string): CloudTrailRecord {
  return cloudTrailRecord({
    actor: admin, time, region: R, eventSource: 'iam.amazonaws.com', eventName: 'CreateRole',
    requestParameters: { roleName, assumeRolePolicyDocument: TRUST_SAGEMAKER, ...(team ? { tags: [{ key: 'team', value: team }] } : {}) },
    responseElements: { role: { path: '/', roleName, roleId, arn: iamRoleArn(roleName), createDate: 'Nov 2, 2026, 8:00:00 AM', assumeRolePolicyDocument: encodeURIComponent(TRUST_SAGEMAKER), ...(team ? { tags: [{ key: 'team', value: team }] } : {}) } },
  });
}

function createUser(time: Date, userName: string, team: string, userId: string): CloudTrailRecord {
  return cloudTrailRecord({
    actor: admin, time, region: R, eventSource: 'iam.amazonaws.com', eventName: 'CreateUser',
    requestParameters: { userName, tags: [{ key: 'team', value: team }, { key: 'studiouserid', value: userName }] },
    responseElements: { user: { path: '/', userName, userId, arn: `arn:aws:iam::${A}:user/${userName}`, createDate: 'Nov 2, 2026, 8:05:00 AM', tags: [{ key: 'team', value: team }, { key: 'studiouserid', value: userName }] } },
  });
}

function createUserProfile(time: Date, profile: string, team: string, studiouserid: string | null): CloudTrailRecord {
  const tags = [{ key: 'team', value: team }, ...(studiouserid ? [{ key: 'studiouserid', value: studiouserid }] : [])];
  return cloudTrailRecord({
    actor: admin, time, region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateUserProfile',
    userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64 command/sagemaker.create-user-profile',
    requestParameters: { domainId: DEMO_DOMAIN_ID, userProfileName: profile, tags, userSettings: { executionRole: iamRoleArn(`SageMakerStudioDeveloper${team}Role`) } },
    responseElements: { userProfileArn: sm('user-profile', `${DEMO_DOMAIN_ID}/${profile}`) },
  });
}

function presignedUrl(actor: Actor, time: Date, profile: string, denied: boolean): CloudTrailRecord {
  return cloudTrailRecord({
    actor, time, region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreatePresignedDomainUrl',
    userAgent: 'console.amazonaws.com',
    requestParameters: { domainId: DEMO_DOMAIN_ID, userProfileName: profile },
    ...(denied
      ? {
          errorCode: 'AccessDenied',
          errorMessage: `User: arn:aws:iam::${A}:user/${actor.name} is not authorized to perform: sagemaker:CreatePresignedDomainUrl on resource: ${sm('user-profile', `${DEMO_DOMAIN_ID}/${profile}`)} because no identity-based policy allows the sagemaker:CreatePresignedDomainUrl action`,
        }
      : { responseElements: { authorizedUrl: 'HIDDEN_DUE_TO_SECURITY_REASONS' } }),
  });
}

/** The story's CloudTrail records, in the order they happened. */
export function demoCloudTrailRecords(): CloudTrailRecord[] {
  return [
    // Day 1: the platform team sets up ABAC roles, users and the Studio domain
    createRole(t(2, 8, 0), 'SageMakerStudioDeveloperTeamARole', 'TeamA', teamARole.principalId!),
    createRole(t(2, 8, 1), 'SageMakerStudioDeveloperTeamBRole', 'TeamB', teamBRole.principalId!),
    createRole(t(2, 8, 2), 'SageMakerExecRole-ml-product-team', 'TeamA', teamAExec.principalId!),
    createUser(t(2, 8, 5), 'user-a1', 'TeamA', userA1.principalId!),
    createUser(t(2, 8, 6), 'user-a2', 'TeamA', userA2.principalId!),
    createUser(t(2, 8, 7), 'user-b1', 'TeamB', userB1.principalId!),
    cloudTrailRecord({
      actor: admin, time: t(2, 8, 10), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateDomain',
      requestParameters: { domainName: 'ml-studio', authMode: 'IAM', defaultUserSettings: { executionRole: iamRoleArn('SageMakerStudioDeveloperTeamARole') }, subnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcId: 'vpc-0a1b2c3d4e5f60718', tags: [{ key: 'team', value: 'platform' }] },
      responseElements: { domainArn: sm('domain', DEMO_DOMAIN_ID), url: `https://${DEMO_DOMAIN_ID}.studio.${R}.sagemaker.aws` },
    }),
    createUserProfile(t(2, 8, 20), 'user-a1', 'TeamA', 'user-a1'),
    createUserProfile(t(2, 8, 21), 'user-a2', 'TeamA', 'user-a2'),
    createUserProfile(t(2, 8, 22), 'user-b1', 'TeamB', 'user-b1'),
    createUserProfile(t(2, 8, 23), 'contractor-x', 'TeamB', null), // no studiouserid: anyone may open it
    cloudTrailRecord({
      actor: userA1, time: t(2, 9, 0), region: R, eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      responseElements: { ConsoleLogin: 'Success' },
    }),
    presignedUrl(userA1, t(2, 9, 1), 'user-a1', false),
    // Day 1: the approved notebook through Service Catalog, and one created by hand
    cloudTrailRecord({
      actor: catalogLaunch, time: t(2, 9, 30), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateNotebookInstance',
      userAgent: 'servicecatalog.amazonaws.com',
      requestParameters: {
        notebookInstanceName: 'teama-ds-notebook', instanceType: 'ml.t3.medium', roleArn: iamRoleArn('SageMakerExecRole-ml-product-team'),
        subnetId: 'subnet-0a1b2c3d4e5f60718', securityGroupIds: ['sg-0a1b2c3d4e5f60718'], directInternetAccess: 'Disabled', rootAccess: 'Disabled',
        kmsKeyId: `arn:aws:kms:${R}:${A}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
        tags: [{ key: 'team', value: 'TeamA' }, { key: 'aws:servicecatalog:productArn', value: `arn:aws:catalog:${R}:${A}:product/prod-ds4notebook` }],
      },
      responseElements: { notebookInstanceArn: sm('notebook-instance', 'teama-ds-notebook') },
    }),
    cloudTrailRecord({
      actor: teamBRole, time: t(2, 10, 0), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateNotebookInstance',
      requestParameters: { notebookInstanceName: 'teamb-scratch', instanceType: 'ml.p3.2xlarge', roleArn: iamRoleArn('SageMakerStudioDeveloperTeamBRole'), tags: [{ key: 'team', value: 'TeamB' }] },
      responseElements: { notebookInstanceArn: sm('notebook-instance', 'teamb-scratch') },
    }),
    // Day 1: TeamA's experiment and training jobs, one of them without a VPC
    cloudTrailRecord({
      actor: teamARole, time: t(2, 11, 0), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateExperiment',
      requestParameters: { experimentName: 'USERA1TEAMAEXPERIMENT1', description: 'UserA1 experiment', tags: [{ key: 'team', value: 'TeamA' }] },
      responseElements: { experimentArn: sm('experiment', 'USERA1TEAMAEXPERIMENT1') },
    }),
    createTrainingJob({ actor: teamARole, time: t(2, 11, 30), region: R, jobName: 'churn-v7', team: 'TeamA', vpc: false }),
    createTrainingJob({ actor: teamARole, time: t(2, 12, 0), region: R, jobName: 'churn-v8', team: 'TeamA', vpc: true }),
    createTrainingJob({ actor: teamBRole, time: t(2, 13, 0), region: R, jobName: 'fraud-detect-1', team: 'TeamB', vpc: true, instanceType: 'ml.g5.xlarge' }),
    // Day 2: TeamB tries to delete TeamA's experiment and is denied by the team tag condition
    cloudTrailRecord({
      actor: teamBRole, time: t(3, 9, 15), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'DeleteExperiment',
      requestParameters: { experimentName: 'USERA1TEAMAEXPERIMENT1' },
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:sts::${A}:assumed-role/SageMakerStudioDeveloperTeamBRole/SageMaker is not authorized to perform: sagemaker:DeleteExperiment on resource: ${sm('experiment', 'USERA1TEAMAEXPERIMENT1')}`,
    }),
    // Day 2: user-a2 asks for a Studio URL of user-a1's profile; the studiouserid condition denies it
    presignedUrl(userA2, t(3, 9, 40), 'user-a1', true),
    // …but nothing guards the untagged profile
    presignedUrl(userB1, t(3, 9, 45), 'contractor-x', false),
    // Day 2: the preventive control is rolled out (seed 03: a new version of the notebook product's
    // policy, made the default) and a training job without a VPC is now denied
    cloudTrailRecord({
      actor: catalogLaunch, time: DEMO_PREVENTIVE_CONTROL_TIME, region: R, eventSource: 'iam.amazonaws.com', eventName: 'CreatePolicyVersion',
      userAgent: 'cloudformation.amazonaws.com',
      requestParameters: { policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, policyDocument: JSON.stringify(NOTEBOOK_PRODUCT_POLICY_V2), setAsDefault: true },
      responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true, createDate: 'Nov 3, 2026, 1:50:00 PM' } },
    }),
    cloudTrailRecord({
      actor: teamAExec, time: t(3, 14, 0), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateTrainingJob',
      requestParameters: {
        trainingJobName: 'sagemaker-tensorflow-2026-11-03-14-00-00-880',
        algorithmSpecification: { trainingImage: `763104351884.dkr.ecr.${R}.amazonaws.com/tensorflow-training:2.14-cpu-py310`, trainingInputMode: 'File' },
        roleArn: iamRoleArn('SageMakerExecRole-ml-product-team'),
        resourceConfig: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeInGB: 30 },
        tags: [{ key: 'team', value: 'TeamA' }],
      },
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:sts::${A}:assumed-role/SageMakerExecRole-ml-product-team/SageMaker is not authorized to perform: sagemaker:CreateTrainingJob on resource: ${sm('training-job', 'sagemaker-tensorflow-2026-11-03-14-00-00-880')} with an explicit deny`,
    }),
    createTrainingJob({ actor: teamAExec, time: t(3, 14, 5), region: R, jobName: 'sagemaker-tensorflow-2026-11-03-14-05-12-117', team: 'TeamA', vpc: true }),
    // Day 2: TeamB cleans up its scratch notebook
    cloudTrailRecord({
      actor: teamBRole, time: t(3, 17, 0), region: R, eventSource: 'sagemaker.amazonaws.com', eventName: 'DeleteNotebookInstance',
      requestParameters: { notebookInstanceName: 'teamb-scratch' },
    }),
  ];
}

/** The tag inventory a GetResources call would list at the end of day 2 (deleted notebook gone). */
export function demoTagMappings(): { ResourceARN: string; Tags: { Key: string; Value: string }[] }[] {
  const tags = (o: Record<string, string>) => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));
  return [
    { ResourceARN: sm('domain', DEMO_DOMAIN_ID), Tags: tags({ team: 'platform' }) },
    { ResourceARN: sm('user-profile', `${DEMO_DOMAIN_ID}/user-a1`), Tags: tags({ team: 'TeamA', studiouserid: 'user-a1' }) },
    { ResourceARN: sm('user-profile', `${DEMO_DOMAIN_ID}/user-a2`), Tags: tags({ team: 'TeamA', studiouserid: 'user-a2' }) },
    { ResourceARN: sm('user-profile', `${DEMO_DOMAIN_ID}/user-b1`), Tags: tags({ team: 'TeamB', studiouserid: 'user-b1' }) },
    { ResourceARN: sm('user-profile', `${DEMO_DOMAIN_ID}/contractor-x`), Tags: tags({ team: 'TeamB' }) },
    { ResourceARN: sm('notebook-instance', 'teama-ds-notebook'), Tags: tags({ team: 'TeamA', 'aws:servicecatalog:productArn': `arn:aws:catalog:${R}:${A}:product/prod-ds4notebook` }) },
    { ResourceARN: sm('experiment', 'USERA1TEAMAEXPERIMENT1'), Tags: tags({ team: 'TeamA' }) },
    { ResourceARN: sm('training-job', 'churn-v7'), Tags: tags({ team: 'TeamA', project: 'churn' }) },
    { ResourceARN: sm('training-job', 'churn-v8'), Tags: tags({ team: 'TeamA', project: 'churn' }) },
    { ResourceARN: sm('training-job', 'fraud-detect-1'), Tags: tags({ team: 'TeamB' }) },
    { ResourceARN: sm('training-job', 'sagemaker-tensorflow-2026-11-03-14-05-12-117'), Tags: tags({ team: 'TeamA' }) },
    // created before govgraph watched this account: only the inventory knows it
    { ResourceARN: sm('model', 'churn-model-v6'), Tags: tags({ team: 'TeamA' }) },
    { ResourceARN: `arn:aws:s3:::ml-artifacts-${A}`, Tags: tags({ team: 'platform' }) },
  ];
}
