import { evaluateConditionBlock, parseDate } from '../../src/domain/iam/conditions';
import { PolicyEvaluationError, type ConditionBlock, type RequestContext } from '../../src/domain/iam/types';

/** Condition written as in a policy (strings or lists), evaluated against a context. */
function matches(condition: Record<string, Record<string, string | string[]>>, context: RequestContext): boolean {
  return evaluateConditionBlock(normalise(condition), context).matched;
}

function normalise(condition: Record<string, Record<string, string | string[]>>): ConditionBlock {
  return Object.fromEntries(
    Object.entries(condition).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]))]),
  );
}

const ABSENT: RequestContext = {};

describe('String operators', () => {
  // IAM User Guide, "IAM JSON policy elements: Condition operators" (String condition operators):
  // the job-category tag example, rewritten.
  it.each([
    ['StringEquals', 'data-scientist', 'data-scientist', true],
    ['StringEquals', 'data-scientist', 'Data-Scientist', false],
    ['StringNotEquals', 'data-scientist', 'data-scientist', false],
    ['StringNotEquals', 'data-scientist', 'ml-engineer', true],
    ['StringEqualsIgnoreCase', 'data-scientist', 'Data-Scientist', true],
    ['StringNotEqualsIgnoreCase', 'data-scientist', 'DATA-SCIENTIST', false],
    ['StringNotEqualsIgnoreCase', 'data-scientist', 'ml-engineer', true],
    ['StringLike', 'data-*', 'data-scientist', true],
    ['StringLike', 'data-*', 'Data-scientist', false],
    ['StringNotLike', 'data-*', 'data-scientist', false],
    ['StringNotLike', 'data-*', 'ml-engineer', true],
  ])('%s %s against the tag value %s → %s', (operator, policyValue, tagValue, expected) => {
    expect(matches({ [operator]: { 'aws:PrincipalTag/job-category': policyValue } }, { 'aws:PrincipalTag/job-category': [tagValue] })).toBe(expected);
  });

  it('StringLike: * and ? match any characters, case-sensitively, and several values are OR-ed', () => {
    // Condition operators page, the s3:prefix example with a policy variable, rewritten.
    const condition = { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } };
    expect(matches(condition, { 's3:prefix': ['home/'], 'aws:username': ['alice'] })).toBe(true);
    expect(matches(condition, { 's3:prefix': ['home/alice/notes/'], 'aws:username': ['alice'] })).toBe(true);
    expect(matches(condition, { 's3:prefix': ['home/bob/notes/'], 'aws:username': ['alice'] })).toBe(false);
    expect(matches(condition, { 's3:prefix': ['Home/'], 'aws:username': ['alice'] })).toBe(false);
    expect(matches(condition, ABSENT)).toBe(false);
    expect(matches({ StringLike: { 'ec2:InstanceType': 't?.micro' } }, { 'ec2:InstanceType': ['t3.micro'] })).toBe(true);
  });

  it('StringEquals takes * literally', () => {
    expect(matches({ StringEquals: { 'aws:PrincipalTag/team': '*' } }, { 'aws:PrincipalTag/team': ['TeamA'] })).toBe(false);
    expect(matches({ StringEquals: { 'aws:PrincipalTag/team': '*' } }, { 'aws:PrincipalTag/team': ['*'] })).toBe(true);
  });
});

describe('a key missing from the request', () => {
  it.each([
    ['StringEquals', false],
    ['StringNotEquals', true],
    ['StringLike', false],
    ['StringNotLike', true],
    ['NumericEquals', false],
    ['NumericNotEquals', true],
    ['DateEquals', false],
    ['DateNotEquals', true],
    ['IpAddress', false],
    ['NotIpAddress', true],
    ['ArnLike', false],
    ['ArnNotLike', true],
    ['ArnNotEquals', true],
    ['Bool', false],
    ['BinaryEquals', false],
    ['StringEqualsIfExists', true],
    ['StringNotEqualsIfExists', true],
    ['NumericLessThanIfExists', true],
    ['ForAllValues:StringEquals', true],
    ['ForAllValues:StringNotEquals', true],
    ['ForAnyValue:StringEquals', false],
    ['ForAnyValue:StringNotEquals', false],
    ['ForAnyValue:StringEqualsIfExists', true],
  ])('%s → %s, and the key is reported missing', (operator, expected) => {
    // Arrange
    const value = operator.includes('Ip') ? '10.0.0.0/8' : operator.includes('Date') ? '2026-01-01T00:00:00Z' : operator.includes('Numeric') ? '5' : operator.includes('Bool') ? 'true' : operator.includes('Binary') ? 'QUJD' : operator.includes('Arn') ? 'arn:aws:s3:::b' : 'x';

    // Act
    const outcome = evaluateConditionBlock({ [operator]: { 'aws:SomeKey': [value] } }, ABSENT);

    // Assert
    expect(outcome).toEqual({ matched: expected, missingKeys: ['aws:SomeKey'] });
  });

  it('counts an empty value list as absent', () => {
    expect(matches({ 'ForAllValues:StringEquals': { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': [] })).toBe(true);
    expect(matches({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': [] })).toBe(false);
  });
});

describe('Numeric operators', () => {
  // Condition operators page, the s3:max-keys example (NumericLessThanEquals 10), rewritten.
  it.each([
    ['NumericLessThanEquals', '10', '6', true],
    ['NumericLessThanEquals', '10', '10', true],
    ['NumericLessThanEquals', '10', '11', false],
    ['NumericLessThan', '10', '10', false],
    ['NumericGreaterThan', '1.5', '1.75', true],
    ['NumericGreaterThanEquals', '3600', '3599', false],
    ['NumericEquals', '100', '100.0', true],
    ['NumericNotEquals', '100', '99', true],
    ['NumericNotEquals', '100', '100', false],
    ['NumericEquals', '100', 'one hundred', false], // not a number: no match
    ['NumericNotEquals', '100', 'one hundred', false], // not a number: no match, negated or not
    ['NumericEquals', '${aws:max}', '5', false], // variables are not substituted in Numeric values
  ])('%s %s against %s → %s', (operator, policyValue, requestValue, expected) => {
    expect(matches({ [operator]: { 's3:max-keys': policyValue } }, { 's3:max-keys': [requestValue], 'aws:max': ['5'] })).toBe(expected);
  });
});

describe('Date operators', () => {
  // Condition operators page, the aws:TokenIssueTime example (DateGreaterThan), rewritten.
  it.each([
    ['DateGreaterThan', '2026-01-01T00:00:01Z', '2026-06-01T00:00:00Z', true],
    ['DateGreaterThan', '2026-01-01T00:00:01Z', '2025-12-31T23:59:59Z', false],
    ['DateLessThan', '2026-12-01', '2026-11-30T23:59:59Z', true],
    ['DateLessThanEquals', '2026-12-01T00:00:00Z', '2026-12-01T01:00:00+01:00', true], // same instant, written with an offset
    ['DateEquals', '2026-11-10T12:00:00Z', '2026-11-10T13:00:00+01:00', true],
    ['DateNotEquals', '2026-11-10T12:00:00Z', '2026-11-10T12:00:01Z', true],
    ['DateGreaterThanEquals', '1767225600', '2026-01-01T00:00:00Z', true], // epoch seconds against ISO 8601
    ['DateLessThan', '2026-01-01T00:00:00Z', '1767225599', true],
    ['DateLessThan', '2026-01-01T00:00:00Z', 'yesterday', false], // not a date: no match
    ['DateNotEquals', '2026-01-01T00:00:00Z', 'yesterday', false],
  ])('%s %s against %s → %s', (operator, policyValue, requestValue, expected) => {
    expect(matches({ [operator]: { 'aws:TokenIssueTime': policyValue } }, { 'aws:TokenIssueTime': [requestValue] })).toBe(expected);
  });

  it('reads a time without a zone as UTC', () => {
    expect(parseDate('2026-11-10T12:00:00')).toBe(Date.UTC(2026, 10, 10, 12, 0, 0));
    expect(parseDate('2026-11-10')).toBe(Date.UTC(2026, 10, 10));
    expect(parseDate('next tuesday')).toBeUndefined();
  });
});

describe('Bool and Binary', () => {
  // Condition operators page, the aws:SecureTransport example (Bool), rewritten.
  it.each([
    ['true', 'true', true],
    ['true', 'TRUE', true],
    ['true', 'false', false],
    ['false', 'false', true],
    ['true', 'yes', false],
  ])('Bool %s against %s → %s', (policyValue, requestValue, expected) => {
    expect(matches({ Bool: { 'aws:SecureTransport': policyValue } }, { 'aws:SecureTransport': [requestValue] })).toBe(expected);
  });

  it('BinaryEquals compares the base64-decoded bytes', () => {
    const value = Buffer.from('governed-binary-value').toString('base64');
    expect(matches({ BinaryEquals: { 'custom:key': value } }, { 'custom:key': [value] })).toBe(true);
    expect(matches({ BinaryEquals: { 'custom:key': value } }, { 'custom:key': [Buffer.from('other').toString('base64')] })).toBe(false);
    expect(matches({ BinaryEquals: { 'custom:key': value } }, { 'custom:key': ['not base64!'] })).toBe(false);
    expect(matches({ BinaryEqualsIfExists: { 'custom:key': value } }, ABSENT)).toBe(true);
  });
});

describe('IpAddress and NotIpAddress', () => {
  // Condition operators page, IP address example (an IPv4 and an IPv6 range), rewritten.
  const ranges = ['203.0.113.0/24', '2001:DB8:1234:5678::/64'];
  it.each([
    ['IpAddress', '203.0.113.77', true],
    ['IpAddress', '198.51.100.7', false],
    ['IpAddress', '2001:db8:1234:5678::42', true],
    ['IpAddress', '2001:db8:1234:9999::42', false],
    ['IpAddress', '::ffff:203.0.113.9', true], // IPv4-mapped IPv6 is the IPv4 address
    ['NotIpAddress', '198.51.100.7', true],
    ['NotIpAddress', '203.0.113.77', false],
    ['IpAddress', 'not-an-ip', false],
    ['NotIpAddress', 'not-an-ip', false],
  ])('%s [203.0.113.0/24, 2001:DB8:1234:5678::/64] against %s → %s', (operator, ip, expected) => {
    expect(matches({ [operator]: { 'aws:SourceIp': ranges } }, { 'aws:SourceIp': [ip] })).toBe(expected);
  });

  it('treats a bare address as /32 (IPv4) or /128 (IPv6)', () => {
    expect(matches({ IpAddress: { 'aws:SourceIp': '203.0.113.5' } }, { 'aws:SourceIp': ['203.0.113.5'] })).toBe(true);
    expect(matches({ IpAddress: { 'aws:SourceIp': '203.0.113.5' } }, { 'aws:SourceIp': ['203.0.113.6'] })).toBe(false);
    expect(matches({ IpAddress: { 'aws:SourceIp': '2001:db8::1' } }, { 'aws:SourceIp': ['2001:db8::2'] })).toBe(false);
  });
});

describe('Arn operators', () => {
  it.each([
    ['ArnLike', 'arn:aws:cloudtrail:*:111122223333:trail/*', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org', true],
    ['ArnEquals', 'arn:aws:cloudtrail:*:111122223333:trail/*', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org', true],
    ['ArnLike', 'arn:aws:cloudtrail:*:111122223333:trail/*', 'arn:aws:cloudtrail:us-east-1:444455556666:trail/org', false],
    ['ArnLike', 'arn:aws:sagemaker:us-*:*:*', 'arn:aws:sagemaker:us-east-1:111122223333:domain/d-1', true],
    // each of the six components is checked on its own: `*` never runs past a colon before the resource
    ['ArnLike', 'arn:aws:sagemaker:*', 'arn:aws:sagemaker:us-east-1:111122223333:domain/d-1', false],
    ['ArnLike', 'arn:aws:iam::111122223333:role/Team*', 'arn:aws:iam::111122223333:role/teama', false], // case-sensitive
    ['ArnNotLike', 'arn:aws:iam::111122223333:role/Admin*', 'arn:aws:iam::111122223333:role/TeamA', true],
    ['ArnNotEquals', 'arn:aws:iam::111122223333:role/TeamA', 'arn:aws:iam::111122223333:role/TeamA', false],
  ])('%s %s against %s → %s', (operator, pattern, arn, expected) => {
    expect(matches({ [operator]: { 'aws:SourceArn': pattern } }, { 'aws:SourceArn': [arn] })).toBe(expected);
  });

  it('substitutes variables in Arn values', () => {
    const condition = { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/${aws:username}' } };
    expect(matches(condition, { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:user/alice'], 'aws:username': ['alice'] })).toBe(true);
    expect(matches(condition, { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:user/alice'], 'aws:username': ['bob'] })).toBe(false);
  });
});

describe('Null', () => {
  // Condition operators page, "Condition operator to check existence of condition keys", rewritten.
  it.each([
    ['true', ABSENT, true],
    ['true', { 'aws:TokenIssueTime': ['2026-11-10T12:00:00Z'] }, false],
    ['false', ABSENT, false],
    ['false', { 'aws:TokenIssueTime': ['2026-11-10T12:00:00Z'] }, true],
  ])('Null %s → %s', (value, context, expected) => {
    expect(matches({ Null: { 'aws:TokenIssueTime': value } }, context)).toBe(expected);
  });
});

describe('several operators, keys and values', () => {
  // IAM User Guide, "Conditions with multiple context keys or values": two keys under one
  // operator are AND-ed, the values of one key OR-ed (NOR for a negated operator). Rewritten.
  const equals = { StringEquals: { 'aws:PrincipalTag/department': ['finance', 'hr', 'legal'], 'aws:PrincipalTag/role': ['audit', 'security'] } };
  const notEquals = { StringNotEquals: equals.StringEquals };
  it.each([
    [{ department: 'finance', role: 'audit' }, true, false],
    [{ department: 'hr', role: 'security' }, true, false],
    [{ department: 'finance' }, false, false],
    [{ department: 'engineering', role: 'audit' }, false, false],
    [{ department: 'payroll', role: 'intern' }, false, true],
    [{ department: 'payroll' }, false, true],
    [{}, false, true],
  ])('principal tags %j → StringEquals %s, StringNotEquals %s', (tags, equalsExpected, notEqualsExpected) => {
    const context: RequestContext = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, [v]]));
    expect(matches(equals, context)).toBe(equalsExpected);
    expect(matches(notEquals, context)).toBe(notEqualsExpected);
  });

  it('ANDs several operators and reports every missing key, not only the first', () => {
    // Act
    const outcome = evaluateConditionBlock(
      normalise({ StringEquals: { 'aws:PrincipalTag/team': 'TeamA' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' }, Null: { 'sagemaker:VpcSubnets': 'false' } }),
      { 'aws:PrincipalTag/team': ['TeamB'] },
    );

    // Assert
    expect(outcome).toEqual({ matched: false, missingKeys: ['aws:MultiFactorAuthPresent', 'sagemaker:VpcSubnets'] });
  });

  it('reads a context changed between evaluations afresh', () => {
    // Arrange
    const block = normalise({ StringEquals: { 'aws:PrincipalTag/team': 'TeamA' } });
    const context: RequestContext = { 'aws:principaltag/team': ['TeamB'] };

    // Act
    const before = evaluateConditionBlock(block, context).matched;
    context['aws:principaltag/team'] = ['TeamA'];
    const after = evaluateConditionBlock(block, context).matched;

    // Assert
    expect([before, after]).toEqual([false, true]);
  });

  it('compares context keys without regard to case', () => {
    expect(matches({ IpAddress: { 'AWS:SOURCEIP': '10.0.0.0/8' } }, { 'aws:SourceIp': ['10.1.2.3'] })).toBe(true);
  });
});

describe('ForAnyValue and ForAllValues on a multivalued key', () => {
  // IAM User Guide, "Multivalued context key examples": a Deny with ForAllValues:StringNotLike on
  // aws:TagKeys and the table of requests and outcomes, rewritten.
  it.each([
    [['key1:legal'], false],
    [['key1:hr', 'key1:personnel'], false],
    [['key2:audit'], true],
    [['key1:hr', 'key2:audit'], false],
    [undefined, true],
  ])('ForAllValues:StringNotLike key1* against %j → %s', (tagKeys, expected) => {
    expect(matches({ 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } }, tagKeys ? { 'aws:TagKeys': tagKeys } : ABSENT)).toBe(expected);
  });

  it.each([
    [['key1:legal'], true],
    [['key2:audit', 'key1:x'], true],
    [['key2:audit'], false],
    [undefined, false],
  ])('ForAnyValue:StringLike key1* against %j → %s', (tagKeys, expected) => {
    expect(matches({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'key1*' } }, tagKeys ? { 'aws:TagKeys': tagKeys } : ABSENT)).toBe(expected);
  });

  it('ForAllValues:StringEquals needs every request value listed; ForAnyValue:StringNotEquals needs one unlisted', () => {
    const allowed = ['team', 'project'];
    expect(matches({ 'ForAllValues:StringEquals': { 'aws:TagKeys': allowed } }, { 'aws:TagKeys': ['team', 'project'] })).toBe(true);
    expect(matches({ 'ForAllValues:StringEquals': { 'aws:TagKeys': allowed } }, { 'aws:TagKeys': ['team', 'cost-center'] })).toBe(false);
    expect(matches({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': allowed } }, { 'aws:TagKeys': ['team', 'cost-center'] })).toBe(true);
    expect(matches({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': allowed } }, { 'aws:TagKeys': ['team'] })).toBe(false);
  });

  it('without a set operator, a plain operator needs one request value to match and a negated one needs none', () => {
    expect(matches({ StringEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['project', 'team'] })).toBe(true);
    expect(matches({ StringNotEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['project', 'team'] })).toBe(false);
  });
});

describe('policy variables in condition values', () => {
  it('compares against the substituted value, and an unresolved variable equals nothing', () => {
    // Arrange
    const condition = { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } };

    // Act / Assert
    expect(matches(condition, { 'aws:ResourceTag/team': ['TeamA'], 'aws:PrincipalTag/team': ['TeamA'] })).toBe(true);
    expect(matches(condition, { 'aws:ResourceTag/team': ['TeamA'], 'aws:PrincipalTag/team': ['TeamB'] })).toBe(false);
    expect(evaluateConditionBlock(normalise(condition), { 'aws:ResourceTag/team': ['TeamA'] })).toEqual({ matched: false, missingKeys: ['aws:PrincipalTag/team'] });
  });

  it('a negated operator against an unresolved variable matches (variables page, "Policy variables with no value")', () => {
    // The page's example: a Deny with StringNotEquals ExistingObjectTag/Team = ${aws:PrincipalTag/Team}
    // denies when the principal has no Team tag. Rewritten.
    const notEquals = { StringNotEquals: { 's3:ExistingObjectTag/Team': '${aws:PrincipalTag/Team}' } };
    const notLike = { StringNotLike: { 's3:ExistingObjectTag/Team': '${aws:PrincipalTag/Team}*' } };
    expect(evaluateConditionBlock(normalise(notEquals), { 's3:ExistingObjectTag/Team': ['red'] })).toEqual({ matched: true, missingKeys: ['aws:PrincipalTag/Team'] });
    expect(matches(notLike, { 's3:ExistingObjectTag/Team': ['red'] })).toBe(true);
    expect(matches(notEquals, { 's3:ExistingObjectTag/Team': ['red'], 'aws:PrincipalTag/Team': ['red'] })).toBe(false);
    expect(matches({ StringLike: notLike.StringNotLike }, { 's3:ExistingObjectTag/Team': ['red'] })).toBe(false);
  });

  it('uses a default and the escapes', () => {
    expect(matches({ StringEquals: { 'aws:ResourceTag/team': "${aws:PrincipalTag/team, 'none'}" } }, { 'aws:ResourceTag/team': ['none'] })).toBe(true);
    expect(matches({ StringLike: { 's3:prefix': 'literal${*}' } }, { 's3:prefix': ['literal*'] })).toBe(true);
    expect(matches({ StringLike: { 's3:prefix': 'literal${*}' } }, { 's3:prefix': ['literalX'] })).toBe(false);
  });

  it('reads ${…} literally in 2008-10-17 documents', () => {
    const block = normalise({ StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } });
    expect(evaluateConditionBlock(block, { 'aws:ResourceTag/team': ['${aws:PrincipalTag/team}'], 'aws:PrincipalTag/team': ['x'] }, { substituteVariables: false }).matched).toBe(true);
  });
});

describe('an unknown operator', () => {
  it('is an error naming the operator and the statement, never a silent no-match', () => {
    const evaluate = () => evaluateConditionBlock({ StringEqualz: { 'aws:username': ['bob'] } }, {}, { where: 'statement AllowX' });
    expect(evaluate).toThrow(PolicyEvaluationError);
    expect(evaluate).toThrow('unknown condition operator StringEqualz in statement AllowX');
    expect(() => evaluateConditionBlock({ 'ForSomeValues:StringEquals': { k: ['v'] } }, {})).toThrow(/unknown condition operator ForSomeValues:StringEquals/);
  });
});
