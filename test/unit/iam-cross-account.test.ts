/**
 * Cross-account evaluation, and where the resource's account comes from. Each case is taken from
 * the page cited beside it:
 * - CROSS: "Cross-account policy evaluation logic", IAM User Guide,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 * - SINGLE: "Policy evaluation for requests within a single account", IAM User Guide,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
 * - KEYS: "AWS global condition context keys" (aws:ResourceAccount), IAM User Guide,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
import { buildAuthorizationRequest } from '../../src/domain/iam/context';
import { evaluateRequest, resourceAccountOf } from '../../src/domain/iam/evaluate';
import { parsePolicyDocument } from '../../src/domain/iam/policy-document';
import { PolicyEvaluationError, type AuthorizationRequest, type PolicyKind, type RequestContext, type SourcedPolicy } from '../../src/domain/iam/types';

// CROSS, "Example cross-account policy evaluation": Carlos in 111111111111, the Production bucket in 222222222222.
const TRUSTED = '111111111111';
const TRUSTING = '222222222222';
const CARLOS = `arn:aws:iam::${TRUSTED}:user/carlossalazar`;
const PRODUCTION_OBJECT = 'arn:aws:s3:::Production/report.csv';
const LOGS_OBJECT = 'arn:aws:s3:::Production-logs/report.csv';

function policy(name: string, statement: object | object[], kind: PolicyKind = 'INLINE'): SourcedPolicy {
  return { source: { kind, policyArn: null, policyName: name, versionId: null }, document: parsePolicyDocument({ Version: '2012-10-17', Statement: statement }) };
}

function request(resourceArn: string, context: RequestContext = {}, action = 's3:PutObject', principalArn = CARLOS, extra: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return { principalArn, action, resourceArn, context, ...extra };
}

const inTrusting: RequestContext = { 'aws:ResourceAccount': [TRUSTING] };

// CROSS: the policy attached to the carlossalazar IAM user.
const carlosPolicy = policy('CarlosPolicy', [
  { Sid: 'AllowS3ListRead', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
  { Sid: 'AllowS3ProductionObjectActions', Effect: 'Allow', Action: 's3:*Object*', Resource: 'arn:aws:s3:::Production/*' },
  { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::*log*', 'arn:aws:s3:::*log*/*'] },
]);
const allowAnyObject = policy('AnyObject', { Sid: 'AnyObject', Effect: 'Allow', Action: 's3:*Object*', Resource: '*' });

// CROSS: the bucket policy attached to the Production bucket in 222222222222.
const productionBucketPolicy = policy(
  'ProductionBucketPolicy',
  {
    Sid: 'CarlosObjects',
    Effect: 'Allow',
    Action: ['s3:GetObject*', 's3:PutObject*', 's3:ReplicateObject', 's3:RestoreObject'],
    Principal: { AWS: CARLOS },
    Resource: 'arn:aws:s3:::Production/*',
  },
  'RESOURCE_POLICY',
);

describe('a cross-account request is allowed only when both accounts allow it (CROSS)', () => {
  it("allows Carlos's PutObject to Production: his identity policy and the bucket policy both allow it", () => {
    // CROSS, example: "Because both accounts allow the request, the final decision is to allow the request."
    // Act
    const decision = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy], resourcePolicies: [productionBucketPolicy] });

    // Assert
    expect(decision).toMatchObject({ decision: 'ALLOWED', deniedBy: null, resourceAccount: TRUSTING, resourceAccountSource: 'CONTEXT' });
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['AllowS3ProductionObjectActions', 'CarlosObjects']);
    expect(decision.explanation[0]).toMatch(/is in account 222222222222 .*the principal is in 111111111111: a cross-account request/);
  });

  it('denies his PutObject to Production-logs: the identity policy denies it explicitly, whatever the other account says', () => {
    // CROSS, example: "Because the request is explicitly denied within one of the accounts, the final decision is to deny the request."
    // Act
    const decision = evaluateRequest({ request: request(LOGS_OBJECT, inTrusting), identityPolicies: [carlosPolicy] });

    // Assert
    expect(decision).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'IDENTITY' });
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['DenyS3Logs']);
  });

  it('denies when only the identity policy allows: the resource-based policy of the trusting account must allow too', () => {
    // CROSS: "the resource-based policy in AccountB must allow the requester in AccountA to access the resource"
    // Act
    const none = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy] });
    const otherPrincipal = policy('ForSomeoneElse', { Sid: 'Others', Effect: 'Allow', Action: 's3:PutObject', Principal: { AWS: `arn:aws:iam::${TRUSTED}:user/maria` }, Resource: '*' }, 'RESOURCE_POLICY');
    const notNamed = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy], resourcePolicies: [otherPrincipal] });

    // Assert
    expect(none).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY', decidingStatements: [] });
    expect(none.explanation.at(-1)).toBe('No resource-based policy of account 222222222222 allows it, and a cross-account request needs one: none was given.');
    expect(notNamed).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY' });
  });

  it('denies when only the resource-based policy allows: the identity-based policy of the trusted account must allow too', () => {
    // CROSS: "the requester in the trusted AccountA must have an identity-based policy"; within one account
    // either alone would do (SINGLE: "If either the identity-based policy or the resource-based policy within
    // the same account allows the request and the other doesn't, the request is still allowed.")
    // Act
    const across = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [], resourcePolicies: [productionBucketPolicy] });
    const within = evaluateRequest({ request: request(PRODUCTION_OBJECT, { 'aws:ResourceAccount': [TRUSTED] }), identityPolicies: [], resourcePolicies: [productionBucketPolicy] });

    // Assert
    expect(across).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY' });
    expect(within).toMatchObject({ decision: 'ALLOWED', resourceAccount: TRUSTED });
  });

  it('lets the resource-based policy name the whole trusted account, a role, or a role session', () => {
    // CROSS: "You can specify the entire account or its IAM users, AWS STS federated user principals, IAM roles, or assumed-role sessions."
    // Arrange
    const role = `arn:aws:iam::${TRUSTED}:role/Deployer`;
    const session = `arn:aws:sts::${TRUSTED}:assumed-role/Deployer/build-42`;
    const naming = (principal: object) => policy('BucketPolicy', { Effect: 'Allow', Action: 's3:PutObject', Principal: principal, Resource: 'arn:aws:s3:::Production/*' }, 'RESOURCE_POLICY');
    const decide = (principal: object, principalArn = CARLOS, extra: Partial<AuthorizationRequest> = {}) =>
      evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting, 's3:PutObject', principalArn, extra), identityPolicies: [allowAnyObject], resourcePolicies: [naming(principal)] }).decision;

    // Act & Assert
    expect(decide({ AWS: TRUSTED })).toBe('ALLOWED');
    expect(decide({ AWS: `arn:aws:iam::${TRUSTED}:root` })).toBe('ALLOWED');
    expect(decide({ AWS: role }, role, { sessionArn: session })).toBe('ALLOWED');
    expect(decide({ AWS: session }, role, { sessionArn: session })).toBe('ALLOWED');
    expect(decide({ AWS: '333333333333' })).toBe('IMPLICIT_DENY');
  });

  it("applies the trusted account's limits on identity-based policies, even to a resource-based policy naming the user itself", () => {
    // CROSS: in the trusted account "it checks the identity-based policy and any policies that can limit an
    // identity-based policy" — a permissions boundary, an SCP. (Within one account a grant naming the user
    // is not limited by the boundary.)
    // Arrange
    const ec2Boundary = policy('Ec2Only', { Effect: 'Allow', Action: 'ec2:*', Resource: '*' }, 'PERMISSIONS_BOUNDARY');
    const ec2Scp = policy('Ec2OnlyScp', { Effect: 'Allow', Action: 'ec2:*', Resource: '*' }, 'SCP');

    // Act
    const bounded = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy], permissionsBoundaries: [ec2Boundary], resourcePolicies: [productionBucketPolicy] });
    const boundedWithin = evaluateRequest({ request: request(PRODUCTION_OBJECT, { 'aws:ResourceAccount': [TRUSTED] }), identityPolicies: [carlosPolicy], permissionsBoundaries: [ec2Boundary], resourcePolicies: [productionBucketPolicy] });
    const scp = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy], serviceControlPolicies: [[ec2Scp]], resourcePolicies: [productionBucketPolicy] });

    // Assert
    expect(bounded).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'PERMISSIONS_BOUNDARY' });
    expect(boundedWithin.decision).toBe('ALLOWED');
    expect(scp).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'SCP' });
  });

  it("denies explicitly when the trusting account's resource-based policy denies", () => {
    // CROSS: "The request is allowed only if both evaluations return a decision of Allow"; a Deny in either wins.
    // Arrange
    const denyPut = policy('DenyPut', { Sid: 'NoPut', Effect: 'Deny', Action: 's3:PutObject', Principal: '*', Resource: '*' }, 'RESOURCE_POLICY');

    // Act
    const decision = evaluateRequest({ request: request(PRODUCTION_OBJECT, inTrusting), identityPolicies: [carlosPolicy], resourcePolicies: [productionBucketPolicy, denyPut] });

    // Assert
    expect(decision).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'RESOURCE_POLICY' });
  });

  it('needs both the identity policy and the role trust policy to assume a role in another account', () => {
    // CROSS: "you can attach a resource-based policy to an IAM role to allow principals in other accounts to
    // assume that role" — the trust policy is the trusting account's half; the caller's identity policy the other.
    // Arrange
    const role = `arn:aws:iam::${TRUSTING}:role/Auditor`;
    const trust = policy('Trust', { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: TRUSTED } }, 'TRUST_POLICY');
    const mayAssume = policy('MayAssume', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role });
    const assume = request(role, {}, 'sts:AssumeRole');

    // Act
    const both = evaluateRequest({ request: assume, identityPolicies: [mayAssume], resourcePolicies: [trust] });
    const trustOnly = evaluateRequest({ request: assume, identityPolicies: [], resourcePolicies: [trust] });
    const identityOnly = evaluateRequest({ request: assume, identityPolicies: [mayAssume], resourcePolicies: [policy('TrustsOthers', { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: '333333333333' } }, 'TRUST_POLICY')] });

    // Assert
    expect(both).toMatchObject({ decision: 'ALLOWED', resourceAccount: TRUSTING, resourceAccountSource: 'ARN' });
    expect(trustOnly).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY' });
    expect(identityOnly).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'TRUST_POLICY' });
  });
});

describe("where the resource's account comes from", () => {
  it('takes an ARN that names an account as the resource account, and refuses an aws:ResourceAccount that contradicts it', () => {
    // KEYS, aws:ResourceAccount: the account ID of the resource owner — for an ARN with an account, that account.
    // Arrange
    const queue = `arn:aws:sqs:us-east-1:${TRUSTING}:orders`;
    const sendAny = policy('Send', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' });

    // Act
    const decision = evaluateRequest({ request: request(queue, {}, 'sqs:SendMessage'), identityPolicies: [sendAny] });

    // Assert: across accounts (CROSS), the identity policy alone does not allow it
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY', resourceAccount: TRUSTING, resourceAccountSource: 'ARN' });
    expect(() => resourceAccountOf(request(queue, { 'aws:ResourceAccount': ['333333333333'] }))).toThrow(PolicyEvaluationError);
    expect(() => resourceAccountOf(request(PRODUCTION_OBJECT, { 'aws:ResourceAccount': ['prod'] }))).toThrow(/12-digit/);
  });

  it("takes the caller's aws:ResourceAccount over govgraph's inventory for an S3 ARN, which names no account", () => {
    // Act
    const inventory = resourceAccountOf(request(PRODUCTION_OBJECT, { 'aws:ResourceAccount': [TRUSTING] }, 's3:PutObject', CARLOS, { inventoryAccountId: TRUSTING }));
    const overridden = resourceAccountOf(request(PRODUCTION_OBJECT, { 'aws:ResourceAccount': [TRUSTED] }, 's3:PutObject', CARLOS, { inventoryAccountId: TRUSTING }));

    // Assert
    expect(inventory).toMatchObject({ accountId: TRUSTING, source: 'INVENTORY' });
    expect(overridden).toMatchObject({ accountId: TRUSTED, source: 'CONTEXT' });
  });

  it('builds aws:ResourceAccount from the inventory for an S3 ARN, and marks it as the inventory’s', () => {
    // KEYS, aws:ResourceAccount: present in the request context for the resource's owner account.
    // Act
    const req = buildAuthorizationRequest({
      principal: { arn: CARLOS, type: 'IAM_USER', accountId: TRUSTED, name: 'carlossalazar' },
      resource: { arn: PRODUCTION_OBJECT, accountId: TRUSTING },
      action: 's3:PutObject',
      at: new Date('2026-11-03T14:00:00Z'),
    });
    const decision = evaluateRequest({ request: req, identityPolicies: [carlosPolicy] });

    // Assert
    expect(req.context['aws:ResourceAccount']).toEqual([TRUSTING]);
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'RESOURCE_POLICY', resourceAccount: TRUSTING, resourceAccountSource: 'INVENTORY' });
    expect(decision.explanation[0]).toContain("as govgraph's inventory records it");
  });

  it("judges an S3 request whose account nobody knows as within the principal's account, as IAM's policy simulator does, and says so", () => {
    // The IAM policy simulator takes the resource to be the caller's account's unless its owner is
    // given (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html);
    // for an access review that over-reports rather than hides access. aws:ResourceAccount makes it exact.
    // Act
    const identityOnly = evaluateRequest({ request: request(PRODUCTION_OBJECT), identityPolicies: [carlosPolicy] });
    const withBucketPolicy = evaluateRequest({ request: request(PRODUCTION_OBJECT), identityPolicies: [carlosPolicy], resourcePolicies: [productionBucketPolicy] });

    // Assert
    expect(identityOnly).toMatchObject({ decision: 'ALLOWED', resourceAccount: null, resourceAccountSource: 'UNKNOWN' });
    expect(identityOnly.explanation[0]).toMatch(/names no account and govgraph knows none for it: judged as in the principal's account, as IAM's policy simulator does.*aws:ResourceAccount/);
    expect(withBucketPolicy).toMatchObject({ decision: 'ALLOWED', resourceAccountSource: 'UNKNOWN' });
  });

  it("judges other account-less ARNs as the principal's account's, and says so; `*` has no resource account", () => {
    // Act
    const zone = evaluateRequest({
      request: request('arn:aws:route53:::hostedzone/Z123', {}, 'route53:ChangeResourceRecordSets'),
      identityPolicies: [policy('Dns', { Effect: 'Allow', Action: 'route53:*', Resource: '*' })],
    });
    const star = evaluateRequest({ request: request('*', {}, 's3:ListAllMyBuckets'), identityPolicies: [carlosPolicy] });

    // Assert
    expect(zone).toMatchObject({ decision: 'ALLOWED', resourceAccount: null, resourceAccountSource: 'UNKNOWN' });
    expect(zone.explanation[0]).toMatch(/judged as in the principal's account/);
    expect(star).toMatchObject({ decision: 'ALLOWED', resourceAccount: null, resourceAccountSource: null });
    expect(star.explanation).toEqual(['Identity-based policies allow it: AllowS3ListRead in CarlosPolicy.']);
  });
});
