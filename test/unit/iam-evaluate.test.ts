import { evaluateRequest, evaluateStatements } from '../../src/domain/iam/evaluate';
import { normalizeStatement, parsePolicyDocument } from '../../src/domain/iam/policy-document';
import {
  PolicyEvaluationError,
  type AuthorizationRequest,
  type EvaluationInput,
  type PolicyKind,
  type RequestContext,
  type SourcedPolicy,
} from '../../src/domain/iam/types';

const ACCOUNT = '111122223333';
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/TeamA`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/TeamA/alice`;
const BUCKET_OBJECT = 'arn:aws:s3:::team-a-data/reports/q3.csv';

function policy(name: string, statement: object | object[], kind: PolicyKind = 'INLINE', version = '2012-10-17'): SourcedPolicy {
  return {
    source: { kind, policyArn: null, policyName: name, versionId: null },
    document: parsePolicyDocument({ Version: version, Statement: statement }),
  };
}

function request(action: string, resourceArn: string, principalArn = USER, context: RequestContext = {}, sessionArn?: string): AuthorizationRequest {
  // These buckets are the principal's account's; an S3 ARN names no account, so the request says so
  // (without it the engine judges the request cross-account: test/unit/iam-cross-account.test.ts).
  if (resourceArn.startsWith('arn:aws:s3:::')) context = { 'aws:ResourceAccount': [ACCOUNT], ...context };
  return { principalArn, action, resourceArn, context, ...(sessionArn ? { sessionArn } : {}) };
}

const allowS3Read = policy('S3Read', { Sid: 'ReadData', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' });

describe('identity-based policies', () => {
  it('allow when a statement matches, citing it', () => {
    // Act
    const decision = evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [allowS3Read] });

    // Assert
    expect(decision.decision).toBe('ALLOWED');
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['ReadData']);
    expect(decision.deniedBy).toBeNull();
    expect(decision.explanation.join(' ')).toContain('Identity-based policies allow it: ReadData in S3Read');
  });

  it('deny implicitly when nothing matches, naming the identity policies', () => {
    // Act
    const decision = evaluateRequest({ request: request('s3:PutObject', BUCKET_OBJECT), identityPolicies: [allowS3Read] });

    // Assert
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY', decidingStatements: [], missingContextKeys: [] });
    expect(decision.explanation).toEqual([`No identity-based policy allows s3:PutObject on ${BUCKET_OBJECT}.`]);
  });

  it('report an Allow whose conditions failed as a near miss, with the missing keys', () => {
    // Arrange
    const mfa = policy('NeedsMfa', { Sid: 'ReadWithMfa', Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } });

    // Act
    const decision = evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [mfa] });

    // Assert
    expect(decision.decision).toBe('IMPLICIT_DENY');
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['ReadWithMfa']);
    expect(decision.missingContextKeys).toEqual(['aws:MultiFactorAuthPresent']);
    expect(decision.explanation[0]).toContain('missing from the request: aws:MultiFactorAuthPresent');
  });

  it('let an explicit Deny win over any Allow', () => {
    // Arrange
    const deny = policy('NoReports', { Sid: 'DenyReports', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::team-a-data/reports/*' });

    // Act
    const decision = evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [allowS3Read, deny] });

    // Assert
    expect(decision).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'IDENTITY' });
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['DenyReports']);
    expect(decision.explanation[0]).toBe(`Explicit deny of s3:GetObject on ${BUCKET_OBJECT} by DenyReports in NoReports (identity-based policy).`);
  });
});

describe('NotAction and NotResource', () => {
  // IAM User Guide, "IAM JSON policy elements: NotAction": with Allow it allows every action but
  // those listed; with Deny it denies every action but those listed. Rewritten.
  const allowAllButIam = policy('AllButIam', { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
  const denyAllButIam = policy('DenyAllButIam', { Effect: 'Deny', NotAction: ['iam:*', 'sts:GetCallerIdentity'], Resource: '*' });
  const allowAll = policy('Admin', { Effect: 'Allow', Action: '*', Resource: '*' });

  it.each([
    ['sagemaker:CreateTrainingJob', [allowAllButIam], 'ALLOWED'],
    ['iam:CreateUser', [allowAllButIam], 'IMPLICIT_DENY'],
    ['s3:GetObject', [allowAll, denyAllButIam], 'EXPLICIT_DENY'],
    ['iam:ListRoles', [allowAll, denyAllButIam], 'ALLOWED'],
    ['sts:GetCallerIdentity', [allowAll, denyAllButIam], 'ALLOWED'],
  ])('%s → %s', (action, policies, expected) => {
    expect(evaluateRequest({ request: request(action, '*'), identityPolicies: policies as SourcedPolicy[] }).decision).toBe(expected);
  });

  it('NotResource allows or denies every resource but those listed', () => {
    // Arrange
    const allowOutsideSecrets = policy('NotSecrets', { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::team-a-data/secrets/*' });
    const denyOutsideTeam = policy('OnlyTeamBucket', { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::team-a-data', 'arn:aws:s3:::team-a-data/*'] });

    // Act / Assert
    expect(evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [allowOutsideSecrets] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::team-a-data/secrets/key'), identityPolicies: [allowOutsideSecrets] }).decision).toBe('IMPLICIT_DENY');
    expect(evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [allowAll, denyOutsideTeam] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::team-b-data/x'), identityPolicies: [allowAll, denyOutsideTeam] }).decision).toBe('EXPLICIT_DENY');
  });
});

describe('unresolved policy variables in Resource and NotResource', () => {
  // IAM User Guide, "Policy variables with no value": an entry holding a variable with no value
  // matches no resource, in Resource and in NotResource alike.
  const home = policy('Home', { Sid: 'OwnHome', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::homes/${aws:username}/*' });

  it('a Resource entry with an unresolved variable matches nothing, and the key is reported missing', () => {
    // Act (a role session has no aws:username)
    const decision = evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/alice/notes', ROLE), identityPolicies: [home] });

    // Assert
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', missingContextKeys: ['aws:username'] });
    expect(evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/alice/notes', USER, { 'aws:username': ['alice'] }), identityPolicies: [home] }).decision).toBe('ALLOWED');
  });

  it('a NotResource entry with an unresolved variable excludes nothing, so the Deny applies everywhere', () => {
    // Arrange: "deny everything outside your own home" for a caller without a user name
    const allowAll = policy('Admin', { Effect: 'Allow', Action: 's3:*', Resource: '*' });
    const denyOutsideHome = policy('StayHome', { Sid: 'DenyOutsideHome', Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::homes/${aws:username}/*' });

    // Act
    const withoutName = evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/alice/notes', ROLE), identityPolicies: [allowAll, denyOutsideHome] });
    const withName = evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/alice/notes', USER, { 'aws:username': ['alice'] }), identityPolicies: [allowAll, denyOutsideHome] });

    // Assert
    expect(withoutName).toMatchObject({ decision: 'EXPLICIT_DENY', missingContextKeys: ['aws:username'] });
    expect(withName.decision).toBe('ALLOWED');
  });

  it('reads variables literally in a 2008-10-17 document', () => {
    const old = policy('Old', { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::homes/${aws:username}/*' }, 'INLINE', '2008-10-17');
    const context = { 'aws:username': ['alice'] };
    expect(evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/alice/notes', USER, context), identityPolicies: [old] }).decision).toBe('IMPLICIT_DENY');
    expect(evaluateRequest({ request: request('s3:GetObject', 'arn:aws:s3:::homes/${aws:username}/notes', USER, context), identityPolicies: [old] }).decision).toBe('ALLOWED');
  });
});

describe('permissions boundaries', () => {
  // IAM User Guide, "Permissions boundaries for IAM entities": a user whose boundary allows only
  // S3, CloudWatch and EC2 cannot create IAM users even when an identity policy allows it; the
  // effective permissions are the intersection. Rewritten.
  const boundary = policy('DataBoundary', { Effect: 'Allow', Action: ['s3:*', 'cloudwatch:*', 'ec2:*'], Resource: '*' }, 'PERMISSIONS_BOUNDARY');
  const createUsers = policy('CreateUsers', { Effect: 'Allow', Action: 'iam:CreateUser', Resource: '*' });

  it.each([
    ['iam:CreateUser', [createUsers], 'IMPLICIT_DENY', 'PERMISSIONS_BOUNDARY'],
    ['s3:GetObject', [createUsers], 'IMPLICIT_DENY', 'IDENTITY'],
    ['s3:GetObject', [allowS3Read], 'ALLOWED', null],
  ])('%s → %s', (action, identityPolicies, expected, deniedBy) => {
    const decision = evaluateRequest({ request: request(action, '*'), identityPolicies: identityPolicies as SourcedPolicy[], permissionsBoundaries: [boundary] });
    expect(decision.decision).toBe(expected);
    expect(decision.deniedBy).toBe(deniedBy);
  });

  it('an empty boundary list applies and allows nothing; a Deny in the boundary is an explicit deny', () => {
    expect(evaluateRequest({ request: request('s3:GetObject', '*'), identityPolicies: [allowS3Read], permissionsBoundaries: [] }).deniedBy).toBe('PERMISSIONS_BOUNDARY');
    const denying = policy('DenyingBoundary', [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }], 'PERMISSIONS_BOUNDARY');
    expect(evaluateRequest({ request: request('s3:GetObject', '*'), identityPolicies: [allowS3Read], permissionsBoundaries: [denying] })).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'PERMISSIONS_BOUNDARY' });
  });
});

describe('service control policies', () => {
  const fullAccess = policy('FullAWSAccess', { Effect: 'Allow', Action: '*', Resource: '*' }, 'SCP');
  const sageMakerOnly = policy('SageMakerOnly', { Effect: 'Allow', Action: ['sagemaker:*', 's3:*'], Resource: '*' }, 'SCP');
  const admin = policy('Admin', { Effect: 'Allow', Action: '*', Resource: '*' });

  it('need an Allow at every level of the organisation', () => {
    // Arrange
    const levels = [[fullAccess], [sageMakerOnly], [fullAccess]];

    // Act
    const allowed = evaluateRequest({ request: request('sagemaker:CreateTrainingJob', '*'), identityPolicies: [admin], serviceControlPolicies: levels });
    const denied = evaluateRequest({ request: request('ec2:RunInstances', '*'), identityPolicies: [admin], serviceControlPolicies: levels });

    // Assert
    expect(allowed.decision).toBe('ALLOWED');
    expect(denied).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'SCP' });
    expect(denied.explanation[0]).toBe('No service control policy at level 2 of 3 allows ec2:RunInstances on *.');
  });

  it('deny explicitly with a Deny statement, and limit the root user too', () => {
    // Arrange
    const denyLeave = policy('DenyLeave', [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }], 'SCP');
    const root = `arn:aws:iam::${ACCOUNT}:root`;

    // Act / Assert
    expect(evaluateRequest({ request: request('organizations:LeaveOrganization', '*', root), identityPolicies: [], serviceControlPolicies: [[denyLeave]] })).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'SCP' });
    expect(evaluateRequest({ request: request('s3:ListAllMyBuckets', '*', root), identityPolicies: [], serviceControlPolicies: [[denyLeave]] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ request: request('s3:ListAllMyBuckets', '*', root), identityPolicies: [], serviceControlPolicies: [[sageMakerOnly]] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ request: request('ec2:RunInstances', '*', root), identityPolicies: [], serviceControlPolicies: [[sageMakerOnly]] }).deniedBy).toBe('SCP');
  });
});

describe('resource-based policies within the account', () => {
  // IAM User Guide, "Policy evaluation logic": within one account an Allow in either the identity-
  // based or the resource-based policy is enough; a resource-based grant to an IAM user or a role
  // session is not limited by boundaries or session policies, a grant to the role ARN is, and one
  // to the account delegates to identity-based policies. Rewritten with our own bucket.
  const bucketPolicy = (principal: unknown) =>
    policy('TeamBucketPolicy', { Sid: 'TeamWrites', Effect: 'Allow', Principal: principal, Action: 's3:PutObject', Resource: 'arn:aws:s3:::team-a-data/*' }, 'RESOURCE_POLICY');
  const emptyBoundary = policy('ReadOnlyBoundary', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, 'PERMISSIONS_BOUNDARY');
  const readOnlySession = policy('ReadOnlySession', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, 'SESSION_POLICY');

  it('allows an IAM user it names without any identity policy, whatever the boundary', () => {
    // Act
    const decision = evaluateRequest({
      request: request('s3:PutObject', BUCKET_OBJECT),
      identityPolicies: [],
      resourcePolicies: [bucketPolicy({ AWS: USER })],
      permissionsBoundaries: [emptyBoundary],
    });

    // Assert
    expect(decision.decision).toBe('ALLOWED');
    expect(decision.decidingStatements.map((s) => s.statement.sid)).toEqual(['TeamWrites']);
  });

  it('a grant to the role ARN is limited by the boundary and the session policy; a grant to the session is not', () => {
    // Arrange
    const base = { request: request('s3:PutObject', BUCKET_OBJECT, ROLE, {}, SESSION), identityPolicies: [] as SourcedPolicy[] };

    // Act / Assert
    expect(evaluateRequest({ ...base, resourcePolicies: [bucketPolicy({ AWS: ROLE })] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ ...base, resourcePolicies: [bucketPolicy({ AWS: ROLE })], permissionsBoundaries: [emptyBoundary] })).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'PERMISSIONS_BOUNDARY' });
    expect(evaluateRequest({ ...base, resourcePolicies: [bucketPolicy({ AWS: ROLE })], sessionPolicies: [readOnlySession] })).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'SESSION_POLICY' });
    expect(evaluateRequest({ ...base, resourcePolicies: [bucketPolicy({ AWS: SESSION })], permissionsBoundaries: [emptyBoundary], sessionPolicies: [readOnlySession] }).decision).toBe('ALLOWED');
  });

  it('a grant to the account needs an identity-based Allow as well', () => {
    // Arrange
    const accountGrant = bucketPolicy({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
    const writes = policy('Writes', { Effect: 'Allow', Action: 's3:PutObject', Resource: '*' });

    // Act / Assert
    expect(evaluateRequest({ request: request('s3:PutObject', BUCKET_OBJECT), identityPolicies: [], resourcePolicies: [accountGrant] })).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY' });
    expect(evaluateRequest({ request: request('s3:PutObject', BUCKET_OBJECT), identityPolicies: [writes], resourcePolicies: [accountGrant] }).decision).toBe('ALLOWED');
  });

  it('does not apply to a principal it does not name, and its Deny applies to those it names', () => {
    // Arrange
    const other = bucketPolicy({ AWS: `arn:aws:iam::${ACCOUNT}:user/bob` });
    const denyAllButAdmin = policy('Guard', { Sid: 'OnlyAdmin', Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/admin` }, Action: 's3:*', Resource: '*' }, 'RESOURCE_POLICY');

    // Act / Assert
    expect(evaluateRequest({ request: request('s3:PutObject', BUCKET_OBJECT), identityPolicies: [], resourcePolicies: [other] }).decision).toBe('IMPLICIT_DENY');
    expect(evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT), identityPolicies: [allowS3Read], resourcePolicies: [denyAllButAdmin] })).toMatchObject({ decision: 'EXPLICIT_DENY', deniedBy: 'RESOURCE_POLICY' });
    expect(evaluateRequest({ request: request('s3:GetObject', BUCKET_OBJECT, `arn:aws:iam::${ACCOUNT}:user/admin`), identityPolicies: [allowS3Read], resourcePolicies: [denyAllButAdmin] }).decision).toBe('ALLOWED');
  });
});

describe('session policies', () => {
  // IAM User Guide, "Session policies": the session's permissions are the intersection of the
  // role's identity-based policies and the session policies. Rewritten.
  const roleRead = policy('RoleRead', { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' });
  const sessionRead = policy('SessionRead', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, 'SESSION_POLICY');

  it.each([
    ['s3:GetObject', 'ALLOWED', null],
    ['s3:PutObject', 'IMPLICIT_DENY', 'SESSION_POLICY'],
    ['s3:DeleteObject', 'IMPLICIT_DENY', 'IDENTITY'],
  ])('%s → %s', (action, expected, deniedBy) => {
    const decision = evaluateRequest({ request: request(action, BUCKET_OBJECT, ROLE), identityPolicies: [roleRead], sessionPolicies: [sessionRead] });
    expect(decision.decision).toBe(expected);
    expect(decision.deniedBy).toBe(deniedBy);
  });
});

describe('role trust policies', () => {
  // Trust policies "must explicitly allow access for principals", unlike other resource policies.
  const trust = (principal: unknown) => policy('Trust', { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }, 'TRUST_POLICY');
  const assume = policy('AssumeAny', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' });

  it('deny when the trust policy does not allow the caller, even with an identity Allow', () => {
    const decision = evaluateRequest({ request: request('sts:AssumeRole', ROLE), identityPolicies: [assume], resourcePolicies: [trust({ Service: 'sagemaker.amazonaws.com' })] });
    expect(decision).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'TRUST_POLICY' });
  });

  it('delegate to identity policies when the trust policy names the account', () => {
    expect(evaluateRequest({ request: request('sts:AssumeRole', ROLE), identityPolicies: [assume], resourcePolicies: [trust({ AWS: ACCOUNT })] }).decision).toBe('ALLOWED');
    expect(evaluateRequest({ request: request('sts:AssumeRole', ROLE), identityPolicies: [], resourcePolicies: [trust({ AWS: ACCOUNT })] }).deniedBy).toBe('IDENTITY');
  });

  it('allow a service principal it names', () => {
    expect(evaluateRequest({ request: request('sts:AssumeRole', ROLE, 'sagemaker.amazonaws.com'), identityPolicies: [], resourcePolicies: [trust({ Service: 'sagemaker.amazonaws.com' })] }).decision).toBe('ALLOWED');
  });
});

describe('evaluateStatements', () => {
  it('sorts statements into allows, denies and near misses, with the missing keys', () => {
    // Arrange
    const source = { kind: 'MANAGED' as const, policyArn: `arn:aws:iam::${ACCOUNT}:policy/p`, policyName: 'p', versionId: 'v1' };
    const statements = [
      { Sid: 'A', Effect: 'Allow', Action: 'sagemaker:CreateTrainingJob', Resource: '*' },
      { Sid: 'B', Effect: 'Allow', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' } } },
      { Sid: 'C', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } },
      { Sid: 'D', Effect: 'Allow', Action: 's3:*', Resource: '*' },
    ].map((raw, i) => ({ source, statement: normalizeStatement(raw, i, '2012-10-17') }));

    // Act
    const result = evaluateStatements(statements, request('sagemaker:CreateTrainingJob', '*', ROLE, { 'aws:RequestTag/team': ['TeamA'] }));

    // Assert
    expect(result.allows.map((s) => s.statement.sid)).toEqual(['A']);
    expect(result.nearMisses.map((s) => s.statement.sid)).toEqual(['B']);
    expect(result.denies.map((s) => s.statement.sid)).toEqual(['C']);
    expect(result.missingKeys).toEqual(['aws:PrincipalTag/team', 'sagemaker:VpcSubnets']);
  });
});

describe('errors', () => {
  it('refuses an action not written service:Action and a statement with an unknown operator', () => {
    // Arrange
    const handMade: EvaluationInput = {
      request: request('s3:GetObject', '*'),
      identityPolicies: [{ source: allowS3Read.source, document: { statements: [{ index: 0, sid: 'AllowX', effect: 'Allow', action: ['s3:*'], resource: ['*'], condition: { StringEqualz: { k: ['v'] } } }] } }],
    };

    // Act / Assert
    expect(() => evaluateRequest({ request: request('GetObject', '*'), identityPolicies: [] })).toThrow(PolicyEvaluationError);
    expect(() => evaluateRequest(handMade)).toThrow('unknown condition operator StringEqualz in statement AllowX');
  });
});
