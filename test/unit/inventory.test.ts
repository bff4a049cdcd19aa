import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveInventoryEffects } from '../../src/domain/cloudtrail/inventory';
import { normalizeCloudTrailRecord } from '../../src/domain/cloudtrail/normalize';
import { extractTouchedResources } from '../../src/domain/cloudtrail/resources';

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples', 'aws');
const haveSamples = fs.existsSync(SAMPLES);
if (!haveSamples) console.warn(`inventory.test: ${SAMPLES} is absent, the tests on published records are skipped`);
const describeWithSamples = haveSamples ? describe : describe.skip;

type Json = Record<string, unknown>;

/** The first published record in `file` that `pick` accepts; EventBridge envelopes give their `detail`. */
function sample(file: string, pick: (record: Json) => boolean): Json {
  const lines = fs.readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const records = lines.map((l) => JSON.parse(l) as Json).map((v) => (typeof v.detail === 'object' && v.detail !== null ? (v.detail as Json) : v));
  const found = records.find(pick);
  if (!found) throw new Error(`no record in ${file} matches`);
  return found;
}

function effectsOf(record: Json) {
  return deriveInventoryEffects(record, extractTouchedResources(record));
}

const ACCOUNT = '111122223333';

/** A Team B data scientist's Studio session, as SageMaker calls record it. */
const TEAM_B_SESSION: Json = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLETEAMBROLE1:bob',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/TeamBDataScientist/bob`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEBOBKEY123',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLETEAMBROLE1',
      arn: `arn:aws:iam::${ACCOUNT}:role/TeamBDataScientist`,
      accountId: ACCOUNT,
      userName: 'TeamBDataScientist',
    },
    attributes: { creationDate: '2024-05-02T09:58:11Z', mfaAuthenticated: 'false' },
  },
  invokedBy: 'studio.sagemaker.amazonaws.com',
};

/** The envelope every SageMaker call shares; tests give the call-specific parts. */
function sageMakerCall(eventName: string, parts: Json): Json {
  return {
    eventVersion: '1.08',
    userIdentity: TEAM_B_SESSION,
    eventTime: '2024-05-02T10:15:30Z',
    eventSource: 'sagemaker.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: 'studio.sagemaker.amazonaws.com',
    userAgent: 'studio.sagemaker.amazonaws.com',
    requestID: '8f3c1b2a-6d4e-4f7a-9b1c-2e5d7a9c0f13',
    eventID: 'e1d2c3b4-7f6a-4a5b-8c7d-6e5f4a3b2c1d',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    responseElements: null,
    ...parts,
  };
}

function iamCall(eventName: string, requestParameters: Json, responseElements: Json | null = null): Json {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLEPLATFORM1', arn: `arn:aws:iam::${ACCOUNT}:user/platform-admin`, accountId: ACCOUNT, userName: 'platform-admin' },
    eventTime: '2024-05-02T11:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    requestParameters,
    responseElements,
    eventID: '0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d',
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

describe('SageMaker calls', () => {
  it('CreateTrainingJob creates the job with the tags it was created with, keeping the caller\'s spelling of its name', () => {
    // Arrange
    const record = sageMakerCall('CreateTrainingJob', {
      requestParameters: {
        trainingJobName: 'Churn-V7',
        algorithmSpecification: { trainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', trainingInputMode: 'File' },
        roleArn: `arn:aws:iam::${ACCOUNT}:role/TeamBSageMakerExecution`,
        inputDataConfig: [{ channelName: 'train', dataSource: { s3DataSource: { s3DataType: 'S3Prefix', s3Uri: 's3://team-b-data/churn/train/' } } }],
        outputDataConfig: { s3OutputPath: 's3://team-b-data/churn/output/' },
        resourceConfig: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeInGB: 30, volumeKmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
        vpcConfig: { securityGroupIds: ['sg-0123456789abcdef0'], subnets: ['subnet-0123456789abcdef0'] },
        stoppingCondition: { maxRuntimeInSeconds: 86400 },
        enableNetworkIsolation: true,
        tags: [
          { key: 'team', value: 'TeamB' },
          { key: 'project', value: 'churn' },
        ],
      },
      responseElements: { trainingJobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v7` },
    });

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.resources).toEqual([
      { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v7`, name: 'Churn-V7', via: 'responseElements' },
    ]);
    expect(event.effects).toEqual([
      {
        kind: 'create',
        arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v7`,
        name: 'Churn-V7',
        tags: { team: 'TeamB', project: 'churn' },
      },
    ]);
  });

  it('CreateTrainingJob without a recorded ARN creates the job under the ARN built from its name', () => {
    // Arrange
    const record = sageMakerCall('CreateTrainingJob', { requestParameters: { trainingJobName: 'Churn-V8', tags: [{ Key: 'team', Value: 'TeamB' }] } });

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([
      { kind: 'create', arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v8`, name: 'Churn-V8', tags: { team: 'TeamB' } },
    ]);
  });

  it('AddTags sets tags on the resource it names', () => {
    // Arrange
    const experimentArn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1`;
    const record = sageMakerCall('AddTags', {
      requestParameters: { resourceArn: experimentArn, tags: [{ key: 'team', value: 'TeamA' }] },
      responseElements: { tags: [{ key: 'team', value: 'TeamA' }] },
    });

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.resources).toEqual([{ arn: experimentArn, name: null, via: 'requestParameters' }]);
    expect(event.effects).toEqual([{ kind: 'tag', arn: experimentArn, set: { team: 'TeamA' }, remove: [] }]);
  });

  it('DeleteTags removes the tag keys it names and deletes nothing', () => {
    // Arrange
    const endpointArn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/churn-scoring`;
    const record = sageMakerCall('DeleteTags', { requestParameters: { resourceArn: endpointArn, tagKeys: ['team', 'cost-center'] } });

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'tag', arn: endpointArn, set: {}, remove: ['team', 'cost-center'] }]);
  });

  it("a denied DeleteExperiment changes nothing, yet the experiment still counts as touched", () => {
    // Arrange: Team B trying to delete Team A's experiment
    const record = sageMakerCall('DeleteExperiment', {
      requestParameters: { experimentName: 'USERA1TEAMAEXPERIMENT1' },
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:sts::${ACCOUNT}:assumed-role/TeamBDataScientist/bob is not authorized to perform: sagemaker:DeleteExperiment on resource: arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1 because no identity-based policy allows the sagemaker:DeleteExperiment action`,
    });

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.errorCode).toBe('AccessDenied');
    expect(event.effects).toEqual([]);
    expect(event.resources).toEqual([
      { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1`, name: 'USERA1TEAMAEXPERIMENT1', via: 'requestParameters' },
    ]);
    expect(event.principal).toMatchObject({ arn: `arn:aws:iam::${ACCOUNT}:role/TeamBDataScientist`, type: 'ROLE' });
  });

  it('a successful DeleteExperiment deletes the experiment', () => {
    // Arrange
    const record = sageMakerCall('DeleteExperiment', {
      requestParameters: { experimentName: 'USERA1TEAMAEXPERIMENT1' },
      responseElements: { experimentArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1` },
    });

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'delete', arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1` }]);
  });

  it('CreateUserProfile creates the Studio profile under its domain with its studiouserid tag', () => {
    // Arrange
    const profileArn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abc123xyz789/alice`;
    const record = sageMakerCall('CreateUserProfile', {
      requestParameters: {
        domainId: 'd-abc123xyz789',
        userProfileName: 'alice',
        userSettings: { executionRole: `arn:aws:iam::${ACCOUNT}:role/TeamAStudioExecution` },
        tags: [
          { key: 'studiouserid', value: 'alice' },
          { key: 'team', value: 'TeamA' },
        ],
      },
      responseElements: { userProfileArn: profileArn },
    });

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.effects).toEqual([{ kind: 'create', arn: profileArn, name: 'alice', tags: { studiouserid: 'alice', team: 'TeamA' } }]);
    expect(event.resources).toEqual(
      expect.arrayContaining([
        { arn: profileArn, name: 'alice', via: 'responseElements' },
        { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:domain/d-abc123xyz789`, name: 'd-abc123xyz789', via: 'requestParameters' },
      ]),
    );
  });

  it('CreatePresignedDomainUrl touches the domain and the profile but creates nothing', () => {
    // Arrange
    const record = sageMakerCall('CreatePresignedDomainUrl', {
      requestParameters: { domainId: 'd-abc123xyz789', userProfileName: 'Alice', sessionExpirationDurationInSeconds: 43200, expiresInSeconds: 300 },
      responseElements: { authorizedUrl: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    });

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.effects).toEqual([]);
    expect(event.resources).toEqual([
      { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:domain/d-abc123xyz789`, name: 'd-abc123xyz789', via: 'requestParameters' },
      { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abc123xyz789/alice`, name: 'Alice', via: 'requestParameters' },
    ]);
  });

  it('DeleteUserProfile deletes the profile under its domain', () => {
    // Arrange
    const record = sageMakerCall('DeleteUserProfile', { requestParameters: { domainId: 'd-abc123xyz789', userProfileName: 'alice' } });

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'delete', arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abc123xyz789/alice` }]);
  });
});

describeWithSamples('published SageMaker records', () => {
  it('CreateModel creates the model AWS returned, named as the caller wrote it', () => {
    // Arrange
    const record = sample('awsdocs-sagemaker-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateModel');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([
      { kind: 'create', arn: 'arn:aws:sagemaker:us-west-2:123456789012:model/barkinghappy2018-01-02t15-23-32-275z-ivrdog', name: 'ExampleModel', tags: {} },
    ]);
  });

  it('CreateEndpoint touches the endpoint and the endpoint configuration it names', () => {
    // Arrange
    const record = sample('awsdocs-sagemaker-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateEndpoint');

    // Act
    const touched = extractTouchedResources(record);

    // Assert: the recorded endpoint ARN absorbs the one built from the name (this record's
    // userIdentity and recipient accounts differ); the configuration is built in the recipient account.
    expect(touched).toEqual([
      { arn: 'arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint', name: 'ExampleEndpoint', via: 'responseElements' },
      { arn: 'arn:aws:sagemaker:us-west-2:444455556666:endpoint-config/exampleendpointconfig', name: 'ExampleEndpointConfig', via: 'requestParameters' },
    ]);
  });
});

describe('IAM calls', () => {
  it('CreateRole creates the role under the ARN AWS returned (with its path) and the request\'s tags', () => {
    // Arrange
    const record = iamCall(
      'CreateRole',
      {
        roleName: 'TeamADataScientist',
        path: '/teams/',
        assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        tags: [{ key: 'team', value: 'TeamA' }],
      },
      { role: { path: '/teams/', roleName: 'TeamADataScientist', roleId: 'AROAEXAMPLETEAMAROLE', arn: `arn:aws:iam::${ACCOUNT}:role/teams/TeamADataScientist`, createDate: 'May 2, 2024, 11:00:00 AM' } },
    );

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.effects).toEqual([
      { kind: 'create', arn: `arn:aws:iam::${ACCOUNT}:role/teams/TeamADataScientist`, name: 'TeamADataScientist', tags: { team: 'TeamA' } },
    ]);
    expect(event.resources).toEqual([
      { arn: `arn:aws:iam::${ACCOUNT}:role/teams/TeamADataScientist`, name: 'TeamADataScientist', via: 'responseElements' },
    ]);
  });

  it('TagRole and UntagRole change the tags of the named role', () => {
    // Arrange
    const tag = iamCall('TagRole', { roleName: 'TeamBDataScientist', tags: [{ key: 'team', value: 'TeamB' }] });
    const untag = iamCall('UntagRole', { roleName: 'TeamBDataScientist', tagKeys: ['cost-center'] });

    // Act
    const effects = [...effectsOf(tag), ...effectsOf(untag)];

    // Assert
    expect(effects).toEqual([
      { kind: 'tag', arn: `arn:aws:iam::${ACCOUNT}:role/TeamBDataScientist`, set: { team: 'TeamB' }, remove: [] },
      { kind: 'tag', arn: `arn:aws:iam::${ACCOUNT}:role/TeamBDataScientist`, set: {}, remove: ['cost-center'] },
    ]);
  });

  it('TagUser and TagPolicy tag the user by name and the policy by ARN', () => {
    // Arrange
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/DenyTrainingWithoutVpc`;
    const tagUser = iamCall('TagUser', { userName: 'alice', tags: [{ key: 'team', value: 'TeamA' }] });
    const tagPolicy = iamCall('TagPolicy', { policyArn, tags: [{ key: 'control', value: 'preventive' }] });

    // Act
    const effects = [...effectsOf(tagUser), ...effectsOf(tagPolicy)];

    // Assert
    expect(effects).toEqual([
      { kind: 'tag', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, set: { team: 'TeamA' }, remove: [] },
      { kind: 'tag', arn: policyArn, set: { control: 'preventive' }, remove: [] },
    ]);
  });

  it('CreatePolicy creates the policy; DeletePolicy deletes it', () => {
    // Arrange
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/guardrails/DenyTrainingWithoutVpc`;
    const create = iamCall(
      'CreatePolicy',
      { policyName: 'DenyTrainingWithoutVpc', path: '/guardrails/', policyDocument: '{}', tags: [{ key: 'control', value: 'preventive' }] },
      { policy: { policyName: 'DenyTrainingWithoutVpc', arn: policyArn, path: '/guardrails/', defaultVersionId: 'v1' } },
    );
    const remove = iamCall('DeletePolicy', { policyArn });

    // Act
    const effects = [...effectsOf(create), ...effectsOf(remove)];

    // Assert
    expect(effects).toEqual([
      { kind: 'create', arn: policyArn, name: 'DenyTrainingWithoutVpc', tags: { control: 'preventive' } },
      { kind: 'delete', arn: policyArn },
    ]);
  });

  it.each([
    ['DeleteRolePolicy', { roleName: 'TeamADataScientist', policyName: 'inline-s3' }],
    ['DeleteLoginProfile', { userName: 'alice' }],
    ['DeleteAccessKey', { userName: 'alice', accessKeyId: 'AKIAEXAMPLEKEY000001' }],
    ['PutRolePolicy', { roleName: 'TeamADataScientist', policyName: 'inline-s3', policyDocument: '{}' }],
  ])('%s deletes and creates nothing: it changes a part of the role or user, not the role or user', (eventName, params) => {
    // Arrange
    const record = iamCall(eventName, params);

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([]);
  });

  it('an inline policy name is not a resource', () => {
    // Arrange
    const record = iamCall('PutRolePolicy', { roleName: 'TeamADataScientist', policyName: 'inline-s3', policyDocument: '{}' });

    // Act
    const touched = extractTouchedResources(record);

    // Assert
    expect(touched).toEqual([{ arn: `arn:aws:iam::${ACCOUNT}:role/TeamADataScientist`, name: 'TeamADataScientist', via: 'requestParameters' }]);
  });
});

describeWithSamples('published IAM, S3 and KMS records', () => {
  it('CreateUser creates the user AWS returned', () => {
    // Arrange
    const record = sample('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateUser');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'create', arn: 'arn:aws:iam::123456789012:user/Bob', name: 'Bob', tags: {} }]);
  });

  it('CreateRole creates the role AWS returned', () => {
    // Arrange
    const record = sample('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateRole');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'create', arn: 'arn:aws:iam::123456789012:role/TestRole', name: 'TestRole', tags: {} }]);
  });

  it('a cross-account DeleteBucket by an assumed role deletes the bucket', () => {
    // Arrange
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'DeleteBucket');

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.effects).toEqual([{ kind: 'delete', arn: 'arn:aws:s3:::my-test-bucket-cross-account' }]);
    expect(event.principal).toMatchObject({ arn: 'arn:aws:iam::777788889999:role/AssumeNothing', type: 'ROLE' });
  });

  it('CreateBucket creates the bucket it names', () => {
    // Arrange: the CloudTrail record inside an EventBridge envelope
    const record = sample('cloud-custodian.eventbridge.jsonl', (r) => r.eventName === 'CreateBucket' && (r.requestParameters as Json).bucketName === 'custodian-create-bucket-v4');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'create', arn: 'arn:aws:s3:::custodian-create-bucket-v4', name: 'custodian-create-bucket-v4', tags: {} }]);
  });

  it('KMS TagResource and UntagResource change the key\'s tags (KMS writes tagKey/tagValue)', () => {
    // Arrange
    const keyArn = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const tag = sample('awsdocs-kms-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'TagResource');
    const untag = sample('awsdocs-kms-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'UntagResource');

    // Act
    const effects = [...effectsOf(tag), ...effectsOf(untag)];

    // Assert
    expect(effects).toEqual([
      { kind: 'tag', arn: keyArn, set: { Department: 'IT' }, remove: [] },
      { kind: 'tag', arn: keyArn, set: {}, remove: ['Dept'] },
    ]);
  });

  it('CloudFront TagResource reads its tags from an items list', () => {
    // Arrange
    const record = sample('cloud-custodian.eventbridge.jsonl', (r) => r.eventSource === 'cloudfront.amazonaws.com' && r.eventName === 'TagResource');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([{ kind: 'tag', arn: 'arn:aws:cloudfront::351936369470:distribution/E53370FUHBNLK', set: { WAF: 'Internal' }, remove: [] }]);
  });

  it('a failed create (EntityAlreadyExists) has no effect', () => {
    // Arrange
    const record = sample('streamalert.cloudtrail.jsonl', (r) => r.errorCode === 'EntityAlreadyExists');

    // Act
    const effects = effectsOf(record);

    // Assert
    expect(effects).toEqual([]);
  });
});

describe('extractTouchedResources', () => {
  it('reads resources[] under both ARN and arn keys, trims them and lists each ARN once', () => {
    // Arrange
    const bucketArn = 'arn:aws:s3:::team-a-training-data';
    const record = {
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: 'us-east-1',
      recipientAccountId: ACCOUNT,
      requestParameters: { bucketName: 'team-a-training-data', key: 'churn/train.csv', Host: 'team-a-training-data.s3.us-east-1.amazonaws.com' },
      resources: [
        { type: 'AWS::S3::Object', ARN: ' arn:aws:s3:::team-a-training-data/churn/train.csv' },
        { accountId: ACCOUNT, type: 'AWS::S3::Bucket', arn: bucketArn },
        { type: 'AWS::S3::Bucket', ARN: bucketArn },
        { type: 'placeholder', ARN: '...' },
      ],
    };

    // Act
    const touched = extractTouchedResources(record);

    // Assert
    expect(touched).toEqual([
      { arn: 'arn:aws:s3:::team-a-training-data/churn/train.csv', name: 'churn/train.csv', via: 'resources' },
      { arn: bucketArn, name: 'team-a-training-data', via: 'resources' },
    ]);
  });

  it('finds ARNs anywhere in responseElements', () => {
    // Arrange
    const record = {
      eventSource: 'sagemaker.amazonaws.com',
      eventName: 'CreateEndpointConfig',
      awsRegion: 'us-east-1',
      recipientAccountId: ACCOUNT,
      requestParameters: { endpointConfigName: 'churn-config', kmsKeyId: 'alias/team-b' },
      responseElements: { endpointConfigArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint-config/churn-config`, nested: [{ deep: { arn: `arn:aws:iam::${ACCOUNT}:role/x` } }] },
    };

    // Act
    const arns = extractTouchedResources(record).map((r) => r.arn);

    // Assert
    expect(arns).toEqual([`arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint-config/churn-config`, `arn:aws:iam::${ACCOUNT}:role/x`]);
  });

  it('takes the account from userIdentity when the record has no recipientAccountId', () => {
    // Arrange
    const record = sageMakerCall('DescribeTrainingJob', { recipientAccountId: undefined, requestParameters: { trainingJobName: 'Churn-V7' } });

    // Act
    const touched = extractTouchedResources(record);

    // Assert
    expect(touched).toEqual([{ arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v7`, name: 'Churn-V7', via: 'requestParameters' }]);
  });

  it('builds nothing from placeholder names, and does not throw on odd shapes', () => {
    // Arrange
    const records = [
      { eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', awsRegion: 'us-east-1', requestParameters: { bucketName: '...' } },
      { eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateModel', requestParameters: { modelName: 'm1' } },
      { eventSource: 'iam.amazonaws.com', eventName: 'EnableMFADevice', recipientAccountId: ACCOUNT, requestParameters: { userName: 'AWS ROOT USER' } },
      { resources: 'none', responseElements: 'text', requestParameters: [1, 2] },
    ];

    // Act
    const touched = records.map((r) => extractTouchedResources(r));

    // Assert
    expect(touched).toEqual([[], [], [], []]);
  });
});

describeWithSamples('extractTouchedResources on published records', () => {
  it('does not count the session an AssumeRole issued as a touched resource, only the role', () => {
    // Arrange
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'AssumeRoleWithSAML');

    // Act
    const arns = extractTouchedResources(record).map((r) => r.arn);

    // Assert
    expect(arns).toEqual(['arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth', 'arn:aws:iam::444455556666:saml-provider/test-saml-provider']);
  });

  it('lists a KMS key named in both resources[] and the response once', () => {
    // Arrange
    const record = sample('awsdocs-kms-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateKey');

    // Act
    const touched = extractTouchedResources(record);

    // Assert
    expect(touched).toEqual([{ arn: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', name: null, via: 'resources' }]);
  });
});
