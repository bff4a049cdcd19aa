import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/** Published AWS records, read where they are (never copied into the project). */
const SAMPLES = path.resolve(__dirname, '../../../shared/samples/aws');
const haveSamples = existsSync(SAMPLES);
if (!haveSamples) console.warn(`notice: ${SAMPLES} not found; the published-sample tests are skipped`);
const describeSamples = haveSamples ? describe : describe.skip;

const sampleFiles = (kinds: string[]) =>
  haveSamples
    ? readdirSync(SAMPLES).filter((f) => kinds.some((k) => f.endsWith(`.${k}.jsonl`))).sort().map((f) => path.join(SAMPLES, f))
    : [];

/** The CloudTrail records a sample line holds, unwrapped here independently of the reader. */
function recordsInLine(value: Record<string, any>): Record<string, any>[] {
  if (Array.isArray(value.Records)) return value.Records;
  if (Array.isArray(value.Events)) return value.Events.map((e: any) => (typeof e.CloudTrailEvent === 'string' ? JSON.parse(e.CloudTrailEvent) : e));
  if (Array.isArray(value.logEvents)) return value.logEvents.map((e: any) => JSON.parse(e.message));
  if (value.detail && value['detail-type']) return [value.detail];
  return [value];
}

/** Has the four fields every stored event needs (an ISO 8601 time with a zone). */
const storable = (r: Record<string, any>) =>
  ['eventID', 'eventSource', 'eventName'].every((k) => typeof r[k] === 'string' && r[k] !== '') &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(r.eventTime);

describeSamples('every published CloudTrail sample', () => {
  let db: TestDatabase;
  const files = sampleFiles(['cloudtrail', 'logfile', 'eventbridge', 'lookupevents', 'cloudwatch-logs-subscription']);
  const records = files
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()))
    .flatMap((line) => recordsInLine(JSON.parse(line)));
  const expectedRecords = records.length;
  const distinctStorableIds = new Set(records.filter(storable).map((r) => r.eventID)).size;
  let first: Awaited<ReturnType<typeof ingestCloudTrailPaths>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await ingestCloudTrailPaths(db.pool, files, { teamTagKey: 'team' });
  });
  afterAll(() => db.drop());

  it('accounts for every record: stored, duplicate, conflict or rejected with a reason', async () => {
    // Assert
    expect(first.read).toBe(expectedRecords);
    expect(first.stored + first.duplicates + first.conflicts + first.rejected).toBe(first.read);
    const stored = Number((await db.pool.query('SELECT count(*) AS n FROM audit_events')).rows[0].n);
    expect(stored).toBe(first.stored);
    const rejected = await db.pool.query('SELECT reason FROM rejected_records');
    expect(rejected.rows).toHaveLength(first.rejected);
    for (const r of rejected.rows) expect(r.reason).toMatch(/\w+/);
    // each distinct eventID once; samples reuse placeholder ids ("...", "EXAMPLE") for different records
    expect(first.stored).toBe(distinctStorableIds);
    expect(first.rejected).toBe(expectedRecords - records.filter(storable).length);
  });

  it('stores nothing new when the same files are ingested again', async () => {
    // Arrange
    const before = await db.pool.query(
      'SELECT (SELECT count(*) FROM audit_events) AS e, (SELECT count(*) FROM rejected_records) AS r, (SELECT count(*) FROM event_conflicts) AS c, (SELECT count(*) FROM resources) AS res',
    );

    // Act
    const again = await ingestCloudTrailPaths(db.pool, files, { teamTagKey: 'team' });

    // Assert
    expect(again.stored).toBe(0);
    expect(again.read).toBe(first.read);
    const after = await db.pool.query(
      'SELECT (SELECT count(*) FROM audit_events) AS e, (SELECT count(*) FROM rejected_records) AS r, (SELECT count(*) FROM event_conflicts) AS c, (SELECT count(*) FROM resources) AS res',
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('normalises each kind of principal to what its raw record says', async () => {
    // Arrange
    const { rows } = await db.pool.query(
      'SELECT raw::jsonb AS raw, principal_arn, principal_type, session_name, access_key_id FROM audit_events',
    );
    const seen = new Set<string>();

    // Assert
    for (const row of rows) {
      const ui = row.raw.userIdentity as Record<string, any> | undefined;
      if (!ui || typeof ui.type !== 'string') continue;
      seen.add(ui.type);
      switch (ui.type) {
        case 'IAMUser':
          // published records include redacted and malformed identities; well-formed ones must match exactly
          if (/^arn:[\w-]+:iam::\d{12}:user\//.test(ui.arn ?? '')) expect(row).toMatchObject({ principal_type: 'IAM_USER', principal_arn: ui.arn });
          break;
        case 'Root':
          expect(row).toMatchObject({ principal_type: 'ROOT', principal_arn: ui.arn ?? `arn:aws:iam::${ui.accountId}:root` });
          break;
        case 'AssumedRole': {
          const issuer = ui.sessionContext?.sessionIssuer;
          if (/^arn:[\w-]+:iam::\d{12}:role\//.test(issuer?.arn ?? '')) expect(row).toMatchObject({ principal_type: 'ROLE', principal_arn: issuer.arn });
          if (/^arn:[\w-]+:sts::\d{12}:assumed-role\/[^/]+\/.+/.test(ui.arn ?? '')) expect(row.session_name).toBe(ui.arn.split('/').pop());
          if (ui.accessKeyId) expect(row.access_key_id).toBe(ui.accessKeyId);
          break;
        }
        case 'FederatedUser':
          expect(row).toMatchObject({ principal_type: 'FEDERATED_USER', principal_arn: ui.arn });
          break;
        case 'SAMLUser':
          expect(row.principal_type).toBe('SAML_USER');
          expect(row.principal_arn).toContain(ui.userName);
          break;
        case 'WebIdentityUser':
          expect(row.principal_type).toBe('WEB_IDENTITY_USER');
          break;
        case 'AWSService':
          expect(row).toMatchObject({ principal_type: 'AWS_SERVICE', principal_arn: ui.invokedBy });
          break;
        case 'AWSAccount':
          expect(row.principal_type).toBe('AWS_ACCOUNT');
          expect(row.principal_arn).toContain(ui.accountId ?? ui.principalId);
          break;
      }
    }
    // SAML, federated and AWSAccount records share placeholder eventIDs with others in the samples and
    // land in event_conflicts; test/unit/principal.test.ts normalises every sample line on its own.
    expect([...seen]).toEqual(expect.arrayContaining(['IAMUser', 'Root', 'AssumedRole', 'AWSService', 'WebIdentityUser']));
  });

  it('names the SageMaker resources an event touched as full ARNs', async () => {
    // Act
    const { rows } = await db.pool.query(
      "SELECT resource_arns FROM audit_events WHERE event_source = 'sagemaker.amazonaws.com' AND event_name = 'CreateEndpoint'",
    );

    // Assert
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0].resource_arns).toEqual(expect.arrayContaining([expect.stringMatching(/^arn:aws:sagemaker:[\w-]+:\d{12}:endpoint\//)]));
  });
});

describeSamples('every published GetResources sample', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('upserts every listed resource once, with the tags of its last listing', async () => {
    // Arrange
    const files = sampleFiles(['getresources']);
    const lastListing = new Map<string, Record<string, string>>();
    for (const f of files) {
      for (const line of readFileSync(f, 'utf8').split('\n').filter((l) => l.trim())) {
        const v = JSON.parse(line);
        for (const m of (v.data ?? v).ResourceTagMappingList ?? []) {
          lastListing.set(String(m.ResourceARN).trim(), Object.fromEntries((m.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value])));
        }
      }
    }

    // Act
    const first = await ingestTagPaths(db.pool, files, { teamTagKey: 'team' });
    const again = await ingestTagPaths(db.pool, files, { teamTagKey: 'team' });

    // Assert
    expect(first).toMatchObject({ rejected: 0, deleted: 0 });
    expect(again).toMatchObject({ rejected: 0, deleted: 0 });
    const stored = await db.pool.query('SELECT arn, tags FROM resources');
    expect(stored.rows).toHaveLength(lastListing.size);
    for (const r of stored.rows) expect(r.tags).toEqual(lastListing.get(r.arn));
  });
});
