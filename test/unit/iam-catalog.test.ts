import { actionExists, conditionKeysForAction, expandActionPattern, isConditionKeyOfAction, validateRequest } from '../../src/domain/iam/catalog';
import { evaluateRequest } from '../../src/domain/iam/evaluate';
import { parsePolicyDocument } from '../../src/domain/iam/policy-document';
import { PolicyEvaluationError, type AuthorizationRequest, type SourcedPolicy } from '../../src/domain/iam/types';

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

// The Service Authorization Reference writes keys that take a name in several ways: S3's
// `s3:ExistingObjectTag/<key>`, `aws:RequestTag/${TagKey}`, the global list's `aws:PrincipalTag/tag-key`,
// Glacier's bare `glacier:ResourceTag/`. AWS evaluates any name in the placeholder's place.
describe('condition keys written with a placeholder', () => {
  it("matches S3's <key> form for any object tag key, and only under the action that lists it", async () => {
    // Actions, resources, and condition keys for Amazon S3, Condition keys table
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html): s3:ExistingObjectTag/<key>
    // on GetObject and GetObjectVersion, s3:RequestObjectTag/<key> on PutObject. Tagging and access control policies
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html): s3:ExistingObjectTag/<tag-key>
    // "is not supported" for PUT Object and DELETE Object.
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/environment', 's3:GetObject')).toBe(true);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/environment', 's3:GetObjectVersion')).toBe(true);
    expect(await isConditionKeyOfAction('s3:RequestObjectTag/Project', 's3:PutObject')).toBe(true);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/environment', 's3:PutObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/environment', 's3:DeleteObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3-outposts:ExistingObjectTag/environment', 's3-outposts:GetObject')).toBe(true);
  });

  it('matches the fixed part without regard to case, as AWS treats context key names', async () => {
    // IAM JSON policy elements: Condition (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html):
    // "Context key names are not case-sensitive."
    expect(await isConditionKeyOfAction('S3:existingobjecttag/Environment', 's3:GetObject')).toBe(true);
    expect(await isConditionKeyOfAction('AWS:requesttag/Team', 'sagemaker:CreateTrainingJob')).toBe(true);
    expect(await isConditionKeyOfAction('KMS:encryptioncontext:Department', 'kms:Decrypt')).toBe(true);
  });

  it('refuses a key that only shares the fixed part, or leaves the placeholder empty or unfilled', async () => {
    // A placeholder stands for a name (list_amazons3.html: "Filters access by an existing object tag key and value"):
    // a key with no name, or a longer word that merely starts the same, is not that key.
    expect(await isConditionKeyOfAction('s3:ExistingObjectTagX', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/<key>', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('aws:RequestTag/${TagKey}', 'sagemaker:CreateTrainingJob')).toBe(false);
    expect(await isConditionKeyOfAction('aws:PrincipalTagX', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('kms:EncryptionContextX', 'kms:Decrypt')).toBe(false);
  });

  it('takes as a tag key any 1 to 128 letters, numbers, spaces and _ . : / = + - @, and nothing else', async () => {
    // Tag Editor, Service quotas (https://docs.aws.amazon.com/tag-editor/latest/userguide/reference.html): tag key name,
    // "Minimum of 1, maximum 128 Unicode characters in UTF-8. Allowed characters include letters, numbers, spaces,
    // and the following characters: _ . : / = + - @".
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/cost center:team/a=b+c-d@e.f_g', 's3:GetObject')).toBe(true);
    expect(await isConditionKeyOfAction('aws:PrincipalTag/Größe2', 's3:GetObject')).toBe(true);
    expect(await isConditionKeyOfAction(`aws:PrincipalTag/${'k'.repeat(128)}`, 's3:GetObject')).toBe(true);
    expect(await isConditionKeyOfAction(`aws:PrincipalTag/${'k'.repeat(129)}`, 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('s3:ExistingObjectTag/team*', 's3:GetObject')).toBe(false);
    expect(await isConditionKeyOfAction('aws:RequestTag/a,b', 'sagemaker:CreateTrainingJob')).toBe(false);
  });

  it("matches the global tag keys' placeholders on every action", async () => {
    // AWS global condition context keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
    // aws:PrincipalTag/tag-key, aws:ResourceTag/tag-key, aws:RequestTag/tag-key.
    for (const action of ['s3:GetObject', 'kms:Decrypt', 'glacier:DeleteArchive']) {
      expect(await isConditionKeyOfAction('aws:PrincipalTag/department', action)).toBe(true);
      expect(await isConditionKeyOfAction('aws:ResourceTag/project', action)).toBe(true);
      expect(await isConditionKeyOfAction('aws:RequestTag/owner', action)).toBe(true);
      expect(await isConditionKeyOfAction('aws:PrincipalTag/', action)).toBe(false);
    }
  });

  it("matches KMS's encryption context key, whose placeholder follows a colon", async () => {
    // Actions, resources, and condition keys for AWS Key Management Service
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html):
    // kms:EncryptionContext:${EncryptionContextKey} on Decrypt, beside the fixed kms:EncryptionContextKeys.
    expect(await isConditionKeyOfAction('kms:EncryptionContext:Department', 'kms:Decrypt')).toBe(true);
    expect(await isConditionKeyOfAction('kms:EncryptionContext:aws:s3:arn', 'kms:Decrypt')).toBe(true);
    expect(await isConditionKeyOfAction('kms:EncryptionContextKeys', 'kms:Decrypt')).toBe(true);
    expect(await isConditionKeyOfAction('kms:EncryptionContext:', 'kms:Decrypt')).toBe(false);
    expect(await isConditionKeyOfAction('kms:EncryptionContext:Department', 'kms:ListKeys')).toBe(false);
  });

  it("matches VPC Lattice's header and query string names", async () => {
    // Actions, resources, and condition keys for Amazon VPC Lattice Services
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonvpclatticeservices.html):
    // vpc-lattice-svcs:RequestHeader/${HeaderName} and vpc-lattice-svcs:RequestQueryString/${QueryStringKey} on Invoke.
    expect(await isConditionKeyOfAction('vpc-lattice-svcs:RequestHeader/x-api-key', 'vpc-lattice-svcs:Invoke')).toBe(true);
    expect(await isConditionKeyOfAction('vpc-lattice-svcs:RequestQueryString/page', 'vpc-lattice-svcs:Invoke')).toBe(true);
    expect(await isConditionKeyOfAction('vpc-lattice-svcs:RequestHeader', 'vpc-lattice-svcs:Invoke')).toBe(false);
  });

  it("matches Glacier's bare glacier:ResourceTag/ on the vault actions, with a tag key after it", async () => {
    // Actions, resources, and condition keys for Amazon S3 Glacier
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3glacier.html) writes the key
    // glacier:ResourceTag/; Amazon S3 Glacier API and Required Permissions for Actions
    // (https://docs.aws.amazon.com/amazonglacier/latest/dev/glacier-api-permissions-ref.html) lists
    // glacier:ResourceTag/TagKey for Delete Archive.
    expect(await isConditionKeyOfAction('glacier:ResourceTag/team', 'glacier:DeleteArchive')).toBe(true);
    expect(await isConditionKeyOfAction('glacier:ResourceTag/', 'glacier:DeleteArchive')).toBe(false);
    expect(await isConditionKeyOfAction('glacier:ArchiveAgeInDays', 'glacier:DeleteArchive')).toBe(true);
  });

  it('matches placeholders in the provider part of a web identity key, up to the colon', async () => {
    // Actions, resources, and condition keys for AWS Security Token Service
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html):
    // token.actions.githubusercontent.com/${SubPath}:actor and agent.${Domain}.buildkite.dev:pipeline_slug on
    // AssumeRoleWithWebIdentity.
    expect(await isConditionKeyOfAction('token.actions.githubusercontent.com/octo-org:actor', 'sts:AssumeRoleWithWebIdentity')).toBe(true);
    expect(await isConditionKeyOfAction('agent.acme.buildkite.dev:pipeline_slug', 'sts:AssumeRoleWithWebIdentity')).toBe(true);
    expect(await isConditionKeyOfAction('agent..buildkite.dev:pipeline_slug', 'sts:AssumeRoleWithWebIdentity')).toBe(false);
    expect(await isConditionKeyOfAction('agent.a:b.buildkite.dev:pipeline_slug', 'sts:AssumeRoleWithWebIdentity')).toBe(false);
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

describe('validateRequest with placeholder keys', () => {
  const OBJECT = 'arn:aws:s3:::amzn-s3-demo-bucket/report.csv';

  it("accepts S3's object tag keys from the caller", async () => {
    // list_amazons3.html: s3:ExistingObjectTag/<key> on GetObject, s3:RequestObjectTag/<key> on PutObject
    const get = request('s3:GetObject', { 's3:ExistingObjectTag/environment': ['production'] }, OBJECT);
    const put = request('s3:PutObject', { 's3:RequestObjectTag/Project': ['X'], 's3:RequestObjectTagKeys': ['Project'] }, OBJECT);

    await expect(validateRequest(get, ['s3:ExistingObjectTag/environment'])).resolves.toBeUndefined();
    await expect(validateRequest(put, ['s3:RequestObjectTag/Project', 's3:RequestObjectTagKeys'])).resolves.toBeUndefined();
  });

  it('names a truly unknown key in the refusal, as before', async () => {
    // Arrange
    const prefixOnly = request('s3:GetObject', { 's3:ExistingObjectTagX': ['x'] }, OBJECT);
    const wrongAction = request('s3:PutObject', { 's3:ExistingObjectTag/environment': ['x'] }, OBJECT);

    // Act / Assert
    await expect(validateRequest(prefixOnly, ['s3:ExistingObjectTagX'])).rejects.toThrow(new PolicyEvaluationError('s3:ExistingObjectTagX is not a condition key of s3:GetObject'));
    await expect(validateRequest(wrongAction, ['s3:ExistingObjectTag/environment'])).rejects.toThrow(
      new PolicyEvaluationError('s3:ExistingObjectTag/environment is not a condition key of s3:PutObject'),
    );
  });

  it('says what the placeholder needs when only the name in it is wrong', async () => {
    // Arrange
    const badTagKey = request('s3:GetObject', { 's3:ExistingObjectTag/team*': ['x'] }, OBJECT);

    // Act / Assert
    await expect(validateRequest(badTagKey, ['s3:ExistingObjectTag/team*'])).rejects.toThrow(
      new PolicyEvaluationError(
        's3:ExistingObjectTag/team* is not a condition key of s3:GetObject (s3:ExistingObjectTag/<key> needs a tag key (1 to 128 letters, numbers, spaces and _ . : / = + - @) after s3:ExistingObjectTag/)',
      ),
    );
  });
});

// Tagging and access control policies, Example 1 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html):
// "limits a user to only reading objects that have the environment: production tag key and value", with
// StringEquals {"s3:ExistingObjectTag/environment": "production"} on s3:GetObject and s3:GetObjectVersion. The
// example is a bucket policy; its statement is attached here to the role itself, which the condition does not
// change, and the request gives the bucket's account (aws:ResourceAccount, same as the role's): an S3 ARN names
// none, and a request on a resource of another account would need a resource-based policy too.
describe('an S3 object tag condition, through the catalog check and the engine', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/JohnDoe';
  const OBJECT = 'arn:aws:s3:::amzn-s3-demo-bucket/report.csv';
  const readProduction: SourcedPolicy = {
    source: { kind: 'INLINE', policyArn: null, policyName: 'ReadProductionObjects', versionId: null },
    document: parsePolicyDocument({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadProduction',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*',
          Condition: { StringEquals: { 's3:ExistingObjectTag/environment': 'production' } },
        },
      ],
    }),
  };

  async function decide(action: string, context: AuthorizationRequest['context']) {
    const req: AuthorizationRequest = { principalArn: ROLE, action, resourceArn: OBJECT, context: { ...context, 'aws:ResourceAccount': ['111122223333'] } };
    await validateRequest(req, Object.keys(req.context));
    return evaluateRequest({ request: req, identityPolicies: [readProduction] });
  }

  it('allows reading an object tagged environment: production', async () => {
    // Act
    const decision = await decide('s3:GetObject', { 's3:ExistingObjectTag/environment': ['production'] });
    const version = await decide('s3:GetObjectVersion', { 's3:ExistingObjectTag/environment': ['production'] });

    // Assert
    expect(decision.decision).toBe('ALLOWED');
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['ReadProduction']);
    expect(version.decision).toBe('ALLOWED');
  });

  it('denies reading an object with another environment tag', async () => {
    // StringEquals is case-sensitive (IAM JSON policy elements: Condition operators,
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
    expect((await decide('s3:GetObject', { 's3:ExistingObjectTag/environment': ['development'] })).decision).toBe('IMPLICIT_DENY');
    expect((await decide('s3:GetObject', { 's3:ExistingObjectTag/environment': ['Production'] })).decision).toBe('IMPLICIT_DENY');
  });

  it('denies reading an untagged object, naming the missing key', async () => {
    // Condition operators: "If the key that you specify in a policy condition is not present in the request
    // context, the values do not match and the condition is false."
    const decision = await decide('s3:GetObject', {});

    expect(decision.decision).toBe('IMPLICIT_DENY');
    expect(decision.missingContextKeys.map((k) => k.toLowerCase())).toEqual(['s3:existingobjecttag/environment']);
  });

  it('matches the tag key in the request without regard to case, as context key names are', async () => {
    // IAM JSON policy elements: Condition (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html):
    // "Context key names are not case-sensitive."
    expect((await decide('s3:GetObject', { 'S3:ExistingObjectTag/Environment': ['production'] })).decision).toBe('ALLOWED');
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
