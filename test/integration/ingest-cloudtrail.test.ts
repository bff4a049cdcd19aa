import { mkdtemp, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { Actor, cloudTrailRecord, createTrainingJob, sageMakerArn } from '../../src/demo/cloudtrail-records';
import { ingestCloudTrailPaths } from '../../src/ingest/ingest-files';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const teamA: Actor = { accountId: ACCOUNT, name: 'SageMakerStudioDeveloperTeamARole', kind: 'AssumedRole', sessionName: 'SageMaker' };
const admin: Actor = { accountId: ACCOUNT, name: 'platform-admin', kind: 'IAMUser' };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 9, minute));

async function writeJsonl(dir: string, name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

describe('CloudTrail ingestion into the audit store', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-ingest-'));
  });
  afterAll(() => db.drop());
  const ingest = (paths: string[]) => ingestCloudTrailPaths(db.pool, paths, { teamTagKey: 'team' });
  const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query(sql, params)).rows[0].n);

  it('stores each eventID once however often and in whatever envelope it arrives', async () => {
    // Arrange: the same two records as a gzipped S3 log file and as JSON Lines
    const records = [
      createTrainingJob({ actor: teamA, time: at(1), region: REGION, jobName: 'churn-v7', team: 'TeamA', vpc: false }),
      createTrainingJob({ actor: teamA, time: at(2), region: REGION, jobName: 'churn-v8', team: 'TeamA', vpc: true }),
    ];
    const logFile = path.join(dir, `${ACCOUNT}_CloudTrail_${REGION}_20261102T0905Z_a1.json.gz`);
    await writeFile(logFile, gzipSync(JSON.stringify({ Records: records })));
    const jsonl = await writeJsonl(dir, 'same.jsonl', records.map((r) => JSON.stringify(r)));

    // Act
    const first = await ingest([logFile]);
    const second = await ingest([jsonl, logFile]);

    // Assert
    expect(first).toEqual({ read: 2, stored: 2, duplicates: 0, conflicts: 0, rejected: 0 });
    expect(second).toEqual({ read: 4, stored: 0, duplicates: 4, conflicts: 0, rejected: 0 });
    expect(await count("SELECT count(*) AS n FROM audit_events WHERE event_name = 'CreateTrainingJob'")).toBe(2);
    const { rows } = await db.pool.query('SELECT raw::jsonb AS raw FROM audit_events WHERE event_id = $1', [records[0].eventID]);
    expect(rows[0].raw).toEqual(records[0]);
  });

  it('stores the new records of a file that also holds known ones, and only those', async () => {
    // Arrange: a file of three records, then one repeating its middle record among two new ones
    const job = (minute: number, name: string) =>
      createTrainingJob({ actor: teamA, time: at(minute), region: REGION, jobName: name, team: 'TeamA', vpc: true });
    const known = [job(20, 'mix-a'), job(21, 'mix-b'), job(22, 'mix-c')];
    const later = [job(23, 'mix-d'), known[1], job(24, 'mix-e')];
    const first = await writeJsonl(dir, 'mix-first.jsonl', known.map((r) => JSON.stringify(r)));
    const second = await writeJsonl(dir, 'mix-second.jsonl', later.map((r) => JSON.stringify(r)));

    // Act
    const firstCounts = await ingest([first]);
    const secondCounts = await ingest([second]);

    // Assert
    expect(firstCounts).toEqual({ read: 3, stored: 3, duplicates: 0, conflicts: 0, rejected: 0 });
    expect(secondCounts).toEqual({ read: 3, stored: 2, duplicates: 1, conflicts: 0, rejected: 0 });
    const ids = [...known, ...later].map((r) => r.eventID);
    expect(await count('SELECT count(*) AS n FROM audit_events WHERE event_id = ANY($1)', [ids])).toBe(5);
    expect(await count('SELECT count(*) AS n FROM audit_event_keys WHERE event_id = ANY($1)', [ids])).toBe(5);
  });

  it("gives a principal first seen acting the team its role was tagged with before, and keeps it in line with later tags", async () => {
    // Arrange: a role tagged TeamA by an admin (no CreateRole seen), which acts only in a later file,
    // then is re-tagged TeamB in a third
    const role: Actor = { accountId: ACCOUNT, name: 'adopt-etl-role', kind: 'AssumedRole', sessionName: 'etl' };
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/${role.name}`;
    const tagRole = (minute: number, team: string) =>
      cloudTrailRecord({ actor: admin, time: at(minute), region: REGION, eventSource: 'iam.amazonaws.com', eventName: 'TagRole', requestParameters: { roleName: role.name, tags: [{ key: 'team', value: team }] } });
    const tagged = await writeJsonl(dir, 'adopt-1.jsonl', [JSON.stringify(tagRole(30, 'TeamA'))]);
    const acts = await writeJsonl(dir, 'adopt-2.jsonl', [JSON.stringify(createTrainingJob({ actor: role, time: at(31), region: REGION, jobName: 'adopt-job', team: 'TeamA', vpc: true }))]);
    const retagged = await writeJsonl(dir, 'adopt-3.jsonl', [JSON.stringify(tagRole(32, 'TeamB'))]);
    const principalTeam = async () =>
      (await db.pool.query('SELECT t.name FROM principals p LEFT JOIN teams t ON t.id = p.team_id WHERE p.arn = $1', [roleArn])).rows.map((r) => r.name);

    // Act / Assert
    await ingest([tagged]);
    expect(await principalTeam()).toEqual([]);
    await ingest([acts]);
    expect(await principalTeam()).toEqual(['TeamA']);
    await ingest([retagged]);
    expect(await principalTeam()).toEqual(['TeamB']);
  });

  it('takes the same record written differently (key order, spacing, LookupEvents) as a duplicate, and a changed one as a conflict', async () => {
    // Arrange: one record stored from a log file, then redelivered pretty-printed with its keys
    // reversed, as a LookupEvents page, and once with one value changed
    const original = createTrainingJob({ actor: teamA, time: at(20), region: REGION, jobName: 'churn-v9', team: 'TeamA', vpc: true });
    const reversed = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(reversed)
        : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]))
          : value;
    const logFile = path.join(dir, `${ACCOUNT}_CloudTrail_${REGION}_20261102T1000Z_b1.json.gz`);
    await writeFile(logFile, gzipSync(JSON.stringify({ Records: [original] })));
    const respelled = path.join(dir, 'respelled.json');
    await writeFile(respelled, JSON.stringify({ Records: [reversed(original)] }, null, 2));
    const lookup = await writeJsonl(dir, 'lookup.jsonl', [JSON.stringify({ Events: [{ EventId: original.eventID, CloudTrailEvent: JSON.stringify(reversed(original)) }] })]);
    const changed = await writeJsonl(dir, 'changed.jsonl', [JSON.stringify(reversed({ ...original, sourceIPAddress: '198.51.100.7' }))]);

    // Act
    const first = await ingest([logFile]);
    const again = await ingest([respelled, lookup]);
    const altered = await ingest([changed]);

    // Assert
    expect(first).toMatchObject({ stored: 1, duplicates: 0, conflicts: 0 });
    expect(again).toEqual({ read: 2, stored: 0, duplicates: 2, conflicts: 0, rejected: 0 });
    expect(altered).toEqual({ read: 1, stored: 0, duplicates: 0, conflicts: 1, rejected: 0 });
    const { rows } = await db.pool.query('SELECT raw::text AS raw FROM audit_events WHERE event_id = $1', [original.eventID]);
    expect(rows).toEqual([{ raw: JSON.stringify(original) }]);
  });

  it('keeps a record whose eventID is known but whose content differs as a conflict, never over the stored one', async () => {
    // Arrange
    const original = cloudTrailRecord({ actor: admin, time: at(10), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'ListTrainingJobs' });
    const altered = { ...original, sourceIPAddress: '203.0.113.99' };
    const file = await writeJsonl(dir, 'conflict.jsonl', [JSON.stringify(original), JSON.stringify(altered)]);

    // Act
    const first = await ingest([file]);
    const again = await ingest([file]);

    // Assert
    expect(first).toMatchObject({ stored: 1, conflicts: 1 });
    expect(again).toMatchObject({ stored: 0, duplicates: 1, conflicts: 1 });
    const stored = await db.pool.query('SELECT source_ip_address FROM audit_events WHERE event_id = $1', [original.eventID]);
    expect(stored.rows).toEqual([{ source_ip_address: original.sourceIPAddress }]);
    const conflicts = await db.pool.query('SELECT raw::jsonb AS raw, position FROM event_conflicts WHERE event_id = $1', [original.eventID]);
    expect(conflicts.rows).toEqual([{ raw: altered, position: 'line 2' }]);
  });

  it('rejects a malformed record with its reason and place, and stores the rest of the file', async () => {
    // Arrange
    const good1 = cloudTrailRecord({ actor: admin, time: at(20), region: REGION, eventSource: 'iam.amazonaws.com', eventName: 'ListRoles' });
    const good2 = cloudTrailRecord({ actor: admin, time: at(21), region: REGION, eventSource: 'iam.amazonaws.com', eventName: 'ListUsers' });
    const noId = { ...good1, eventID: undefined, eventTime: '2026-11-02T09:22:00Z' };
    const badTime = { ...good2, eventID: 'bad-time-1', eventTime: 'yesterday' };
    const file = await writeJsonl(dir, 'mixed.jsonl', [
      JSON.stringify(good1), '{"eventID": "truncated', JSON.stringify(noId), JSON.stringify(badTime), JSON.stringify(good2),
    ]);

    // Act
    const counts = await ingest([file]);

    // Assert
    expect(counts).toEqual({ read: 5, stored: 2, duplicates: 0, conflicts: 0, rejected: 3 });
    const { rows } = await db.pool.query('SELECT position, reason FROM rejected_records WHERE source = $1 ORDER BY position', [file]);
    expect(rows.map((r) => r.position)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(rows[0].reason).toMatch(/not JSON/);
    expect(rows[1].reason).toMatch(/eventID/);
    expect(rows[2].reason).toMatch(/eventTime/);
    expect(await ingest([file])).toEqual({ read: 5, stored: 0, duplicates: 2, conflicts: 0, rejected: 3 });
    expect(await count('SELECT count(*) AS n FROM rejected_records WHERE source = $1', [file])).toBe(3);
  });

  it('keeps the inventory current from create, tag and delete events, whatever order they arrive in', async () => {
    // Arrange: the role is tagged TeamA; a training job is created with a tag, retagged, then deleted
    const createRole = cloudTrailRecord({
      actor: admin, time: at(30), region: REGION, eventSource: 'iam.amazonaws.com', eventName: 'CreateRole',
      requestParameters: { roleName: teamA.name, assumeRolePolicyDocument: '{}', tags: [{ key: 'team', value: 'TeamA' }] },
      responseElements: { role: { path: '/', roleName: teamA.name, arn: `arn:aws:iam::${ACCOUNT}:role/${teamA.name}`, createDate: 'Nov 2, 2026 9:30:00 AM' } },
    });
    const job = createTrainingJob({ actor: teamA, time: at(31), region: REGION, jobName: 'Fraud-Detect-1', team: 'TeamA', vpc: false });
    const jobArn = sageMakerArn(REGION, ACCOUNT, 'training-job', 'Fraud-Detect-1');
    const addTags = cloudTrailRecord({
      actor: teamA, time: at(32), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'AddTags',
      requestParameters: { resourceArn: jobArn, tags: [{ key: 'project', value: 'fraud' }] },
    });
    const deleteTags = cloudTrailRecord({
      actor: teamA, time: at(33), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'DeleteTags',
      requestParameters: { resourceArn: jobArn, tagKeys: ['project'] },
    });
    const deleteModel = cloudTrailRecord({
      actor: teamA, time: at(34), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'DeleteModel',
      requestParameters: { modelName: 'fraud-model' },
    });
    const createModel = cloudTrailRecord({
      actor: teamA, time: at(33), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateModel',
      requestParameters: { modelName: 'fraud-model', executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${teamA.name}` },
      responseElements: { modelArn: sageMakerArn(REGION, ACCOUNT, 'model', 'fraud-model') },
    });
    // newest first, as LookupEvents returns them, and split over two files
    const f1 = await writeJsonl(dir, 'inventory-late.jsonl', [deleteModel, deleteTags, addTags].map((r) => JSON.stringify(r)));
    const f2 = await writeJsonl(dir, 'inventory-early.jsonl', [createModel, job, createRole].map((r) => JSON.stringify(r)));

    // Act
    await ingest([f1]);
    await ingest([f2]);

    // Assert
    const { rows: [r] } = await db.pool.query(
      `SELECT r.name, r.tags, t.name AS owner_team, p.arn AS created_by, r.created_event_id, r.created_at, r.deleted_at
         FROM resources r LEFT JOIN teams t ON t.id = r.owner_team_id LEFT JOIN principals p ON p.id = r.created_by_principal_id
        WHERE r.arn = $1`,
      [jobArn],
    );
    expect(r).toMatchObject({ name: 'Fraud-Detect-1', tags: { team: 'TeamA' }, owner_team: 'TeamA', created_by: `arn:aws:iam::${ACCOUNT}:role/${teamA.name}`, created_event_id: job.eventID, deleted_at: null });
    expect(r.created_at.toISOString()).toBe(at(31).toISOString());
    const history = await db.pool.query(
      `SELECT tag_key, tag_value, valid_from, valid_to, source_event_id FROM resource_tag_periods p JOIN resources r ON r.id = p.resource_id
        WHERE r.arn = $1 ORDER BY tag_key, valid_from`,
      [jobArn],
    );
    expect(history.rows.map((h) => [h.tag_key, h.tag_value, h.source_event_id, h.valid_to?.toISOString() ?? null])).toEqual([
      ['project', 'fraud', addTags.eventID, at(33).toISOString()],
      ['project', null, deleteTags.eventID, null],
      ['team', 'TeamA', job.eventID, null],
    ]);
    const model = await db.pool.query('SELECT deleted_at, deleted_event_id FROM resources WHERE arn = $1', [sageMakerArn(REGION, ACCOUNT, 'model', 'fraud-model')]);
    expect(model.rows[0].deleted_event_id).toBe(deleteModel.eventID);
    const role = await db.pool.query('SELECT p.principal_type, t.name AS team FROM principals p LEFT JOIN teams t ON t.id = p.team_id WHERE p.arn = $1', [
      `arn:aws:iam::${ACCOUNT}:role/${teamA.name}`,
    ]);
    expect(role.rows).toEqual([{ principal_type: 'ROLE', team: 'TeamA' }]);
  });

  it('resolves an assumed-role session to its role and keeps the session name and access key', async () => {
    // Arrange
    const rec = createTrainingJob({ actor: { ...teamA, sessionName: 'alice@example.com', accessKeyId: 'ASIAEXAMPLESESSION01' }, time: at(40), region: REGION, jobName: 'sess-1', team: 'TeamA', vpc: true });
    const file = await writeJsonl(dir, 'session.jsonl', [JSON.stringify(rec)]);

    // Act
    await ingest([file]);

    // Assert
    const { rows } = await db.pool.query('SELECT principal_arn, principal_type, session_name, access_key_id, user_identity_arn, resource_arns FROM audit_events WHERE event_id = $1', [rec.eventID]);
    expect(rows).toEqual([{
      principal_arn: `arn:aws:iam::${ACCOUNT}:role/${teamA.name}`,
      principal_type: 'ROLE',
      session_name: 'alice@example.com',
      access_key_id: 'ASIAEXAMPLESESSION01',
      user_identity_arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${teamA.name}/alice@example.com`,
      resource_arns: expect.arrayContaining([sageMakerArn(REGION, ACCOUNT, 'training-job', 'sess-1')]),
    }]);
  });

  it("waits out a long reader of the default partition when a batch needs a new month's partition, and stores the batch", async () => {
    // Arrange: a report reading the whole store holds the default partition for longer than one lock wait (5 s)
    const record = createTrainingJob({ actor: teamA, time: new Date(Date.UTC(2032, 2, 4, 9)), region: REGION, jobName: 'late-month', team: 'TeamA', vpc: true });
    const file = await writeJsonl(dir, 'new-month.jsonl', [JSON.stringify(record)]);
    const reader = await db.pool.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM audit_events');
    const readerDone = new Promise((resolve) => setTimeout(resolve, 6500)).then(() => reader.query('COMMIT')).finally(() => reader.release());

    // Act
    const counts = await ingest([file]);
    await readerDone;

    // Assert
    expect(counts).toEqual({ read: 1, stored: 1, duplicates: 0, conflicts: 0, rejected: 0 });
    expect(await count("SELECT count(*) AS n FROM audit_events_2032_03 WHERE event_id = $1", [record.eventID])).toBe(1);
  }, 30_000);

  it('fails with a clear message and stores nothing when a path cannot be read', async () => {
    // Arrange
    const before = await count('SELECT count(*) AS n FROM ingestion_runs');

    // Act / Assert
    await expect(ingest([path.join(dir, 'no-such-file.json')])).rejects.toThrow(/cannot read .*no-such-file\.json: no such file or directory/);
    expect(await count('SELECT count(*) AS n FROM ingestion_runs')).toBe(before);
  });
});
