import * as fs from 'node:fs';
import * as path from 'node:path';
import { isArn } from '../../src/domain/aws/arn';
import { normalizeCloudTrailRecord } from '../../src/domain/cloudtrail/normalize';
import type { NormalizedEvent, SourceRecord } from '../../src/domain/cloudtrail/types';
import { parseIsoTimestamp, validateCloudTrailRecord } from '../../src/domain/cloudtrail/validate';

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples', 'aws');
const haveSamples = fs.existsSync(SAMPLES);
if (!haveSamples) console.warn(`normalize.test: ${SAMPLES} is absent, the tests on published records are skipped`);
const describeWithSamples = haveSamples ? describe : describe.skip;

type Json = Record<string, unknown>;

function sampleLines(file: string): string[] {
  return fs.readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

function sample(file: string, pick: (record: Json) => boolean): Json {
  const found = sampleLines(file).map((l) => JSON.parse(l) as Json).find(pick);
  if (!found) throw new Error(`no record in ${file} matches`);
  return found;
}

function sourceRecord(value: unknown, text = JSON.stringify(value) ?? ''): SourceRecord {
  return { source: 'trail/2024/05/02/file.json.gz', position: 'line 1 Records[3]', value, text };
}

function rejectionReason(value: unknown, text?: string): string {
  const checked = validateCloudTrailRecord(sourceRecord(value, text));
  if (checked.ok) throw new Error('expected a rejection');
  return checked.rejected.reason;
}

const VALID: Json = {
  eventVersion: '1.08',
  eventID: '3b8a1f2e-5f7c-4c1d-9a57-0d6d1c2a9e11',
  eventTime: '2024-05-02T10:15:30Z',
  eventSource: 'sagemaker.amazonaws.com',
  eventName: 'DescribeTrainingJob',
};

describe('validateCloudTrailRecord', () => {
  it('accepts a record with eventID, eventTime, eventSource and eventName, and passes its text through', () => {
    // Arrange
    const rec = sourceRecord(VALID);

    // Act
    const checked = validateCloudTrailRecord(rec);

    // Assert
    expect(checked).toEqual({ ok: true, record: VALID, eventTime: new Date(VALID.eventTime as string), text: rec.text, source: rec.source, position: rec.position });
  });

  it.each([
    ['UTC with Z', '2016-01-26T21:42:12Z'],
    ['a negative offset', '2021-11-18T09:41:02-08:00'],
    ['an offset without colon', '2021-11-18T09:41:02+0530'],
    ['fractional seconds', '2024-05-02T10:15:30.123456Z'],
    ['a leap day', '2024-02-29T00:00:00Z'],
  ])('accepts an eventTime in %s', (_label, eventTime) => {
    // Arrange
    const rec = sourceRecord({ ...VALID, eventTime });

    // Act
    const checked = validateCloudTrailRecord(rec);

    // Assert
    expect(checked.ok).toBe(true);
  });

  it.each([
    ['2016-01-26T21:42:12Z', '2016-01-26T21:42:12.000Z'],
    ['2021-11-18T09:41:02-08:00', '2021-11-18T17:41:02.000Z'],
    ['2021-11-18T23:41:02+0530', '2021-11-18T18:11:02.000Z'],
    ['2024-05-02T10:15:30.123456Z', '2024-05-02T10:15:30.123Z'],
    ['2024-05-02T10:15:30,5z', '2024-05-02T10:15:30.500Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    ['2024-02-29T00:00Z', '2024-02-29T00:00:00.000Z'],
    // years below 100 stay themselves (Date.UTC would read 0050 as 1950)
    ['0050-01-01T00:30:00+01:00', '0049-12-31T23:30:00.000Z'],
  ])('places eventTime %s at the instant %s', (eventTime, instant) => {
    // Act
    const parsed = parseIsoTimestamp(eventTime);

    // Assert
    expect(parsed?.toISOString()).toBe(instant);
  });

  it.each(['2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2021-04-31T00:00:00Z', '2021-11-18T09:41:60Z', '2021-11-18T09:41:02+24:00'])(
    'refuses %s, which is not on the calendar or the clock',
    (eventTime) => {
      expect(parseIsoTimestamp(eventTime)).toBeNull();
    },
  );

  it.each([
    ['a word', 'foo'],
    ['no time zone', '2021-11-18T09:41:02'],
    ['a day that does not exist', '2021-02-30T00:00:00Z'],
    ['no time', '2021-11-18'],
    ['a human-readable date', 'Mar 24, 2014 9:11:59 PM'],
    ['hour 24', '2021-11-18T24:00:00Z'],
  ])('rejects an eventTime that is %s, quoting it', (_label, eventTime) => {
    // Arrange: the eventTime above

    // Act
    const reason = rejectionReason({ ...VALID, eventTime });

    // Assert
    expect(reason).toBe(`eventTime ${JSON.stringify(eventTime)} is not an ISO 8601 timestamp`);
  });

  it('names a missing eventID', () => {
    // Arrange
    const { eventID: _dropped, ...withoutId } = VALID;

    // Act
    const reason = rejectionReason(withoutId);

    // Assert
    expect(reason).toBe('missing eventID');
  });

  it('names every problem of a record in one reason', () => {
    // Arrange
    const record = { eventID: '', eventTime: 'yesterday', eventSource: 42 };

    // Act
    const reason = rejectionReason(record);

    // Assert
    expect(reason).toBe(
      'eventID is empty; eventSource is not a string: got number; missing eventName; eventTime "yesterday" is not an ISO 8601 timestamp',
    );
  });

  it.each([
    ['an array', [VALID], 'array'],
    ['null', null, 'null'],
    ['a string', 'eventID', 'string'],
  ])('rejects %s as not a JSON object', (_label, value, kind) => {
    // Arrange: the value above

    // Act
    const reason = rejectionReason(value);

    // Assert
    expect(reason).toBe(`not a JSON object: got ${kind}`);
  });

  it("rejects text that is not JSON with the parser's message, keeping the text, source and position", () => {
    // Arrange
    const text = '{"eventID": "abc", "eventTime": ';
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (error) {
      parserMessage = (error as Error).message;
    }

    // Act
    const checked = validateCloudTrailRecord(sourceRecord(undefined, text));

    // Assert
    expect(checked).toEqual({
      ok: false,
      rejected: { source: 'trail/2024/05/02/file.json.gz', position: 'line 1 Records[3]', reason: `not JSON: ${parserMessage}`, raw: text },
    });
  });
});

describeWithSamples('validateCloudTrailRecord on published records', () => {
  it('rejects an Insights record, which carries eventSource and eventName only inside insightDetails', () => {
    // Arrange
    const record = sample('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl', (r) => r.eventType === 'AwsCloudTrailInsight');

    // Act
    const reason = rejectionReason(record);

    // Assert
    expect(reason).toBe('missing eventSource; missing eventName');
  });

  it('rejects a 2014-format record that has no eventID', () => {
    // Arrange
    const record = sample('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateUser');

    // Act
    const reason = rejectionReason(record);

    // Assert
    expect(reason).toBe('missing eventID');
  });

  it('rejects a skeleton record whose eventTime is "..."', () => {
    // Arrange
    const record = sample('streamalert.cloudtrail.jsonl', (r) => r.eventTime === '...');

    // Act
    const reason = rejectionReason(record);

    // Assert
    expect(reason).toBe('eventTime "..." is not an ISO 8601 timestamp');
  });
});

describeWithSamples('normalizeCloudTrailRecord on published records', () => {
  it('normalises the SageMaker CreateEndpoint record: when, who, where, what it touched and created', () => {
    // Arrange
    const record = sample('awsdocs-sagemaker-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateEndpoint');

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event).toMatchObject({
      eventId: 'a6f85b21-EXAMPLE',
      eventTime: new Date('2018-01-02T13:39:06Z'),
      eventSource: 'sagemaker.amazonaws.com',
      eventName: 'CreateEndpoint',
      eventType: 'AwsApiCall',
      eventCategory: null,
      awsRegion: 'us-west-2',
      accountId: '444455556666',
      principal: { arn: 'arn:aws:iam::123456789012:user/intern', type: 'IAM_USER' },
      sourceIpAddress: '127.0.0.1',
      userAgent: 'USER_AGENT',
      errorCode: null,
      errorMessage: null,
      readOnly: null,
    });
    expect(event.resources).toContainEqual({
      arn: 'arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint',
      name: 'ExampleEndpoint',
      via: 'responseElements',
    });
    expect(event.effects).toEqual([
      { kind: 'create', arn: 'arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint', name: 'ExampleEndpoint', tags: {} },
    ]);
  });

  it('normalises a read-only SageMaker ListTags by a service-linked role: no inventory effect', () => {
    // Arrange
    const record = sample('sumologic-docs.cloudtrail.jsonl', (r) => r.eventName === 'ListTags');

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.readOnly).toBe(true);
    expect(event.eventCategory).toBe('Management');
    expect(event.principal?.type).toBe('ROLE');
    expect(event.sessionName).toBe('ConfigResourceCompositionSession');
    expect(event.resources).toEqual([
      { arn: 'arn:aws:sagemaker:us-east-1:956882708938:notebook-instance/anemaNoteBook', name: null, via: 'requestParameters' },
    ]);
    expect(event.effects).toEqual([]);
  });

  it('keeps the error of a denied call', () => {
    // Arrange
    const record = sample('stratus-red-team.cloudtrail.jsonl', (r) => r.errorCode === 'AccessDenied');

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event.errorCode).toBe('AccessDenied');
    expect(event.errorMessage).toBe(record.errorMessage);
    expect(event.effects).toEqual([]);
  });

  it('reads readOnly written as a string', () => {
    // Arrange
    const base = sample('sumologic-docs.cloudtrail.jsonl', (r) => r.eventName === 'ListTags');

    // Act
    const values = ['false', 'true', 'maybe'].map((readOnly) => normalizeCloudTrailRecord({ ...base, readOnly }).readOnly);

    // Assert
    expect(values).toEqual([false, true, null]);
  });

  it('is deterministic: a redelivered record normalises to the same event', () => {
    // Arrange
    const text = sampleLines('awsdocs-sagemaker-developer-guide.cloudtrail.jsonl')[1];

    // Act
    const first = normalizeCloudTrailRecord(JSON.parse(text) as Json);
    const second = normalizeCloudTrailRecord(JSON.parse(text) as Json);

    // Assert
    expect(second).toEqual(first);
  });
});

describe('normalizeCloudTrailRecord contract', () => {
  it('refuses a record that validation would reject rather than inventing an event time', () => {
    // Arrange
    const record = { ...VALID, eventTime: 'foo' };

    // Act
    const act = () => normalizeCloudTrailRecord(record);

    // Assert
    expect(act).toThrow('eventTime');
  });

  it('normalises a minimal valid record with nulls for everything it does not say', () => {
    // Arrange
    const record = { ...VALID };

    // Act
    const event = normalizeCloudTrailRecord(record);

    // Assert
    expect(event).toEqual({
      eventId: VALID.eventID,
      eventTime: new Date('2024-05-02T10:15:30Z'),
      eventSource: 'sagemaker.amazonaws.com',
      eventName: 'DescribeTrainingJob',
      eventType: null,
      eventCategory: null,
      awsRegion: null,
      accountId: null,
      principal: null,
      userIdentityArn: null,
      sessionName: null,
      accessKeyId: null,
      invokedBy: null,
      sourceIpAddress: null,
      userAgent: null,
      errorCode: null,
      errorMessage: null,
      readOnly: null,
      resources: [],
      effects: [],
    });
  });
});

// ---- every published record ---------------------------------------------------------------

interface ExpectedIdentity {
  principal: { arn: string; type: string; name: string } | null;
  userIdentityArn: string | null;
  sessionName: string | null;
  accessKeyId: string | null;
  invokedBy: string | null;
}

/** Partition, service, region, account, resource; the last `/` or `:` segment names it. */
const ANY_ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[^:\s]*:[^:\s]*:\S*?([^/:\s]+)\/?$/;
const ROOT_ARN = /^arn:[^:\s]+:iam::[^:\s]*:root$/;
const SESSION_ARN = /^arn:([^:\s]+):sts::([^:\s]*):assumed-role\/([^/\s]+)\/(?:\S*\/)?([^/\s]+)$/;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** What the record's own userIdentity says, read field by field (independently of the code under test). */
function expectedIdentity(record: Json): ExpectedIdentity {
  const ui = obj(record.userIdentity);
  const arn = text(ui.arn);
  return {
    principal: record.userIdentity === undefined ? null : expectedPrincipal(ui),
    userIdentityArn: arn,
    sessionName: arn ? (SESSION_ARN.exec(arn)?.[4] ?? null) : null,
    accessKeyId: text(ui.accessKeyId),
    invokedBy: text(ui.invokedBy),
  };
}

function expectedPrincipal(ui: Json): ExpectedIdentity['principal'] {
  const arn = text(ui.arn) ?? '';
  const account = text(ui.accountId);
  const userName = text(ui.userName) === 'HIDDEN_DUE_TO_SECURITY_REASONS' ? null : text(ui.userName);
  switch (ui.type) {
    case 'IAMUser': {
      const m = ANY_ARN.exec(arn);
      if (m) return { arn, type: 'IAM_USER', name: userName ?? m[1] };
      if (userName && account) return { arn: `arn:aws:iam::${account}:user/${userName}`, type: 'IAM_USER', name: userName };
      return unknownOrNone(arn);
    }
    case 'AssumedRole': {
      const issuer = obj(obj(ui.sessionContext).sessionIssuer);
      const issuerArn = text(issuer.arn) ?? '';
      const role = ANY_ARN.exec(issuerArn);
      if (role) return { arn: issuerArn, type: 'ROLE', name: text(issuer.userName) ?? role[1] };
      const session = SESSION_ARN.exec(arn);
      if (session) return { arn: `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, type: 'ROLE', name: session[3] };
      return arn.startsWith('arn:') ? { arn, type: 'ASSUMED_ROLE_SESSION', name: arn.slice(arn.lastIndexOf('/') + 1) } : null;
    }
    case 'Root':
      if (ROOT_ARN.test(arn)) return { arn, type: 'ROOT', name: 'root' };
      return account ? { arn: `arn:aws:iam::${account}:root`, type: 'ROOT', name: 'root' } : unknownOrNone(arn);
    case 'FederatedUser':
      return arn.includes(':federated-user/') ? { arn, type: 'FEDERATED_USER', name: arn.split('/').pop() ?? '' } : unknownOrNone(arn);
    case 'SAMLUser':
    case 'WebIdentityUser': {
      const provider = text(ui.identityProvider);
      const prefix = ui.type === 'SAMLUser' ? 'saml-user' : 'web-identity-user';
      const type = ui.type === 'SAMLUser' ? 'SAML_USER' : 'WEB_IDENTITY_USER';
      return provider && userName ? { arn: `${prefix}:${provider}/${userName}`, type, name: userName } : unknownOrNone(arn);
    }
    case 'AWSService': {
      const service = text(ui.invokedBy);
      return service ? { arn: service, type: 'AWS_SERVICE', name: service } : unknownOrNone(arn);
    }
    case 'AWSAccount':
      return account ? { arn: `arn:aws:iam::${account}:root`, type: 'AWS_ACCOUNT', name: account } : unknownOrNone(arn);
    default:
      return unknownOrNone(arn);
  }
}

function unknownOrNone(arn: string): ExpectedIdentity['principal'] {
  return arn.startsWith('arn:') && arn.length > 4 ? { arn, type: 'UNKNOWN', name: expect.any(String) as unknown as string } : null;
}

function actualIdentity(event: NormalizedEvent): ExpectedIdentity {
  const p = event.principal;
  return {
    principal: p ? { arn: p.arn, type: p.type, name: p.name } : null,
    userIdentityArn: event.userIdentityArn,
    sessionName: event.sessionName,
    accessKeyId: event.accessKeyId,
    invokedBy: event.invokedBy,
  };
}

interface LineOutcome {
  line: number;
  record: Json;
  accepted: boolean;
  reason: string | null;
  event: NormalizedEvent | null;
  thrown: string | null;
}

function processLine(file: string, lineText: string, index: number): LineOutcome {
  const record = JSON.parse(lineText) as Json;
  const outcome: LineOutcome = { line: index + 1, record, accepted: false, reason: null, event: null, thrown: null };
  try {
    const checked = validateCloudTrailRecord({ source: file, position: `line ${index + 1}`, value: record, text: lineText });
    if (!checked.ok) return { ...outcome, reason: checked.rejected.reason };
    return { ...outcome, accepted: true, event: normalizeCloudTrailRecord(checked.record) };
  } catch (error) {
    return { ...outcome, thrown: String(error) };
  }
}

const SAMPLE_FILES = haveSamples ? fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.cloudtrail.jsonl')).sort() : ['(samples absent)'];

describeWithSamples('every line of every published *.cloudtrail.jsonl sample', () => {
  it.each(SAMPLE_FILES)('%s: validates, normalises without throwing, and names the principal its userIdentity names', (file) => {
    // Arrange
    const lines = sampleLines(file);

    // Act
    const outcomes = lines.map((lineText, i) => processLine(file, lineText, i));

    // Assert
    expect(outcomes.filter((o) => o.thrown !== null).map((o) => `line ${o.line}: ${o.thrown}`)).toEqual([]);
    expect(outcomes.filter((o) => !o.accepted && !o.reason)).toEqual([]);
    for (const o of outcomes.filter((x) => x.event !== null)) {
      const event = o.event as NormalizedEvent;
      expect({ line: o.line, ...actualIdentity(event) }).toEqual({ line: o.line, ...expectedIdentity(o.record) });
      expect({ line: o.line, validTime: !Number.isNaN(event.eventTime.getTime()) }).toEqual({ line: o.line, validTime: true });
      const arns = event.resources.map((r) => r.arn);
      expect({ line: o.line, arns }).toEqual({ line: o.line, arns: [...new Set(arns)].filter((a) => isArn(a) && a === a.trim()) });
      if (event.errorCode !== null) expect({ line: o.line, effects: event.effects }).toEqual({ line: o.line, effects: [] });
    }
  });

  it('covers every principal type the samples contain, and records without one', () => {
    // Arrange
    const events = SAMPLE_FILES.flatMap((file) => sampleLines(file).map((l, i) => processLine(file, l, i)));

    // Act
    const types = new Set(events.filter((o) => o.accepted).map((o) => o.event?.principal?.type ?? 'none'));

    // Assert
    expect([...types].sort()).toEqual(
      expect.arrayContaining(['ASSUMED_ROLE_SESSION', 'AWS_ACCOUNT', 'AWS_SERVICE', 'IAM_USER', 'ROLE', 'ROOT', 'SAML_USER', 'WEB_IDENTITY_USER', 'none']),
    );
  });
});
