/**
 * The demo's IAM, as `aws iam get-account-authorization-details` would save it on the story's
 * first morning (documents decoded, dates ISO): the seeds' ABAC team roles with the three Studio
 * policies, IAM users bound to their Studio profiles by `studiouserid`, the admin's user-profile
 * policy, the notebook execution role with the Service Catalog product's policy, the Service
 * Catalog launch role, a legacy ad-hoc training role, and two groups. Every value is written by
 * govgraph from the seeds' story.
 *
 * On day 2 the platform team rolls out the preventive control: a CreatePolicyVersion of the
 * product policy (setAsDefault) adds the explicit Deny of CreateTrainingJob without a VPC
 * (`demoPreventiveControlRollout` in story.ts). The legacy role never gets it.
 */
// story.ts's DEMO_ACCOUNT (story.ts imports this module, so the value is not imported back)
const A = '111122223333';

/** When the demo's IAM snapshot was taken: after the day-1 setup of roles and users. */
export const DEMO_IAM_SNAPSHOT_TIME = new Date('2026-11-02T08:30:00Z');
/** When the preventive control's policy version became the default. */
export const DEMO_PREVENTIVE_CONTROL_TIME = new Date('2026-11-03T13:50:00Z');

export const policyArn = (name: string) => `arn:aws:iam::${A}:policy/${name}`;
const roleArn = (name: string, path = '/') => `arn:aws:iam::${A}:role${path}${name}`;
const userArn = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const groupArn = (name: string) => `arn:aws:iam::${A}:group/${name}`;
const ARTIFACTS_BUCKET = `arn:aws:s3:::ml-artifacts-${A}`;

type Doc = { Version: string; Statement: Record<string, unknown>[] };
const doc = (...Statement: Record<string, unknown>[]): Doc => ({ Version: '2012-10-17', Statement });

/** Seed 05, policy 1: Amazon SageMaker read-only access. */
export const SAGEMAKER_READ_ONLY = doc(
  { Sid: 'AmazonSageMakerDescribeReadyOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:Describe*', 'sagemaker:GetSearchSuggestions'], Resource: '*' },
  { Sid: 'AmazonSageMakerListOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:List*'], Resource: '*' },
  { Sid: 'AmazonSageMakerUIandMetricsOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:*App', 'sagemaker:Search', 'sagemaker:RenderUiTemplate', 'sagemaker:BatchGetMetrics'], Resource: '*' },
  {
    Sid: 'AmazonSageMakerEC2ReadOnlyPolicy', Effect: 'Allow',
    Action: ['ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeVpcs'],
    Resource: '*',
  },
  { Sid: 'AmazonSageMakerIAMReadOnlyPolicy', Effect: 'Allow', Action: ['iam:ListRoles'], Resource: '*' },
);

/** Seed 05, policy 2: access for supporting services (S3 limited to the artifacts bucket). */
export const SAGEMAKER_SUPPORTING_SERVICES = doc(
  {
    Sid: 'AmazonSageMakerCRUDAccessS3Policy', Effect: 'Allow',
    Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:CreateBucket', 's3:ListBucket', 's3:PutBucketCORS', 's3:ListAllMyBuckets', 's3:GetBucketCORS', 's3:GetBucketLocation'],
    Resource: [ARTIFACTS_BUCKET, `${ARTIFACTS_BUCKET}/*`],
  },
  { Sid: 'AmazonSageMakerReadOnlyAccessKMSPolicy', Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:ListAliases'], Resource: '*' },
  {
    Sid: 'AmazonSageMakerCRUDAccessECRPolicy', Effect: 'Allow',
    Action: ['ecr:Set*', 'ecr:CompleteLayerUpload', 'ecr:Batch*', 'ecr:Upload*', 'ecr:InitiateLayerUpload', 'ecr:Put*', 'ecr:Describe*', 'ecr:CreateRepository', 'ecr:Get*', 'ecr:StartImageScan'],
    Resource: '*',
  },
  {
    Sid: 'AmazonSageMakerCRUDAccessCloudWatchPolicy', Effect: 'Allow',
    Action: ['cloudwatch:Put*', 'cloudwatch:Get*', 'cloudwatch:List*', 'cloudwatch:DescribeAlarms', 'logs:Put*', 'logs:Get*', 'logs:List*', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:ListLogDeliveries', 'logs:Describe*', 'logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery'],
    Resource: '*',
  },
);

/** Seed 05, policy 3: Studio developer access, with the ABAC conditions on the team tag. */
export const SAGEMAKER_STUDIO_DEVELOPER = doc(
  { Sid: 'AmazonSageMakerStudioCreateApp', Effect: 'Allow', Action: ['sagemaker:CreateApp'], Resource: '*' },
  { Sid: 'AmazonSageMakerStudioIAMPassRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: '*' },
  { Sid: 'AmazonSageMakerInvokeEndPointRole', Effect: 'Allow', Action: ['sagemaker:InvokeEndpoint'], Resource: '*' },
  { Sid: 'AmazonSageMakerAddTags', Effect: 'Allow', Action: ['sagemaker:AddTags'], Resource: '*' },
  {
    Sid: 'AmazonSageMakerCreate', Effect: 'Allow', Action: ['sagemaker:Create*'], Resource: '*',
    Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] }, StringEqualsIfExists: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' } },
  },
  {
    Sid: 'AmazonSageMakerUpdateDeleteExecutePolicy', Effect: 'Allow',
    Action: ['sagemaker:Delete*', 'sagemaker:Stop*', 'sagemaker:Update*', 'sagemaker:Start*', 'sagemaker:DisassociateTrialComponent', 'sagemaker:AssociateTrialComponent', 'sagemaker:BatchPutMetrics'],
    Resource: '*',
    Condition: { StringEquals: { 'aws:PrincipalTag/team': '${sagemaker:ResourceTag/team}' } },
  },
);

/** Seed 05: Studio access only to the user's own profile (IAM users). */
export const SAGEMAKER_PRESIGNED_URL = doc({
  Sid: 'AmazonSageMakerPresignedUrlPolicy', Effect: 'Allow', Action: ['sagemaker:CreatePresignedDomainUrl'], Resource: '*',
  Condition: { StringEquals: { 'sagemaker:ResourceTag/studiouserid': '${aws:username}' } },
});

/** Seed 05: the admin must tag every Studio user profile with studiouserid. */
export const SAGEMAKER_CREATE_USER_PROFILE = doc({
  Sid: 'CreateSageMakerStudioUserProfilePolicy', Effect: 'Allow', Action: 'sagemaker:CreateUserProfile', Resource: '*',
  Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['studiouserid'] } },
});

/** The admin persona: any IAM resource, read and describe SageMaker. */
const PLATFORM_ADMINISTRATION = doc(
  { Sid: 'ManageIam', Effect: 'Allow', Action: 'iam:*', Resource: '*' },
  { Sid: 'ReadSageMaker', Effect: 'Allow', Action: ['sagemaker:Describe*', 'sagemaker:List*', 'sagemaker:CreateDomain'], Resource: '*' },
);

/** Version 1 of the Service Catalog notebook product's policy for the notebook execution role (seed 03, before). */
export const NOTEBOOK_PRODUCT_POLICY_V1 = doc(
  {
    Sid: 'SageMakerJobs', Effect: 'Allow',
    Action: ['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:CreateModel', 'sagemaker:AddTags', 'sagemaker:Describe*', 'sagemaker:List*', 'sagemaker:Stop*'],
    Resource: '*',
  },
  { Sid: 'ArtifactsBucket', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'], Resource: [ARTIFACTS_BUCKET, `${ARTIFACTS_BUCKET}/*`] },
  {
    Sid: 'PassOwnRoleToSageMaker', Effect: 'Allow', Action: 'iam:PassRole', Resource: roleArn('SageMakerExecRole-ml-product-team'),
    Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  },
  { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'cloudwatch:PutMetricData'], Resource: '*' },
);

/** Version 2 (seed 03, the preventive control): no training job without a VPC. */
export const NOTEBOOK_PRODUCT_POLICY_V2 = doc(...NOTEBOOK_PRODUCT_POLICY_V1.Statement, {
  Sid: 'DenyTrainingWithoutVpc', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*',
  Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
});

export const NOTEBOOK_PRODUCT_POLICY_ARN = policyArn('SageMakerNotebookProductPolicy');

const TRUST = (service: string) => doc({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });
const iso = (d: string) => `${d}+00:00`;
const tags = (o: Record<string, string>) => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));
const attached = (...names: string[]) => names.map((n) => ({ PolicyName: n, PolicyArn: policyArn(n) }));

function managedPolicy(name: string, created: string, versions: { id: string; document: Doc; created: string }[], attachments: number, description: string) {
  const latest = versions[versions.length - 1];
  return {
    PolicyName: name,
    PolicyId: `ANPA6ODU5QAH${name.replace(/[^A-Za-z]/g, '').toUpperCase().slice(0, 9)}`,
    Arn: policyArn(name),
    Path: '/',
    DefaultVersionId: latest.id,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: description,
    CreateDate: iso(created),
    UpdateDate: iso(latest.created),
    PolicyVersionList: versions.map((v) => ({ Document: v.document, VersionId: v.id, IsDefaultVersion: v === latest, CreateDate: iso(v.created) })),
  };
}

function studioUser(name: string, team: string, id: string, created: string) {
  return {
    Path: '/', UserName: name, UserId: id, Arn: userArn(name), CreateDate: iso(created),
    GroupList: ['studio-users'],
    AttachedManagedPolicies: attached('SageMakerPresignedUrlPolicy'),
    Tags: tags({ team, studiouserid: name }),
  };
}

function teamRole(name: string, team: string, id: string, created: string) {
  return {
    Path: '/', RoleName: name, RoleId: id, Arn: roleArn(name), CreateDate: iso(created),
    AssumeRolePolicyDocument: TRUST('sagemaker.amazonaws.com'),
    InstanceProfileList: [],
    RolePolicyList: [],
    AttachedManagedPolicies: attached('SageMakerReadOnlyAccess', 'SageMakerSupportingServicesAccess', 'SageMakerStudioDeveloperAccess'),
    Tags: tags({ team }),
    RoleLastUsed: {},
  };
}

/** The demo account's authorization details, in the AWS CLI's JSON shape. */
export function demoAuthorizationDetails(): Record<string, unknown> {
  return {
    UserDetailList: [
      {
        Path: '/', UserName: 'platform-admin', UserId: 'AIDA6ODU5QAHEXAMPLE1', Arn: userArn('platform-admin'), CreateDate: iso('2026-09-15T09:00:00'),
        GroupList: ['platform-admins'],
        AttachedManagedPolicies: attached('SageMakerCreateUserProfilePolicy'),
        Tags: tags({ team: 'platform' }),
      },
      studioUser('user-a1', 'TeamA', 'AIDA6ODU5QAHEXAMPLEA1', '2026-11-02T08:05:00'),
      studioUser('user-a2', 'TeamA', 'AIDA6ODU5QAHEXAMPLEA2', '2026-11-02T08:06:00'),
      studioUser('user-b1', 'TeamB', 'AIDA6ODU5QAHEXAMPLEB1', '2026-11-02T08:07:00'),
    ],
    GroupDetailList: [
      {
        Path: '/', GroupName: 'platform-admins', GroupId: 'AGPA6ODU5QAHPLATFORM1', Arn: groupArn('platform-admins'), CreateDate: iso('2026-09-15T08:55:00'),
        GroupPolicyList: [],
        AttachedManagedPolicies: attached('PlatformAdministration'),
      },
      {
        Path: '/', GroupName: 'studio-users', GroupId: 'AGPA6ODU5QAHSTUDIOUS1', Arn: groupArn('studio-users'), CreateDate: iso('2026-10-20T10:00:00'),
        GroupPolicyList: [
          {
            PolicyName: 'StudioDomainAccess',
            PolicyDocument: doc({ Sid: 'FindOwnProfile', Effect: 'Allow', Action: ['sagemaker:DescribeDomain', 'sagemaker:ListUserProfiles', 'sagemaker:DescribeUserProfile'], Resource: '*' }),
          },
        ],
        AttachedManagedPolicies: attached('SageMakerReadOnlyAccess'),
      },
    ],
    RoleDetailList: [
      teamRole('SageMakerStudioDeveloperTeamARole', 'TeamA', 'AROA6ODU5QAHTEAMAROLE', '2026-11-02T08:00:00'),
      teamRole('SageMakerStudioDeveloperTeamBRole', 'TeamB', 'AROA6ODU5QAHTEAMBROLE', '2026-11-02T08:01:00'),
      {
        Path: '/', RoleName: 'SageMakerExecRole-ml-product-team', RoleId: 'AROA6ODU5QAHEXECROLEA', Arn: roleArn('SageMakerExecRole-ml-product-team'), CreateDate: iso('2026-11-02T08:02:00'),
        AssumeRolePolicyDocument: TRUST('sagemaker.amazonaws.com'),
        InstanceProfileList: [],
        RolePolicyList: [],
        AttachedManagedPolicies: attached('SageMakerNotebookProductPolicy'),
        Tags: tags({ team: 'TeamA' }),
        RoleLastUsed: {},
      },
      {
        Path: '/', RoleName: `SC-${A}-ProductLaunchRole`, RoleId: 'AROA6ODU5QAHSCLAUNCH1', Arn: roleArn(`SC-${A}-ProductLaunchRole`), CreateDate: iso('2026-10-01T12:00:00'),
        AssumeRolePolicyDocument: TRUST('servicecatalog.amazonaws.com'),
        InstanceProfileList: [],
        RolePolicyList: [
          {
            PolicyName: 'LaunchApprovedNotebooks',
            PolicyDocument: doc(
              { Sid: 'Notebooks', Effect: 'Allow', Action: ['sagemaker:CreateNotebookInstance', 'sagemaker:DescribeNotebookInstance', 'sagemaker:AddTags', 'sagemaker:DeleteNotebookInstance', 'sagemaker:StopNotebookInstance'], Resource: '*' },
              { Sid: 'ProductRoles', Effect: 'Allow', Action: ['iam:CreateRole', 'iam:AttachRolePolicy', 'iam:PassRole', 'iam:CreatePolicyVersion'], Resource: '*' },
              { Sid: 'Templates', Effect: 'Allow', Action: ['cloudformation:*', 's3:GetObject'], Resource: '*' },
            ),
          },
        ],
        AttachedManagedPolicies: [],
        Tags: tags({ team: 'platform' }),
        RoleLastUsed: {},
      },
      {
        Path: '/legacy/', RoleName: 'ml-legacy-adhoc-training', RoleId: 'AROA6ODU5QAHLEGACY001', Arn: roleArn('ml-legacy-adhoc-training', '/legacy/'), CreateDate: iso('2025-06-12T15:30:00'),
        AssumeRolePolicyDocument: TRUST('sagemaker.amazonaws.com'),
        InstanceProfileList: [],
        RolePolicyList: [
          {
            PolicyName: 'AdHocTraining',
            PolicyDocument: doc(
              { Sid: 'TrainAnything', Effect: 'Allow', Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:AddTags'], Resource: '*' },
              { Sid: 'PassAnyRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
              { Sid: 'AnyBucket', Effect: 'Allow', Action: 's3:*', Resource: '*' },
            ),
          },
        ],
        AttachedManagedPolicies: [],
        Tags: tags({ team: 'TeamB' }),
        RoleLastUsed: {},
      },
    ],
    Policies: [
      managedPolicy('SageMakerReadOnlyAccess', '2026-10-20T09:00:00', [{ id: 'v1', document: SAGEMAKER_READ_ONLY, created: '2026-10-20T09:00:00' }], 3, 'Seed policy 1: list and describe SageMaker resources'),
      managedPolicy('SageMakerSupportingServicesAccess', '2026-10-20T09:01:00', [{ id: 'v1', document: SAGEMAKER_SUPPORTING_SERVICES, created: '2026-10-20T09:01:00' }], 2, 'Seed policy 2: S3, ECR, CloudWatch and KMS for SageMaker'),
      managedPolicy('SageMakerStudioDeveloperAccess', '2026-10-20T09:02:00', [{ id: 'v1', document: SAGEMAKER_STUDIO_DEVELOPER, created: '2026-10-20T09:02:00' }], 2, 'Seed policy 3: Studio developer access with team-tag ABAC'),
      managedPolicy('SageMakerPresignedUrlPolicy', '2026-10-20T09:03:00', [{ id: 'v1', document: SAGEMAKER_PRESIGNED_URL, created: '2026-10-20T09:03:00' }], 3, 'Studio only through the profile tagged with your user name'),
      managedPolicy('SageMakerCreateUserProfilePolicy', '2026-10-20T09:04:00', [{ id: 'v1', document: SAGEMAKER_CREATE_USER_PROFILE, created: '2026-10-20T09:04:00' }], 1, 'User profiles must carry studiouserid'),
      managedPolicy('PlatformAdministration', '2026-09-15T08:50:00', [{ id: 'v1', document: PLATFORM_ADMINISTRATION, created: '2026-09-15T08:50:00' }], 1, 'The platform team: IAM, and SageMaker read'),
      managedPolicy('SageMakerNotebookProductPolicy', '2026-10-01T12:05:00', [{ id: 'v1', document: NOTEBOOK_PRODUCT_POLICY_V1, created: '2026-10-01T12:05:00' }], 1, 'Service Catalog notebook product: the notebook execution role'),
    ],
  };
}
