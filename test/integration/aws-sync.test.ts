import { createCloudTrailClient, createTaggingClient } from '../../src/aws/clients';
import { Actor, cloudTrailRecord, createTrainingJob } from '../../src/demo/cloudtrail-records';
import { readCheckpoint } from '../../src/ingest/runs';
import { LookupEventsCheckpoint, syncLookupEvents } from '../../src/ingest/lookup-events-sync';
import { syncTaggedResources } from '../../src/ingest/tag-sync';
import { createLookupEventsProcessor } from '../../src/workers/processors';
import { QUEUES, ScopeJob, schedulerId } from '../../src/workers/queues';
import { AwsJsonServer, LOOKUP_EVENTS_TARGET, startAwsJsonServer } from '../support/aws-json-server';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { startTestQueue } from '../support/redis';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const scope = { accountId: ACCOUNT, region: REGION };
const actor: Actor = { accountId: ACCOUNT, name: 'SageMakerStudioDeveloperTeamARole', kind: 'AssumedRole' };
const at = (hour: number, minute = 0) => new Date(Date.UTC(2026, 10, 5, hour, minute));

describe('scheduled syncs against the AWS APIs (over HTTP, local JSON 1.1 server)', () => {
  let db: TestDatabase;
  let aws: AwsJsonServer;
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    db = await createTestDatabase();
    aws = await startAwsJsonServer();
  });
  afterAll(async () => {
    await aws.close();
    await db.drop();
  });

  const lookupDeps = (now: Date) => ({
    pool: db.pool,
    cloudTrail: () => createCloudTrailClient({ ...scope, endpoint: aws.url, maxAttempts: 4 }),
    teamTagKey: 'team',
    overlapMinutes: 20,
    initialLookbackHours: 24,
    requestsPerSecond: 2,
    now: () => now,
  });
  const lookupRequests = () => aws.requests.filter((r) => r.target === LOOKUP_EVENTS_TARGET);

  it('LookupEvents: pages within 2 requests/s, stores every event once, and resumes from its checkpoint with an overlap', async () => {
    // Arrange: 120 events over the morning (3 pages), one throttled answer on the way
    const morning = Array.from({ length: 120 }, (_, i) =>
      cloudTrailRecord({ actor, time: new Date(at(8).getTime() + i * 60_000), region: REGION, eventSource: 'sagemaker.amazonaws.com', eventName: 'DescribeTrainingJob', requestParameters: { trainingJobName: `job-${i}` } }),
    );
    aws.setRecords(morning);
    aws.throttleNext(1);

    // Act 1: the first run at 11:00 reaches back the initial look-back
    const first = await syncLookupEvents(lookupDeps(at(11)), scope);

    // Assert 1
    expect(first).toMatchObject({ stored: 120, duplicates: 0, rejected: 0, skipped: false });
    const firstRequests = lookupRequests();
    expect(firstRequests.length).toBe(4); // 3 pages + 1 throttled retry
    for (let i = 2; i < firstRequests.length; i++) {
      expect(firstRequests[i].monotonicMs - firstRequests[i - 2].monotonicMs).toBeGreaterThanOrEqual(1000);
    }
    expect(await readCheckpoint<LookupEventsCheckpoint>(db.pool, 'lookup-events', `${ACCOUNT}/${REGION}`)).toEqual({ until: at(11).toISOString() });

    // Arrange 2: an event of 10:50 delivered late, and a new one at 11:30
    const late = createTrainingJob({ actor, time: at(10, 50), region: REGION, jobName: 'late-delivery', team: 'TeamA', vpc: true });
    const next = createTrainingJob({ actor, time: at(11, 30), region: REGION, jobName: 'after-checkpoint', team: 'TeamA', vpc: false });
    aws.setRecords([...morning, late, next]);
    const before = lookupRequests().length;

    // Act 2: the next run at 12:00 starts 20 minutes before the checkpoint
    const second = await syncLookupEvents(lookupDeps(at(12)), scope);

    // Assert 2
    const window = lookupRequests()[before].body as { StartTime: number; EndTime: number };
    expect(new Date(window.StartTime * 1000).toISOString()).toBe(at(10, 40).toISOString());
    expect(new Date(window.EndTime * 1000).toISOString()).toBe(at(12).toISOString());
    expect(second).toMatchObject({ stored: 2, rejected: 0 });
    expect(second.duplicates).toBe(morning.filter((r) => r.eventTime >= '2026-11-05T10:40:00Z').length);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM audit_events');
    expect(rows[0]).toEqual({ n: 122, d: 122 });
  }, 30_000);

  it('LookupEvents: a run that fails keeps the checkpoint where it was', async () => {
    // Arrange
    const checkpoint = await readCheckpoint<LookupEventsCheckpoint>(db.pool, 'lookup-events', `${ACCOUNT}/${REGION}`);
    aws.throttleNext(10);

    // Act / Assert
    await expect(syncLookupEvents(lookupDeps(at(13)), scope)).rejects.toThrow(/Rate exceeded|Throttl/);
    expect(await readCheckpoint(db.pool, 'lookup-events', `${ACCOUNT}/${REGION}`)).toEqual(checkpoint);
    const { rows } = await db.pool.query("SELECT status, complete FROM ingestion_runs WHERE kind = 'lookup-events' ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ status: 'failed', complete: false });
    aws.throttleNext(0);
  }, 30_000);

  it('LookupEvents: runs as a BullMQ job scheduler per account and region', async () => {
    // Arrange
    const { queue, firstResult, close } = await startTestQueue<ScopeJob>(QUEUES.lookupEvents, createLookupEventsProcessor(lookupDeps(at(14))));
    try {
      // Act
      await queue.upsertJobScheduler(schedulerId(QUEUES.lookupEvents, scope), { every: 60_000 }, { name: 'lookup-events', data: scope });
      const result = (await firstResult) as { stored: number; window: { start: string } };

      // Assert
      expect(result.window.start).toBe(new Date(at(12).getTime() - 20 * 60_000).toISOString());
      expect(await queue.getJobSchedulers()).toEqual([expect.objectContaining({ key: 'lookup-events-111122223333-eu-west-1' })]);
    } finally {
      await close();
    }
  }, 30_000);

  const tagDeps = (now: Date) => ({
    pool: db.pool,
    tagging: () => createTaggingClient({ ...scope, endpoint: aws.url, maxAttempts: 2 }),
    teamTagKey: 'team',
    now: () => now,
  });
  const nb = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:notebook-instance/${name}`;

  it('GetResources: a complete sync upserts tags with history and marks what is no longer listed as deleted; a failed one marks nothing', async () => {
    // Arrange: three notebooks listed, over two pages
    aws.setTagMappings([
      { ResourceARN: nb('nb-1'), Tags: [{ Key: 'team', Value: 'TeamA' }] },
      { ResourceARN: nb('nb-2'), Tags: [{ Key: 'team', Value: 'TeamB' }] },
      { ResourceARN: nb('nb-3'), Tags: [{ Key: 'team', Value: 'TeamB' }, { Key: 'project', Value: 'fraud' }] },
    ]);
    const first = await syncTaggedResources(tagDeps(at(15)), scope);
    // nb-2 is gone, nb-3 changed team and lost a tag
    aws.setTagMappings([
      { ResourceARN: nb('nb-1'), Tags: [{ Key: 'team', Value: 'TeamA' }] },
      { ResourceARN: nb('nb-3'), Tags: [{ Key: 'team', Value: 'TeamA' }] },
    ]);

    // Act
    aws.throttleNext(5); // the next sync fails before it has every page
    await expect(syncTaggedResources(tagDeps(at(16)), scope)).rejects.toThrow();
    const afterFailure = await db.pool.query('SELECT count(*)::int AS n FROM resources WHERE deleted_at IS NOT NULL');
    aws.throttleNext(0);
    const complete = await syncTaggedResources(tagDeps(at(17)), scope);

    // Assert
    expect(first).toMatchObject({ resources: 3, deleted: 0 });
    expect(afterFailure.rows[0].n).toBe(0);
    expect(complete).toMatchObject({ resources: 2, deleted: 1 });
    const { rows } = await db.pool.query(
      `SELECT r.arn, r.tags, r.deleted_at, t.name AS team FROM resources r LEFT JOIN teams t ON t.id = r.owner_team_id
        WHERE r.arn LIKE $1 ORDER BY r.arn`,
      [nb('%')],
    );
    expect(rows.map((r) => [r.arn.split('/').pop(), r.team, r.tags, r.deleted_at?.toISOString() ?? null])).toEqual([
      ['nb-1', 'TeamA', { team: 'TeamA' }, null],
      ['nb-2', 'TeamB', { team: 'TeamB' }, at(17).toISOString()],
      ['nb-3', 'TeamA', { team: 'TeamA' }, null],
    ]);
    const history = await db.pool.query(
      `SELECT p.tag_key, p.tag_value, p.valid_from, p.valid_to FROM resource_tag_periods p JOIN resources r ON r.id = p.resource_id
        WHERE r.arn = $1 ORDER BY p.tag_key, p.valid_from`,
      [nb('nb-3')],
    );
    expect(history.rows.map((h) => [h.tag_key, h.tag_value, h.valid_from.toISOString(), h.valid_to?.toISOString() ?? null])).toEqual([
      ['project', 'fraud', at(15).toISOString(), at(17).toISOString()],
      ['project', null, at(17).toISOString(), null],
      ['team', 'TeamB', at(15).toISOString(), at(17).toISOString()],
      ['team', 'TeamA', at(17).toISOString(), null],
    ]);
  }, 30_000);
});
