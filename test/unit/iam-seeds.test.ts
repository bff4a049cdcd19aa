/**
 * The guard rails of the acceptance stories, as policies, with the outcomes the stories state:
 * Studio team isolation with ABAC, the preventive control on training jobs without a VPC, and the
 * per-user S3 home prefix restricted to the corporate network.
 */
import { buildAuthorizationRequest, type PrincipalFacts, type RequestFacts } from '../../src/domain/iam/context';
import { evaluateRequest } from '../../src/domain/iam/evaluate';
import { parsePolicyDocument } from '../../src/domain/iam/policy-document';
import type { Decision, PolicyKind, SourcedPolicy } from '../../src/domain/iam/types';

const ACCOUNT = '111122223333';
const AT = new Date('2026-11-10T09:00:00Z');

function policy(name: string, statements: object[], kind: PolicyKind = 'MANAGED'): SourcedPolicy {
  return {
    source: { kind, policyArn: kind === 'MANAGED' ? `arn:aws:iam::${ACCOUNT}:policy/${name}` : null, policyName: name, versionId: kind === 'MANAGED' ? 'v1' : null },
    document: parsePolicyDocument({ Version: '2012-10-17', Statement: statements }),
  };
}

function decide(facts: Omit<RequestFacts, 'at'>, policies: SourcedPolicy[], extra: Partial<Parameters<typeof evaluateRequest>[0]> = {}): Decision {
  return evaluateRequest({ request: buildAuthorizationRequest({ ...facts, at: AT }), identityPolicies: policies, ...extra });
}

const user = (name: string, tags: Record<string, string> = {}): PrincipalFacts => ({
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
  type: 'IAM_USER',
  accountId: ACCOUNT,
  name,
  userId: `AIDA${name.toUpperCase()}EXAMPLE`,
  tags,
});

const role = (name: string, tags: Record<string, string> = {}): PrincipalFacts => ({ arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, type: 'ROLE', accountId: ACCOUNT, name, tags });

describe('Studio team isolation with ABAC (seed 05)', () => {
  const userProfile = (name: string, studiouserid: string) => ({ arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abc123/${name}`, tags: { studiouserid } });

  describe('the admin may create a user profile only with the studiouserid tag', () => {
    const admin = policy('CreateStudioUserProfile', [
      { Sid: 'CreateSageMakerStudioUserProfilePolicy', Effect: 'Allow', Action: 'sagemaker:CreateUserProfile', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['studiouserid'] } } },
    ]);
    it.each([
      [{ studiouserid: 'usera1' }, 'ALLOWED'],
      [{ studiouserid: 'usera1', team: 'TeamA' }, 'ALLOWED'],
      [{ team: 'TeamA' }, 'IMPLICIT_DENY'],
      [{}, 'IMPLICIT_DENY'],
    ])('tags %j → %s', (requestTags, expected) => {
      const decision = decide({ principal: user('studio-admin'), resource: { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abc123/usera1` }, action: 'sagemaker:CreateUserProfile', requestTags }, [admin]);
      expect(decision.decision).toBe(expected);
    });
  });

  describe('a presigned domain URL only for the profile tagged with your own identity', () => {
    const forIamUsers = policy('PresignedUrlIamUsers', [
      { Sid: 'AmazonSageMakerPresignedUrlPolicy', Effect: 'Allow', Action: ['sagemaker:CreatePresignedDomainUrl'], Resource: '*', Condition: { StringEquals: { 'sagemaker:ResourceTag/studiouserid': '${aws:username}' } } },
    ]);
    const forFederation = policy('PresignedUrlFederated', [
      { Sid: 'AmazonSageMakerPresignedUrlPolicy', Effect: 'Allow', Action: ['sagemaker:CreatePresignedDomainUrl'], Resource: '*', Condition: { StringEquals: { 'sagemaker:ResourceTag/studiouserid': '${aws:PrincipalTag/studiouserid}' } } },
    ]);

    it('lets IAM user usera1 open the usera1 profile and not usera2 open it', () => {
      // Act
      const own = decide({ principal: user('usera1'), resource: userProfile('usera1', 'usera1'), action: 'sagemaker:CreatePresignedDomainUrl' }, [forIamUsers]);
      const other = decide({ principal: user('usera2'), resource: userProfile('usera1', 'usera1'), action: 'sagemaker:CreatePresignedDomainUrl' }, [forIamUsers]);

      // Assert
      expect(own.decision).toBe('ALLOWED');
      expect(other.decision).toBe('IMPLICIT_DENY');
      expect(other.decidingStatements.map((s) => s.statement.sid)).toEqual(['AmazonSageMakerPresignedUrlPolicy']);
    });

    it('denies a role session with the IAM-user policy, as it has no aws:username', () => {
      const decision = decide({ principal: role('StudioFederated', { studiouserid: 'usera1' }), resource: userProfile('usera1', 'usera1'), action: 'sagemaker:CreatePresignedDomainUrl' }, [forIamUsers]);
      expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', missingContextKeys: ['aws:username'] });
    });

    it.each([
      ['usera1', 'ALLOWED'],
      ['usera2', 'IMPLICIT_DENY'],
      [null, 'IMPLICIT_DENY'],
    ])('federated session tagged studiouserid=%s on the usera1 profile → %s', (tag, expected) => {
      const principal = role('StudioFederated', tag ? { studiouserid: tag } : {});
      const decision = decide({ principal, resource: userProfile('usera1', 'usera1'), action: 'sagemaker:CreatePresignedDomainUrl' }, [forFederation]);
      expect(decision.decision).toBe(expected);
    });
  });

  describe("the trust policy's transitive tag keys", () => {
    const samlProvider = `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`;
    const trust = policy('StudioFederatedTrust', [
      { Sid: 'IdentifyTransitiveTags', Effect: 'Allow', Principal: { Federated: samlProvider }, Action: 'sts:TagSession', Condition: { 'ForAllValues:StringEquals': { 'sts:TransitiveTagKeys': ['studiouserid'] } } },
    ], 'TRUST_POLICY');
    const tagSession = (transitiveKeys: string[] | null) =>
      evaluateRequest({
        request: { principalArn: samlProvider, action: 'sts:TagSession', resourceArn: `arn:aws:iam::${ACCOUNT}:role/StudioFederated`, context: transitiveKeys ? { 'sts:TransitiveTagKeys': transitiveKeys } : {} },
        identityPolicies: [],
        resourcePolicies: [trust],
      });

    it('allows studiouserid as the only transitive key and refuses any other', () => {
      expect(tagSession(['studiouserid']).decision).toBe('ALLOWED');
      expect(tagSession(['studiouserid', 'team'])).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'TRUST_POLICY' });
    });

    it('also allows a session with no transitive keys: ForAllValues is true over an absent key', () => {
      expect(tagSession(null)).toMatchObject({ decision: 'ALLOWED', missingContextKeys: ['sts:TransitiveTagKeys'] });
    });
  });

  describe('Policy 1: read-only access', () => {
    const readOnly = policy('SageMakerReadOnly', [
      { Sid: 'AmazonSageMakerDescribeReadyOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:Describe*', 'sagemaker:GetSearchSuggestions'], Resource: '*' },
      { Sid: 'AmazonSageMakerListOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:List*'], Resource: '*' },
      { Sid: 'AmazonSageMakerUIandMetricsOnlyPolicy', Effect: 'Allow', Action: ['sagemaker:*App', 'sagemaker:Search', 'sagemaker:RenderUiTemplate', 'sagemaker:BatchGetMetrics'], Resource: '*' },
      { Sid: 'AmazonSageMakerEC2ReadOnlyPolicy', Effect: 'Allow', Action: ['ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeVpcs'], Resource: '*' },
      { Sid: 'AmazonSageMakerIAMReadOnlyPolicy', Effect: 'Allow', Action: ['iam:ListRoles'], Resource: '*' },
    ]);
    it.each([
      ['sagemaker:DescribeTrainingJob', 'ALLOWED', 'AmazonSageMakerDescribeReadyOnlyPolicy'],
      ['sagemaker:ListExperiments', 'ALLOWED', 'AmazonSageMakerListOnlyPolicy'],
      ['sagemaker:CreateApp', 'ALLOWED', 'AmazonSageMakerUIandMetricsOnlyPolicy'],
      ['sagemaker:DeleteApp', 'ALLOWED', 'AmazonSageMakerUIandMetricsOnlyPolicy'],
      ['ec2:DescribeVpcs', 'ALLOWED', 'AmazonSageMakerEC2ReadOnlyPolicy'],
      ['iam:ListRoles', 'ALLOWED', 'AmazonSageMakerIAMReadOnlyPolicy'],
      ['sagemaker:CreateAppImageConfig', 'IMPLICIT_DENY', undefined],
      ['sagemaker:DeleteExperiment', 'IMPLICIT_DENY', undefined],
      ['ec2:RunInstances', 'IMPLICIT_DENY', undefined],
    ])('%s → %s', (action, expected, sid) => {
      const decision = decide({ principal: role('SageMakerStudioDeveloperTeamARole', { team: 'TeamA' }), resource: null, action }, [readOnly]);
      expect(decision.decision).toBe(expected);
      expect(decision.decidingStatements[0]?.statement.sid).toBe(sid);
    });
  });

  describe('Policy 3: developers create with their team tag and change only their team’s resources', () => {
    const developer = policy('SageMakerStudioDeveloperAccess', [
      { Sid: 'AmazonSageMakerStudioCreateApp', Effect: 'Allow', Action: ['sagemaker:CreateApp'], Resource: '*' },
      { Sid: 'AmazonSageMakerStudioIAMPassRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: '*' },
      { Sid: 'AmazonSageMakerInvokeEndPointRole', Effect: 'Allow', Action: ['sagemaker:InvokeEndpoint'], Resource: '*' },
      { Sid: 'AmazonSageMakerAddTags', Effect: 'Allow', Action: ['sagemaker:AddTags'], Resource: '*' },
      {
        Sid: 'AmazonSageMakerCreate',
        Effect: 'Allow',
        Action: ['sagemaker:Create*'],
        Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] }, StringEqualsIfExists: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' } },
      },
      {
        Sid: 'AmazonSageMakerUpdateDeleteExecutePolicy',
        Effect: 'Allow',
        Action: ['sagemaker:Delete*', 'sagemaker:Stop*', 'sagemaker:Update*', 'sagemaker:Start*', 'sagemaker:DisassociateTrialComponent', 'sagemaker:AssociateTrialComponent', 'sagemaker:BatchPutMetrics'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalTag/team': '${sagemaker:ResourceTag/team}' } },
      },
    ]);
    const teamA = role('SageMakerStudioDeveloperTeamARole', { team: 'TeamA' });
    const teamB = role('SageMakerStudioDeveloperTeamBRole', { team: 'TeamB' });
    const experiment = { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:experiment/usera1teamaexperiment1`, tags: { team: 'TeamA' } };

    it("denies TeamB's role DeleteExperiment on TeamA's experiment and explains which statement fell short", () => {
      // Act
      const decision = decide({ principal: teamB, resource: experiment, action: 'sagemaker:DeleteExperiment' }, [developer]);

      // Assert
      expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY', missingContextKeys: [] });
      expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['AmazonSageMakerUpdateDeleteExecutePolicy']);
      expect(decision.decidingStatements[0].source.policyName).toBe('SageMakerStudioDeveloperAccess');
    });

    it("allows TeamA's role to delete its own experiment", () => {
      const decision = decide({ principal: teamA, resource: experiment, action: 'sagemaker:DeleteExperiment' }, [developer]);
      expect(decision.decision).toBe('ALLOWED');
      expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['AmazonSageMakerUpdateDeleteExecutePolicy']);
    });

    it('denies a change to a resource with no team tag, reporting the missing resource tag', () => {
      const decision = decide({ principal: teamA, resource: { arn: experiment.arn }, action: 'sagemaker:StopTrainingJob' }, [developer]);
      expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', missingContextKeys: ['sagemaker:ResourceTag/team'] });
    });

    it.each([
      ['TeamA', { team: 'TeamA' }, 'ALLOWED', teamA],
      ['TeamA', { team: 'TeamA', project: 'churn' }, 'ALLOWED', teamA],
      ['TeamA', { team: 'TeamB' }, 'IMPLICIT_DENY', teamA],
      ['TeamA', { project: 'churn' }, 'IMPLICIT_DENY', teamA],
      ['TeamA', {}, 'IMPLICIT_DENY', teamA],
      ['an untagged role', { team: 'TeamA' }, 'IMPLICIT_DENY', role('UntaggedRole')], // ${aws:PrincipalTag/team} has no value: equal to nothing
    ])('CreateTrainingJob by %s with request tags %j → %s', (_who, requestTags, expected, principal) => {
      const decision = decide({ principal, resource: { arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/churn-v8` }, action: 'sagemaker:CreateTrainingJob', requestTags }, [developer]);
      expect(decision.decision).toBe(expected);
    });
  });
});

describe('the preventive control: no training job without a VPC (seed 03)', () => {
  const notebookRole = role('SageMakerExecRole-ml-product-team', { team: 'ml-product-team' });
  const allowTraining = policy('NotebookTraining', [{ Sid: 'AllowTraining', Effect: 'Allow', Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob'], Resource: '*' }]);
  const requireVpc = policy('RequireVpcForTraining', [
    { Sid: 'DenyTrainingWithoutVpc', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } },
  ]);
  const trainingJob = { arn: `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:training-job/sagemaker-tensorflow-2019-10-16-22-14-30-880` };

  it('denies explicitly a training job without a VPC, citing the Deny and the missing key', () => {
    // Act
    const decision = decide({ principal: notebookRole, resource: trainingJob, action: 'sagemaker:CreateTrainingJob' }, [allowTraining, requireVpc]);

    // Assert
    expect(decision).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'IDENTITY', missingContextKeys: ['sagemaker:VpcSubnets'] });
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['DenyTrainingWithoutVpc']);
    expect(decision.explanation[0]).toContain('DenyTrainingWithoutVpc in RequireVpcForTraining');
  });

  it('allows one with VPC subnets', () => {
    const decision = decide({ principal: notebookRole, resource: trainingJob, action: 'sagemaker:CreateTrainingJob', extra: { 'sagemaker:VpcSubnets': ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] } }, [allowTraining, requireVpc]);
    expect(decision).toMatchObject({ decision: 'ALLOWED', missingContextKeys: [] });
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['AllowTraining']);
  });

  it('does not touch other actions', () => {
    expect(decide({ principal: notebookRole, resource: trainingJob, action: 'sagemaker:DescribeTrainingJob' }, [allowTraining, requireVpc]).decision).toBe('ALLOWED');
  });
});

describe('a per-user S3 home prefix from the corporate network (seeds 01 and 02)', () => {
  const CORPORATE = '192.0.2.0/24';
  const actions = ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'];
  const byUserId = policy('HomeByUserId', [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::my_corporate_bucket/home/${aws:userid}/*', Condition: { IpAddress: { 'aws:SourceIp': CORPORATE } } }]);
  const byUserName = policy('HomeByUserName', [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::my_corporate_bucket/home/${aws:username}/*', Condition: { IpAddress: { 'aws:SourceIp': CORPORATE } } }]);
  const alice = user('alice');
  const get = (key: string, sourceIp: string, policies: SourcedPolicy[]) =>
    decide({ principal: alice, resource: { arn: `arn:aws:s3:::my_corporate_bucket/${key}`, accountId: ACCOUNT } /* the bucket is alice's account's: an S3 ARN names none */, action: 's3:GetObject', extra: { 'aws:SourceIp': sourceIp } }, policies);

  it.each([
    ['home/AIDAALICEEXAMPLE/notes.txt', '192.0.2.10', 'ALLOWED'],
    ['home/AIDABOBEXAMPLE/notes.txt', '192.0.2.10', 'IMPLICIT_DENY'],
    ['home/AIDAALICEEXAMPLE/notes.txt', '198.51.100.10', 'IMPLICIT_DENY'],
  ])('aws:userid prefix: %s from %s → %s', (key, ip, expected) => {
    expect(get(key, ip, [byUserId]).decision).toBe(expected);
  });

  it.each([
    ['home/alice/notes.txt', '192.0.2.10', 'ALLOWED'],
    ['home/bob/notes.txt', '192.0.2.10', 'IMPLICIT_DENY'],
    ['home/alice/notes.txt', '2001:db8::10', 'IMPLICIT_DENY'],
  ])('aws:username prefix: %s from %s → %s', (key, ip, expected) => {
    expect(get(key, ip, [byUserName]).decision).toBe(expected);
  });
});
