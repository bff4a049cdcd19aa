import { listPolicyGrants, simulateAccess, whoCan } from '../../src/access/access-service';
import { Actor, cloudTrailRecord, CloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { demoAuthorizationDetails } from '../../src/demo/iam-story';
import type { SourceItem } from '../../src/domain/cloudtrail/source-item';
import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { grantHistory } from '../../src/iam/grants-read';
import { loadAuthorizationSnapshot } from '../../src/iam/store';
import { ingestCloudTrailItems } from '../../src/ingest/cloudtrail-ingest';
import { startIngestionRun } from '../../src/ingest/runs';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const USER_A1 = `arn:aws:iam::${A}:user/user-a1`;
const HOME = 'arn:aws:s3:::ml-home/user-a1/notes.txt';
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const T0 = new Date('2026-11-02T08:30:00Z'); // the snapshot
const T1 = new Date('2026-11-03T10:00:00Z'); // the policy without a Version
const T2 = new Date('2026-11-04T10:00:00Z'); // the same statement under Version 2012-10-17
const HOME_STATEMENT = { Sid: 'OwnHome', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::ml-home/${aws:username}/*' };
const put = (time: Date, document: Record<string, unknown>): CloudTrailRecord =>
  cloudTrailRecord({
    actor: admin, time, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName: 'PutUserPolicy',
    requestParameters: { userName: 'user-a1', policyName: 'HomeFolder', policyDocument: JSON.stringify(document) },
  });

async function* items(records: CloudTrailRecord[]): AsyncGenerator<SourceItem> {
  for (const [i, r] of records.entries()) yield { kind: 'record', record: { source: 'test.jsonl', position: `line ${i + 1}`, value: r, text: JSON.stringify(r) } };
}

/** A policy's Version decides whether `${aws:username}` is a variable (2012-10-17) or text (none, or 2008-10-17), as AWS reads it. */
describe("grants keep their document's Version, and the access service reads policy variables by it (real Postgres)", () => {
  let db: TestDatabase;
  const after = (t: Date) => new Date(t.getTime() + 60_000);
  beforeAll(async () => {
    db = await createTestDatabase();
    const runId = await startIngestionRun(db.pool, 'iam-files', 'demo snapshot');
    await loadAuthorizationSnapshot(db.pool, transformAuthorizationDetails([{ response: demoAuthorizationDetails(), source: 'test', position: 'document' }]), {
      at: T0, source: 'test', runId, teamTagKey: 'team',
    });
    // Arrange: user-a1's home-folder policy written without a Version, then again with 2012-10-17
    await ingestCloudTrailItems(db.pool, items([put(T1, { Statement: [HOME_STATEMENT] }), put(T2, { Version: '2012-10-17', Statement: [HOME_STATEMENT] })]), {
      runId: null, teamTagKey: 'team', batchSize: 10,
    });
  }, 60_000);
  afterAll(() => db.drop());

  it('keeps the same statement of the two documents apart, each with its Version', async () => {
    // Act
    const home = (await grantHistory(db.pool, USER_A1)).filter((g) => g.source.policyName === 'HomeFolder');

    // Assert
    expect(home.map((g) => [g.documentVersion, g.validFrom, g.validTo, g.statement])).toEqual([
      [null, T1, T2, HOME_STATEMENT],
      ['2012-10-17', T2, null, HOME_STATEMENT],
    ]);
  });

  it('simulate: without a Version the variable is literal text and the request is denied; under 2012-10-17 it is user-a1 and allowed', async () => {
    // Act
    const ask = (at: Date) => simulateAccess(db.pool, { principalArn: USER_A1, action: 's3:GetObject', resourceArn: HOME, at });
    const [literal, substituted] = await Promise.all([ask(after(T1)), ask(after(T2))]);

    // Assert
    expect(literal.decision.decision).toBe('IMPLICIT_DENY');
    expect(substituted.decision).toMatchObject({ decision: 'ALLOWED', decidingStatements: [expect.objectContaining({ statement: expect.objectContaining({ sid: 'OwnHome', version: '2012-10-17' }) })] });
  });

  it('whoCan and policyGrants on the resource agree', async () => {
    // Act
    const who = async (at: Date) => (await whoCan(db.pool, { action: 's3:GetObject', resourceArn: HOME, at })).map((g) => g.principal.arn).filter((arn) => arn === USER_A1);
    const grants = async (at: Date) =>
      (await listPolicyGrants(db.pool, { principalArn: USER_A1, action: 's3:GetObject', resourceArn: HOME, at }, { first: 10, after: null })).page.edges.map((e) => e.node.sid);

    // Assert
    expect(await who(after(T1))).toEqual([]);
    expect(await who(after(T2))).toEqual([USER_A1]);
    expect(await grants(after(T1))).toEqual([]);
    expect(await grants(after(T2))).toEqual(['OwnHome']);
  });
});
