import { normalizeStatement, parsePolicyDocument } from '../../src/domain/iam/policy-document';
import { PolicyEvaluationError } from '../../src/domain/iam/types';

const TEAM_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowTeamTraining',
      Effect: 'Allow',
      Action: 'sagemaker:CreateTrainingJob',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' }, NumericLessThan: { 'sagemaker:MaxRuntimeInSeconds': 86400 } },
    },
    { Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], NotResource: 'arn:aws:s3:::shared/*' },
  ],
};

describe('parsePolicyDocument', () => {
  it('normalises a document object: one-element arrays, string condition values, the Version on each statement', () => {
    // Act
    const document = parsePolicyDocument(TEAM_POLICY);

    // Assert
    expect(document).toEqual({
      version: '2012-10-17',
      statements: [
        {
          index: 0,
          sid: 'AllowTeamTraining',
          effect: 'Allow',
          action: ['sagemaker:CreateTrainingJob'],
          resource: ['*'],
          condition: {
            StringEquals: { 'aws:RequestTag/team': ['${aws:PrincipalTag/team}'] },
            NumericLessThan: { 'sagemaker:MaxRuntimeInSeconds': ['86400'] },
          },
          version: '2012-10-17',
        },
        { index: 1, effect: 'Deny', notAction: ['iam:*', 'sts:*'], notResource: ['arn:aws:s3:::shared/*'], version: '2012-10-17' },
      ],
    });
  });

  it('reads the same document from JSON text and from URL-encoded JSON (as GetAccountAuthorizationDetails returns it)', () => {
    // Arrange
    const json = JSON.stringify(TEAM_POLICY, null, 2);
    const urlEncoded = encodeURIComponent(json);

    // Act
    const fromJson = parsePolicyDocument(json);
    const fromUrlEncoded = parsePolicyDocument(urlEncoded);

    // Assert
    expect(urlEncoded.startsWith('%7B')).toBe(true);
    expect(fromUrlEncoded).toEqual(parsePolicyDocument(TEAM_POLICY));
    expect(fromJson).toEqual(fromUrlEncoded);
  });

  it('accepts a single Statement object and keeps a document without Version as 2008-10-17 (variables are literal there)', () => {
    // Act
    const document = parsePolicyDocument({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}/*' } });

    // Assert
    expect(document.version).toBeUndefined();
    expect(document.statements).toHaveLength(1);
    expect(document.statements[0]).toMatchObject({ index: 0, version: '2008-10-17', resource: ['arn:aws:s3:::b/${aws:username}/*'] });
  });

  it('normalises Principal "*" and the principal map, account numbers included', () => {
    // Act
    const document = parsePolicyDocument({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: 111122223333, Service: ['sagemaker.amazonaws.com'] }, Action: 'sts:AssumeRole' },
        { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/Admin' }, Action: '*', Resource: '*' },
      ],
    });

    // Assert
    expect(document.statements[0].principal).toBe('*');
    expect(document.statements[1].principal).toEqual({ AWS: ['111122223333'], Service: ['sagemaker.amazonaws.com'] });
    expect(document.statements[1].resource).toBeUndefined();
    expect(document.statements[2].notPrincipal).toEqual({ AWS: ['arn:aws:iam::111122223333:role/Admin'] });
  });

  it('turns boolean condition values into their string form', () => {
    // Act
    const statement = normalizeStatement({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } }, 4);

    // Assert
    expect(statement).toEqual({ index: 4, effect: 'Deny', action: ['s3:*'], resource: ['*'], condition: { Bool: { 'aws:SecureTransport': ['false'] } } });
  });
});

describe('malformed policies are refused with the statement named', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no Effect', { Sid: 'NoEffect', Action: 's3:*', Resource: '*' }, /Effect is missing in statement NoEffect/],
    ['an Effect other than Allow/Deny', { Sid: 'Lower', Effect: 'allow', Action: 's3:*', Resource: '*' }, /Effect must be "Allow" or "Deny", not "allow" in statement Lower/],
    ['both Action and NotAction', { Effect: 'Allow', Action: 's3:*', NotAction: 'iam:*', Resource: '*' }, /both Action and NotAction in statement at index 0/],
    ['neither Action nor NotAction', { Sid: 'Nothing', Effect: 'Allow', Resource: '*' }, /needs Action or NotAction in statement Nothing/],
    ['both Resource and NotResource', { Effect: 'Allow', Action: 's3:*', Resource: '*', NotResource: '*' }, /both Resource and NotResource/],
    ['both Principal and NotPrincipal', { Effect: 'Allow', Action: 's3:*', Principal: '*', NotPrincipal: '*' }, /both Principal and NotPrincipal/],
    ['a condition block that is not an object', { Sid: 'BadCond', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: 'aws:SecureTransport' }, /Condition must be an object.* in statement BadCond/],
    ['an operator whose body is not an object', { Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: 'x' } }, /StringEquals must map context keys to values/],
    ['an unknown condition operator', { Sid: 'AllowX', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEqualz: { 'aws:username': 'bob' } } }, /unknown condition operator StringEqualz in statement AllowX/],
    ['NullIfExists', { Sid: 'N', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { NullIfExists: { 'aws:username': 'true' } } }, /NullIfExists is not valid/],
    ['an element name in the wrong case', { Sid: 'Case', effect: 'Allow', Action: 's3:*', Resource: '*' }, /unknown statement element effect \(element names are case-sensitive: Effect\) in statement Case/],
    ['an empty Action list', { Effect: 'Allow', Action: [], Resource: '*' }, /Action is an empty list/],
    ['a condition value that is an object', { Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { k: { a: 1 } } } }, /values must be strings, numbers or booleans/],
  ];

  it.each(cases)('%s', (_title, statement, message) => {
    // Act
    const parse = () => parsePolicyDocument({ Version: '2012-10-17', Statement: [statement] });

    // Assert
    expect(parse).toThrow(PolicyEvaluationError);
    expect(parse).toThrow(message);
  });

  it('refuses text that is not JSON, an unknown Version and a document without Statement', () => {
    expect(() => parsePolicyDocument('{"Version": ')).toThrow(/not valid JSON/);
    expect(() => parsePolicyDocument({ Version: '2012-10-18', Statement: [] })).toThrow(/unsupported policy Version "2012-10-18"/);
    expect(() => parsePolicyDocument({ Version: '2012-10-17' })).toThrow(/has no Statement/);
    expect(() => parsePolicyDocument(['not', 'an', 'object'])).toThrow(/must be a JSON object/);
  });
});
