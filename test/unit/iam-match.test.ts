import { matchesAction, matchesResource, matchResourcePattern } from '../../src/domain/iam/match';
import { substituteVariables, variableKeys } from '../../src/domain/iam/variables';

describe('matchesAction', () => {
  it.each([
    ['sagemaker:CreateTrainingJob', 'sagemaker:CreateTrainingJob', true],
    ['SageMaker:createtrainingjob', 'sagemaker:CreateTrainingJob', true], // "The prefix and the action name are case insensitive"
    ['sagemaker:Create*', 'sagemaker:CreateTrainingJob', true],
    ['sagemaker:Create*', 's3:CreateBucket', false], // the service prefix is part of the pattern
    ['sagemaker:*App', 'sagemaker:CreateApp', true],
    ['sagemaker:*App', 'sagemaker:DeleteApp', true],
    ['sagemaker:*App', 'sagemaker:CreateAppImageConfig', false],
    ['sagemaker:Describe?ndpoint', 'sagemaker:DescribeEndpoint', true],
    ['sagemaker:Describe?ndpoint', 'sagemaker:DescribeEndpointConfig', false],
    ['*', 'iam:PassRole', true],
    ['iam:*', 'sts:AssumeRole', false],
  ])('%s against %s → %s', (pattern, action, expected) => {
    expect(matchesAction(pattern, action)).toBe(expected);
  });
});

describe('matchesResource', () => {
  // IAM User Guide, "IAM JSON policy elements: Resource" (wildcards in resource ARNs): `*` takes
  // slashes inside the resource part; each `*` must still be matched around the literal `/test/`.
  const pattern = 'arn:aws:s3:::reports-bucket/*/test/*';
  it.each([
    ['arn:aws:s3:::reports-bucket/1///test///object.jpg', true],
    ['arn:aws:s3:::reports-bucket//test/object.jpg', true],
    ['arn:aws:s3:::reports-bucket/1/test/', true],
    ['arn:aws:s3:::reports-bucket/1-test/object.jpg', false],
    ['arn:aws:s3:::reports-bucket/test/object.jpg', false],
    ['arn:aws:s3:::reports-bucket/1/2/test.jpg', false],
  ])(`${pattern} against %s → %s (Resource element page example)`, (arn, expected) => {
    expect(matchesResource(pattern, arn)).toBe(expected);
  });

  it('is case-sensitive', () => {
    expect(matchesResource('arn:aws:iam::111122223333:user/Bob', 'arn:aws:iam::111122223333:user/Bob')).toBe(true);
    expect(matchesResource('arn:aws:iam::111122223333:user/Bob', 'arn:aws:iam::111122223333:user/bob')).toBe(false);
  });

  it('keeps a wildcard inside its ARN segment unless it ends the segment', () => {
    // `*` ending a segment may run past the colon ("it can expand to match beyond the colon boundaries").
    expect(matchesResource('arn:aws:sagemaker:*:111122223333:training-job/*', 'arn:aws:sagemaker:eu-west-1:111122223333:training-job/churn')).toBe(true);
    expect(matchesResource('arn:aws:s3:*', 'arn:aws:s3:::bucket/key')).toBe(true);
    // inside a segment it does not: `*3333` cannot swallow the region and the account
    expect(matchesResource('arn:aws:sagemaker:us-east-1:*3333:training-job/x', 'arn:aws:sagemaker:us-east-1:111122223333:training-job/x')).toBe(true);
    expect(matchesResource('arn:aws:sagemaker:u*1:training-job/x', 'arn:aws:sagemaker:us-east-1:111122223333:training-job/x')).toBe(false);
    expect(matchesResource('arn:aws:sagemaker:us-east-?:111122223333:training-job/x', 'arn:aws:sagemaker:us-east-1:111122223333:training-job/x')).toBe(true);
    expect(matchesResource('arn:aws:sagemaker:us-east-1?111122223333:training-job/x', 'arn:aws:sagemaker:us-east-1:111122223333:training-job/x')).toBe(false);
    // in the resource part, wildcards take colons as well
    expect(matchesResource('arn:aws:lambda:us-east-1:111122223333:function:*', 'arn:aws:lambda:us-east-1:111122223333:function:f:PROD')).toBe(true);
  });

  it('substitutes policy variables before matching, and an entry with an unresolved variable matches nothing', () => {
    // Arrange
    const context = { 'aws:username': ['alice'] };
    const homes = 'arn:aws:s3:::home-bucket/${aws:username}/*';

    // Act / Assert
    expect(matchesResource(homes, 'arn:aws:s3:::home-bucket/alice/notes.txt', context)).toBe(true);
    expect(matchesResource(homes, 'arn:aws:s3:::home-bucket/bob/notes.txt', context)).toBe(false);
    expect(matchResourcePattern(homes, 'arn:aws:s3:::home-bucket/alice/notes.txt', {})).toEqual({ matched: false, unresolvedKeys: ['aws:username'] });
    // a variable's value is never a wildcard: a tag value "*" matches only a literal "*"
    expect(matchesResource('arn:aws:s3:::b/${aws:PrincipalTag/team}', 'arn:aws:s3:::b/anything', { 'aws:PrincipalTag/team': ['*'] })).toBe(false);
    // under 2008-10-17 the text is literal
    expect(matchResourcePattern(homes, 'arn:aws:s3:::home-bucket/${aws:username}/x', context, false).matched).toBe(true);
  });

  it('uses a default when the key has no value (variables page, "Specifying default values")', () => {
    // Arrange
    const pattern = "arn:aws:s3:::team-bucket-${aws:PrincipalTag/team, 'company-wide'}";

    // Act / Assert
    expect(matchesResource(pattern, 'arn:aws:s3:::team-bucket-yellow', { 'aws:PrincipalTag/team': ['yellow'] })).toBe(true);
    expect(matchesResource(pattern, 'arn:aws:s3:::team-bucket-company-wide', {})).toBe(true);
    expect(matchesResource(pattern, 'arn:aws:s3:::team-bucket-yellow', {})).toBe(false);
  });

  it('reads the escapes ${*}, ${?} and ${$} as the literal characters', () => {
    expect(matchesResource('arn:aws:s3:::b/${*}report', 'arn:aws:s3:::b/*report')).toBe(true);
    expect(matchesResource('arn:aws:s3:::b/${*}report', 'arn:aws:s3:::b/xreport')).toBe(false);
    expect(matchesResource('arn:aws:s3:::b/what${?}', 'arn:aws:s3:::b/what?')).toBe(true);
    expect(matchesResource('arn:aws:s3:::b/what${?}', 'arn:aws:s3:::b/whatx')).toBe(false);
    expect(matchesResource('arn:aws:s3:::b/${$}{aws:username}', 'arn:aws:s3:::b/${aws:username}', { 'aws:username': ['alice'] })).toBe(true);
  });
});

describe('substituteVariables', () => {
  it('looks keys up without regard to case, and reports each unresolved key', () => {
    // Arrange
    const context = { 'aws:PrincipalTag/Team': ['TeamA'], 'aws:userid': ['AIDAEXAMPLE'] };

    // Act
    const resolved = substituteVariables('${aws:principaltag/team}/${AWS:UserId}', context);
    const unresolved = substituteVariables('${aws:username}-${aws:PrincipalTag/project}-${aws:userid}', context);

    // Assert
    expect(resolved.value).toBe('TeamA/AIDAEXAMPLE');
    expect(unresolved.value).toBeNull();
    expect(unresolved.unresolvedKeys).toEqual(['aws:username', 'aws:PrincipalTag/project']);
  });

  it('treats a multivalued key as unresolved: only single-valued keys can be variables', () => {
    expect(substituteVariables('${aws:TagKeys}', { 'aws:TagKeys': ['a', 'b'] }).value).toBeNull();
    expect(substituteVariables('${aws:TagKeys}', { 'aws:TagKeys': ['a'] }).value).toBe('a');
  });

  it('leaves text that is not a variable alone', () => {
    expect(substituteVariables('${not-a-key}/${unterminated', {}).value).toBe('${not-a-key}/${unterminated');
    expect(variableKeys("a/${aws:username}/${aws:PrincipalTag/x, 'd'}/${*}")).toEqual(['aws:username', 'aws:PrincipalTag/x']);
  });
});
