import { buildAuthorizationRequest, buildRequestContext, type RequestFacts } from '../../src/domain/iam/context';

const AT = new Date('2026-11-10T12:34:56.789Z');
const EXPERIMENT = 'arn:aws:sagemaker:us-east-1:111122223333:experiment/usera1teamaexperiment1';

describe('buildRequestContext', () => {
  it('derives the principal, resource, request-tag and time keys of an IAM user request', () => {
    // Arrange
    const facts: RequestFacts = {
      principal: { arn: 'arn:aws:iam::111122223333:user/usera1', type: 'IAM_USER', accountId: '111122223333', name: 'usera1', userId: 'AIDAEXAMPLEUSERA1', tags: { team: 'TeamA' } },
      resource: { arn: EXPERIMENT, tags: { team: 'TeamA' } },
      action: 'sagemaker:AddTags',
      requestTags: { project: 'churn', team: 'TeamA' },
      at: AT,
    };

    // Act
    const context = buildRequestContext(facts);

    // Assert
    expect(context).toEqual({
      'aws:PrincipalArn': ['arn:aws:iam::111122223333:user/usera1'],
      'aws:PrincipalAccount': ['111122223333'],
      'aws:PrincipalType': ['User'],
      'aws:PrincipalIsAWSService': ['false'],
      'aws:username': ['usera1'],
      'aws:userid': ['AIDAEXAMPLEUSERA1'],
      'aws:PrincipalTag/team': ['TeamA'],
      'aws:ResourceTag/team': ['TeamA'],
      'sagemaker:ResourceTag/team': ['TeamA'],
      'aws:RequestedRegion': ['us-east-1'],
      'aws:ResourceAccount': ['111122223333'],
      'aws:RequestTag/project': ['churn'],
      'aws:RequestTag/team': ['TeamA'],
      'aws:TagKeys': ['project', 'team'],
      'aws:CurrentTime': ['2026-11-10T12:34:56Z'],
      'aws:EpochTime': ['1794314096'],
    });
  });

  it('gives a role session AssumedRole, no user name, and aws:userid only when the session name is known', () => {
    // Arrange
    const role = { arn: 'arn:aws:iam::111122223333:role/SageMakerStudioDeveloperTeamBRole', type: 'ROLE' as const, accountId: '111122223333', name: 'SageMakerStudioDeveloperTeamBRole', userId: 'AROAEXAMPLETEAMB', tags: { team: 'TeamB' } };

    // Act
    const withoutSession = buildRequestContext({ principal: role, resource: null, action: 'sagemaker:ListExperiments', at: AT });
    const withSession = buildRequestContext({ principal: { ...role, sessionName: 'SageMaker' }, resource: null, action: 'sagemaker:ListExperiments', at: AT });

    // Assert
    expect(withoutSession['aws:PrincipalType']).toEqual(['AssumedRole']);
    expect(withoutSession['aws:PrincipalArn']).toEqual([role.arn]);
    expect(withoutSession['aws:username']).toBeUndefined();
    expect(withoutSession['aws:userid']).toBeUndefined();
    expect(withSession['aws:userid']).toEqual(['AROAEXAMPLETEAMB:SageMaker']);
    expect(withoutSession['aws:RequestedRegion']).toBeUndefined();
    expect(withoutSession['aws:TagKeys']).toBeUndefined();
  });

  it('invents nothing for principals govgraph keys on something that is not an ARN', () => {
    // Act
    const saml = buildRequestContext({ principal: { arn: 'saml-user:okta/alice', type: 'SAML_USER', accountId: null, name: 'alice' }, resource: null, action: 's3:ListAllMyBuckets', at: AT });
    const service = buildRequestContext({ principal: { arn: 'sagemaker.amazonaws.com', type: 'AWS_SERVICE', accountId: null, name: 'sagemaker.amazonaws.com' }, resource: null, action: 's3:GetObject', at: AT });
    const root = buildRequestContext({ principal: { arn: 'arn:aws:iam::111122223333:root', type: 'ROOT', accountId: '111122223333', name: 'root' }, resource: null, action: 's3:GetObject', at: AT });

    // Assert
    expect(saml['aws:PrincipalArn']).toBeUndefined();
    expect(saml['aws:PrincipalAccount']).toBeUndefined();
    expect(service).toMatchObject({ 'aws:PrincipalIsAWSService': ['true'], 'aws:PrincipalServiceName': ['sagemaker.amazonaws.com'] });
    expect(service['aws:PrincipalType']).toBeUndefined();
    expect(root).toMatchObject({ 'aws:PrincipalType': ['Account'], 'aws:userid': ['111122223333'] });
  });

  it('lets caller-supplied entries override derived ones, whatever their case', () => {
    // Act
    const context = buildRequestContext({
      principal: { arn: 'arn:aws:iam::111122223333:user/usera1', type: 'IAM_USER', accountId: '111122223333', name: 'usera1' },
      resource: { arn: 'arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-v7' },
      action: 'sagemaker:CreateTrainingJob',
      extra: { 'aws:requestedregion': 'eu-west-1', 'sagemaker:VpcSubnets': ['subnet-1', 'subnet-2'] },
      at: AT,
    });

    // Assert
    expect(context['aws:RequestedRegion']).toBeUndefined();
    expect(context['aws:requestedregion']).toEqual(['eu-west-1']);
    expect(context['sagemaker:VpcSubnets']).toEqual(['subnet-1', 'subnet-2']);
  });
});

describe('buildAuthorizationRequest', () => {
  it('uses * as the resource of an action that takes none, and carries the session ARN', () => {
    const built = buildAuthorizationRequest({
      principal: { arn: 'arn:aws:iam::111122223333:role/TeamA', type: 'ROLE', accountId: '111122223333', name: 'TeamA', sessionArn: 'arn:aws:sts::111122223333:assumed-role/TeamA/alice' },
      resource: null,
      action: 'sagemaker:ListDomains',
      at: AT,
    });
    expect(built).toMatchObject({ principalArn: 'arn:aws:iam::111122223333:role/TeamA', action: 'sagemaker:ListDomains', resourceArn: '*', sessionArn: 'arn:aws:sts::111122223333:assumed-role/TeamA/alice' });
  });
});
