import { createIamClient } from '../../src/aws/iam';
import { demoAuthorizationDetails } from '../../src/demo/iam-story';
import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { grantsForPrincipals } from '../../src/iam/grants-read';
import { syncIamSnapshot } from '../../src/ingest/iam-snapshot-sync';
import { createIamSnapshotProcessor } from '../../src/workers/processors';
import { iamSchedulerId, IamSnapshotJob, QUEUES } from '../../src/workers/queues';
import { AwsQueryServer, startAwsQueryServer } from '../support/aws-query-server';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { startTestQueue } from '../support/redis';

const A = '111122223333';
const at = (day: number, hour: number) => new Date(Date.UTC(2026, 10, day, hour));

describe('IAM snapshots through the SDK (over HTTP, local AWS Query server)', () => {
  let db: TestDatabase;
  let iam: AwsQueryServer;
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    db = await createTestDatabase();
    iam = await startAwsQueryServer({ authorizationDetails: demoAuthorizationDetails() });
  });
  afterAll(async () => {
    await iam.close();
    await db.drop();
  });

  const deps = (now: Date, maxAttempts = 3) => ({
    pool: db.pool,
    iam: (accountId: string) => createIamClient({ accountId, endpoint: iam.url, maxAttempts }),
    teamTagKey: 'team',
    maxItems: 4,
    now: () => now,
  });
  const snapshots = async () => (await db.pool.query('SELECT account_id, taken_at, content_sha256 FROM iam_snapshots ORDER BY taken_at')).rows;

  it('pages by Marker, asks for every entity type, retries a Throttling answer, and stores what the CLI file would', async () => {
    // Arrange
    iam.throttleNext(1);
    const before = iam.requests.length;

    // Act
    const counts = await syncIamSnapshot(deps(at(2, 9)), { accountId: A });

    // Assert
    expect(counts).toMatchObject({ users: 4, groups: 2, roles: 5, policies: 7, rejected: 0, snapshots: 1, skipped: false });
    const requests = iam.requests.slice(before);
    expect(requests.map((r) => r.status)).toEqual([400, 200, 200, 200, 200, 200]); // 18 entities, 4 a page, one throttled
    expect(requests[1].form).toMatchObject({
      Action: 'GetAccountAuthorizationDetails', Version: '2010-05-08', MaxItems: '4',
      'Filter.member.1': 'User', 'Filter.member.2': 'Role', 'Filter.member.3': 'Group', 'Filter.member.4': 'LocalManagedPolicy', 'Filter.member.5': 'AWSManagedPolicy',
    });
    expect(requests[1].form.Marker).toBeUndefined();
    expect(requests.slice(2).every((r) => typeof r.form.Marker === 'string' && r.form.Marker.length > 0)).toBe(true);
    // the URL-encoded documents of the SDK path hash like the decoded ones of the CLI file
    const fromFile = transformAuthorizationDetails([{ response: demoAuthorizationDetails(), source: 'cli.json', position: 'document' }]);
    expect(await snapshots()).toEqual([{ account_id: A, taken_at: at(2, 9), content_sha256: fromFile.contentSha256 }]);
    const teamB = await grantsForPrincipals(db.pool, [`arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole`], at(2, 9));
    expect(teamB.find((g) => g.sid === 'AmazonSageMakerUpdateDeleteExecutePolicy')?.statement.Condition).toEqual({
      StringEquals: { 'aws:PrincipalTag/team': '${sagemaker:ResourceTag/team}' },
    });
  }, 30_000);

  it('a fetch that fails part-way stores nothing and marks its run failed', async () => {
    // Arrange: pages 1 and 2 arrive, page 3 is throttled past the retries
    iam.throttleNext(10, { after: 2 });
    const before = iam.requests.length;

    // Act / Assert
    await expect(syncIamSnapshot(deps(at(2, 10), 2), { accountId: A })).rejects.toThrow(/Rate exceeded|Throttl/);
    iam.throttleNext(0);
    expect(iam.requests.slice(before).map((r) => r.status)).toEqual([200, 200, 400, 400]);
    expect(await snapshots()).toHaveLength(1);
    const { rows } = await db.pool.query("SELECT status, complete FROM ingestion_runs WHERE kind = 'iam-snapshot' ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ status: 'failed', complete: false });
  }, 30_000);

  it('runs as a BullMQ job scheduler per account: scheduler → worker → rows', async () => {
    // Arrange
    const { queue, firstResult, close } = await startTestQueue<IamSnapshotJob>(QUEUES.iamSnapshot, createIamSnapshotProcessor(deps(at(3, 9))));
    try {
      // Act
      await queue.upsertJobScheduler(iamSchedulerId(A), { every: 60_000 }, { name: 'iam-snapshot', data: { accountId: A } });
      const result = (await firstResult) as { snapshots: number; grants: number };

      // Assert
      expect(result).toMatchObject({ snapshots: 1 });
      expect(result.grants).toBeGreaterThan(50);
      expect((await snapshots()).map((s) => s.taken_at)).toEqual([at(2, 9), at(3, 9)]);
      expect(await queue.getJobSchedulers()).toEqual([expect.objectContaining({ key: 'iam-snapshot-111122223333' })]);
    } finally {
      await close();
    }
  }, 30_000);
});
