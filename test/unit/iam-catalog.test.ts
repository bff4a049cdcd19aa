import { actionExists, conditionKeysForAction, expandActionPattern, isConditionKeyOfAction, validateRequest } from '../../src/domain/iam/catalog';
import { PolicyEvaluationError, type AuthorizationRequest } from '../../src/domain/iam/types';

const TRAINING_JOB = 'arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-v7';

function request(action: string, context: AuthorizationRequest['context'] = {}, resourceArn = TRAINING_JOB): AuthorizationRequest {
  return { principalArn: 'arn:aws:iam::111122223333:role/TeamA', action, resourceArn, context };
}

describe('the service catalog', () => {
  it('knows actions without regard to case, and not made-up ones', async () => {
    expect(await actionExists('sagemaker:CreateTrainingJob')).toBe(true);
    expect(await actionExists('SageMaker:createtrainingjob')).toBe(true);
    expect(await actionExists('sagemaker:CreateTrainingJobs')).toBe(false);
    expect(await actionExists('nosuchservice:Get')).toBe(false);
    expect(await actionExists('not-an-action')).toBe(false);
  });

  it("lists an action's own keys, its resource types' keys and the global keys", async () => {
    // Act
    const keys = await conditionKeysForAction('sagemaker:CreateTrainingJob');

    // Assert
    expect(keys).toEqual(expect.arrayContaining(['sagemaker:VpcSubnets', 'aws:RequestTag/${TagKey}', 'aws:TagKeys', 'aws:SourceIp', 'aws:PrincipalTag/tag-key']));
    expect(await conditionKeysForAction('sagemaker:CreatePresignedDomainUrl')).toEqual(expect.arrayContaining(['sagemaker:ResourceTag/${TagKey}']));
  });

  it('matches tag-key patterns for any tag key', async () => {
    expect(await isConditionKeyOfAction('aws:RequestTag/team', 'sagemaker:CreateTrainingJob')).toBe(true);
    expect(await isConditionKeyOfAction('aws:PrincipalTag/studiouserid', 'sagemaker:CreatePresignedDomainUrl')).toBe(true);
    expect(await isConditionKeyOfAction('sagemaker:ResourceTag/studiouserid', 'sagemaker:CreatePresignedDomainUrl')).toBe(true);
    expect(await isConditionKeyOfAction('SAGEMAKER:vpcsubnets', 'sagemaker:CreateTrainingJob')).toBe(true);
    expect(await isConditionKeyOfAction('sagemaker:VpcSubnets', 'sagemaker:CreateEndpoint')).toBe(false);
  });
});

describe('validateRequest', () => {
  it('accepts a request whose keys the action supports', async () => {
    await expect(validateRequest(request('sagemaker:CreateTrainingJob', { 'sagemaker:VpcSubnets': ['subnet-1'], 'aws:RequestTag/team': ['TeamA'], 'sagemaker:ResourceTag/team': ['TeamA'] }))).resolves.toBeUndefined();
  });

  it('refuses an unknown action', async () => {
    await expect(validateRequest(request('sagemaker:CreateTrainingJobs'))).rejects.toThrow(new PolicyEvaluationError('unknown action sagemaker:CreateTrainingJobs: no such action in the service catalog'));
  });

  it('refuses a context key the action does not support, naming both', async () => {
    // Arrange
    const endpoint = request('sagemaker:CreateEndpoint', { 'sagemaker:VpcSubnets': ['subnet-1'] }, 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn');

    // Act / Assert
    await expect(validateRequest(endpoint)).rejects.toThrow(PolicyEvaluationError);
    await expect(validateRequest(endpoint)).rejects.toThrow('sagemaker:VpcSubnets is not a condition key of sagemaker:CreateEndpoint');
  });

  it('checks only the caller-supplied keys when told which they are', async () => {
    // Arrange: derived keys (s3:ResourceTag is no S3 key) are not the caller's to answer for
    const s3 = request('s3:GetObject', { 's3:ResourceTag/team': ['TeamA'], 'sagemaker:VpcSubnets': ['subnet-1'] }, 'arn:aws:s3:::team-a-data/x');

    // Act / Assert
    await expect(validateRequest(s3, [])).resolves.toBeUndefined();
    await expect(validateRequest(s3, ['sagemaker:VpcSubnets'])).rejects.toThrow('sagemaker:VpcSubnets is not a condition key of s3:GetObject');
  });
});

describe('expandActionPattern', () => {
  it('expands a wildcard into the actions it matches, in the catalog spelling', async () => {
    // Act
    const creates = await expandActionPattern('sagemaker:Create*');
    const apps = await expandActionPattern('sagemaker:*App');

    // Assert
    expect(creates).toEqual(expect.arrayContaining(['sagemaker:CreateTrainingJob', 'sagemaker:CreateUserProfile', 'sagemaker:CreatePresignedDomainUrl']));
    expect(creates.every((a) => a.startsWith('sagemaker:Create'))).toBe(true);
    expect(apps).toEqual(expect.arrayContaining(['sagemaker:CreateApp', 'sagemaker:DeleteApp', 'sagemaker:DescribeApp']));
    expect(apps).not.toContain('sagemaker:CreateAppImageConfig');
    expect(await expandActionPattern('sagemaker:CreateTrainingJob')).toEqual(['sagemaker:CreateTrainingJob']);
    expect(await expandActionPattern('nosuchservice:*')).toEqual([]);
  });
});
