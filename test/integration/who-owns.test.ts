import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Actor, cloudTrailRecord, CloudTrailRecord, createTrainingJob, sageMakerArn } from '../../src/demo/cloudtrail-records';
import { DEMO_ACCOUNT, DEMO_DOMAIN_ID, demoCloudTrailRecords, demoTagMappings } from '../../src/demo/story';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { whoOwns } from '../../src/ownership/who-owns';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = DEMO_ACCOUNT;
const B = '444455556666';
const R = 'us-east-1';
const TEAM_KEY = 'team';
const LISTED_AT = new Date('2026-11-04T06:00:00Z');
const t = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute));

// the demo story's actors, as its records name them
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const userA1: Actor = { accountId: A, name: 'user-a1', kind: 'IAMUser' };
const userA2: Actor = { accountId: A, name: 'user-a2', kind: 'IAMUser' };
const userB1: Actor = { accountId: A, name: 'user-b1', kind: 'IAMUser' };
const teamARole: Actor = { accountId: A, name: 'SageMakerStudioDeveloperTeamARole', kind: 'AssumedRole', sessionName: 'SageMaker' };
// this test's own
const batchRole: Actor = { accountId: A, name: 'ml-batch-role', kind: 'AssumedRole', sessionName: 'airflow' };
const legacyRole: Actor = { accountId: A, name: 'legacy-etl-role', kind: 'AssumedRole', sessionName: 'etl' };
const otherAccountRole: Actor = { accountId: B, name: 'DataScienceRole', kind: 'AssumedRole', sessionName: 'SageMaker' };
const roleArn = (actor: Actor) => `arn:aws:iam::${actor.accountId}:role/${actor.name}`;
const userArn = (actor: Actor) => `arn:aws:iam::${actor.accountId}:user/${actor.name}`;

const sagemaker = (actor: Actor, time: Date, eventName: string, requestParameters: Record<string, unknown>, extra: Partial<Parameters<typeof cloudTrailRecord>[0]> = {}) =>
  cloudTrailRecord({ actor, time, region: R, eventSource: 'sagemaker.amazonaws.com', eventName, requestParameters, ...extra });

const iam = (actor: Actor, time: Date, eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null) =>
  cloudTrailRecord({ actor, time, region: R, eventSource: 'iam.amazonaws.com', eventName, requestParameters, responseElements });

const NIGHTLY_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1', 'ca-central-1'];

/** The cases beyond the demo story, as CloudTrail would record them. */
function extraRecords(): CloudTrailRecord[] {
  const denied = (actor: Actor, time: Date, eventName: string, params: Record<string, unknown>) =>
    sagemaker(actor, time, eventName, params, { errorCode: 'AccessDenied', errorMessage: `User is not authorized to perform: sagemaker:${eventName}` });
  return [
    // a role tagged TeamB creates an untagged training job, then is moved to TeamA
    iam(admin, t(5, 8), 'CreateRole', { roleName: batchRole.name, assumeRolePolicyDocument: '{}', tags: [{ key: 'team', value: 'TeamB' }] },
      { role: { path: '/', roleName: batchRole.name, arn: roleArn(batchRole), createDate: 'Nov 5, 2026, 8:00:00 AM' } }),
    createTrainingJob({ actor: batchRole, time: t(5, 10), region: R, jobName: 'adhoc-features', team: null, vpc: true }),
    iam(admin, t(5, 12), 'TagRole', { roleName: batchRole.name, tags: [{ key: 'team', value: 'TeamA' }] }),
    // a role never seen created: tagged TeamB only after it created an untagged job
    createTrainingJob({ actor: legacyRole, time: t(5, 9, 30), region: R, jobName: 'legacy-import', team: null, vpc: true }),
    iam(admin, t(5, 11), 'TagRole', { roleName: legacyRole.name, tags: [{ key: 'team', value: 'TeamB' }] }),
    // seen only in read events: no create, no tag
    sagemaker(userA1, t(5, 14), 'DescribeTrainingJob', { trainingJobName: 'mystery-job' }),
    sagemaker(userB1, t(5, 14, 5), 'DescribeNotebookInstance', { notebookInstanceName: 'TeamB-Feature-Store' }),
    // "churn": a training job in each of two accounts and regions, and a deleted model
    createTrainingJob({ actor: teamARole, time: t(5, 9), region: R, jobName: 'churn', team: 'TeamA', vpc: true }),
    createTrainingJob({ actor: otherAccountRole, time: t(5, 9, 10), region: 'eu-west-1', jobName: 'churn', team: 'TeamB', vpc: true }),
    sagemaker(teamARole, t(4, 9), 'CreateModel', { modelName: 'churn', executionRoleArn: roleArn(teamARole), tags: [{ key: 'team', value: 'TeamA' }] },
      { responseElements: { modelArn: sageMakerArn(R, A, 'model', 'churn') } }),
    sagemaker(teamARole, t(4, 18), 'DeleteModel', { modelName: 'churn' }),
    // contacts: user-a1 3 reads, user-b1 2 (latest), user-a2 2 (earlier), the creator 1; user-b1's denied stops do not count
    createTrainingJob({ actor: teamARole, time: t(6, 9), region: R, jobName: 'contacts-probe', team: 'TeamA', vpc: true }),
    ...[1, 2, 3].map((m) => sagemaker(userA1, t(6, 9, m), 'DescribeTrainingJob', { trainingJobName: 'contacts-probe' })),
    ...[5, 6].map((m) => sagemaker(userA2, t(6, 9, m), 'DescribeTrainingJob', { trainingJobName: 'contacts-probe' })),
    ...[10, 11].map((m) => sagemaker(userB1, t(6, 9, m), 'DescribeTrainingJob', { trainingJobName: 'contacts-probe' })),
    ...[20, 21, 22].map((m) => denied(userB1, t(6, 9, m), 'StopTrainingJob', { trainingJobName: 'contacts-probe' })),
    // ten "nightly-retrain" jobs in ten regions; the last one untagged, created by TeamA's role
    ...NIGHTLY_REGIONS.map((region, i) =>
      createTrainingJob({ actor: teamARole, time: t(7, 2, i), region, jobName: 'nightly-retrain', team: i < 9 ? 'TeamA' : null, vpc: true })),
  ];
}

describe('whoOwns', () => {
  let db: TestDatabase;
  let dir: string;
  const ask = (query: string, opts: { contactsLimit?: number; maxMatches?: number } = {}) => whoOwns(db.pool, query, { teamTagKey: TEAM_KEY, ...opts });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-who-owns-'));
    const story = path.join(dir, `${A}_CloudTrail_${R}_20261102T0800Z_demo.json`);
    await writeFile(story, JSON.stringify({ Records: demoCloudTrailRecords() }));
    const extra = path.join(dir, 'extra.jsonl');
    await writeFile(extra, extraRecords().map((r) => JSON.stringify(r)).join('\n') + '\n');
    const tags = path.join(dir, `${A}-${R}-get-resources.json`);
    await writeFile(tags, JSON.stringify({ PaginationToken: '', ResourceTagMappingList: demoTagMappings() }, null, 2));
    await ingestCloudTrailPaths(db.pool, [story, extra], { teamTagKey: TEAM_KEY });
    await ingestTagPaths(db.pool, [tags], { teamTagKey: TEAM_KEY, at: LISTED_AT });
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers for a full ARN from the team tag, with when and by whom it was set', async () => {
    // Arrange
    const arn = sageMakerArn(R, A, 'training-job', 'churn-v7');

    // Act
    const answer = await ask(`  ${arn}\n`);

    // Assert
    const explanation = 'training-job churn-v7 is owned by TeamA: its team tag says so (since 2026-11-02 11:30 UTC, CreateTrainingJob by role SageMakerStudioDeveloperTeamARole).';
    expect(answer).toMatchObject({ query: arn, matchedBy: 'ARN', team: 'TeamA', basis: 'TAG', message: explanation });
    expect(answer.matches).toHaveLength(1);
    const [m] = answer.matches;
    expect(m).toMatchObject({ resourceArn: arn, team: 'TeamA', basis: 'TAG', createdByArn: roleArn(teamARole), explanation });
    const createEventId = demoCloudTrailRecords().find((r) => (r.requestParameters as { trainingJobName?: string } | null)?.trainingJobName === 'churn-v7')!.eventID;
    expect(m.evidence).toEqual([
      { kind: 'TAG', tagKey: 'team', tagValue: 'TeamA', since: t(2, 11, 30), sourceEventId: createEventId, sourceSyncRunId: null },
    ]);
    expect(m.contacts).toEqual([{ principalArn: roleArn(teamARole), eventCount: 1, lastEventTime: t(2, 11, 30) }]);
  });

  it('matches a bare name whatever its case', async () => {
    // Act
    const answer = await ask('CHURN-V7');

    // Assert
    expect(answer).toMatchObject({ matchedBy: 'NAME', team: 'TeamA', basis: 'TAG' });
    expect(answer.matches.map((m) => m.resourceArn)).toEqual([sageMakerArn(R, A, 'training-job', 'churn-v7')]);
    expect(answer.message).toBe(answer.matches[0].explanation);
  });

  it('finds a SageMaker resource by an ARN pasted with the name in its original case, and leaves denied attempts out of the contacts', async () => {
    // Act
    const answer = await ask(`arn:aws:sagemaker:${R}:${A}:experiment/USERA1TEAMAEXPERIMENT1`);

    // Assert: TeamB's denied DeleteExperiment makes TeamB's role no contact
    expect(answer.matches.map((m) => m.resourceArn)).toEqual([sageMakerArn(R, A, 'experiment', 'usera1teamaexperiment1')]);
    expect(answer.matches[0].explanation).toBe(
      'experiment USERA1TEAMAEXPERIMENT1 is owned by TeamA: its team tag says so (since 2026-11-02 11:00 UTC, CreateExperiment by role SageMakerStudioDeveloperTeamARole).',
    );
    expect(answer.matches[0].contacts.map((c) => c.principalArn)).toEqual([roleArn(teamARole)]);
  });

  it('dates a tag only the inventory knows from the listing that showed it', async () => {
    // Act
    const answer = await ask('churn-model-v6');

    // Assert
    const [m] = answer.matches;
    expect(m).toMatchObject({ team: 'TeamA', basis: 'TAG', createdByArn: null, contacts: [] });
    expect(m.evidence).toEqual([
      { kind: 'TAG', tagKey: 'team', tagValue: 'TeamA', since: LISTED_AT, sourceEventId: null, sourceSyncRunId: expect.stringMatching(/^\d+$/) },
    ]);
    expect(m.explanation).toMatch(/^model churn-model-v6 is owned by TeamA: its team tag says so \(since 2026-11-04 06:00 UTC, listed by GetResources in ingestion run \d+\)\.$/);
  });

  it('lists every resource of an ambiguous name across accounts and regions, live ones first, and says the owners differ', async () => {
    // Act
    const answer = await ask('churn');

    // Assert
    expect(answer).toMatchObject({ matchedBy: 'NAME', team: null, basis: 'UNKNOWN' });
    expect(answer.matches.map((m) => [m.resourceArn, m.team])).toEqual([
      [sageMakerArn('eu-west-1', B, 'training-job', 'churn'), 'TeamB'],
      [sageMakerArn(R, A, 'training-job', 'churn'), 'TeamA'],
      [sageMakerArn(R, A, 'model', 'churn'), 'TeamA'],
    ]);
    expect(answer.message).toBe('3 resources are named "churn" (1 deleted); their owners differ (TeamA: 2, TeamB: 1); ask with the full ARN for one answer.');
    expect(answer.matches[0].explanation).toBe(
      'training-job churn (eu-west-1, account 444455556666) is owned by TeamB: its team tag says so (since 2026-11-05 09:10 UTC, CreateTrainingJob by role DataScienceRole).',
    );
    expect(answer.matches[2].explanation).toBe(
      'model churn (us-east-1, account 111122223333; deleted 2026-11-04 18:00 UTC) was owned by TeamA: its team tag says so (since 2026-11-04 09:00 UTC, CreateModel by role SageMakerStudioDeveloperTeamARole).',
    );
  });

  it('gives the team when every resource of a name agrees', async () => {
    // Act: the IAM user and the Studio user profile bound to it
    const answer = await ask('user-a1');

    // Assert
    expect(answer.matches.map((m) => m.resourceArn).sort()).toEqual([userArn(userA1), sageMakerArn(R, A, 'user-profile', `${DEMO_DOMAIN_ID}/user-a1`)].sort());
    expect(answer).toMatchObject({ team: 'TeamA', basis: 'TAG', message: '2 resources are named "user-a1"; all are owned by TeamA (weakest evidence: team tag).' });
  });

  it("takes the creator's team tag as it was at creation when the resource has none", async () => {
    // Act: ml-batch-role was tagged TeamB when it created the job and TeamA since
    const answer = await ask('adhoc-features');

    // Assert
    const [m] = answer.matches;
    expect(answer).toMatchObject({ team: 'TeamB', basis: 'CREATOR_TAG' });
    expect(m.createdByArn).toBe(roleArn(batchRole));
    expect(m.evidence).toEqual([
      { kind: 'CREATE_EVENT', eventId: expect.any(String), eventTime: t(5, 10), eventName: 'CreateTrainingJob', principalArn: roleArn(batchRole) },
      { kind: 'PRINCIPAL_TAG', principalArn: roleArn(batchRole), tagKey: 'team', tagValue: 'TeamB' },
    ]);
    expect(m.explanation).toBe(
      'training-job adhoc-features is owned by TeamB: it has no team tag, but role ml-batch-role created it (CreateTrainingJob, 2026-11-05 10:00 UTC) while tagged team=TeamB.',
    );
  });

  it("falls back to the creator's team today when its tags at creation are unknown", async () => {
    // Act
    const answer = await ask('legacy-import');

    // Assert
    expect(answer).toMatchObject({ team: 'TeamB', basis: 'CREATOR_TEAM' });
    expect(answer.message).toBe(
      'training-job legacy-import is probably owned by TeamB: it has no team tag, and role legacy-etl-role, which created it (CreateTrainingJob, 2026-11-05 09:30 UTC), is in TeamB today (its tags at that time are unknown).',
    );
  });

  it('says plainly what is missing for a resource only seen in an event without a create', async () => {
    // Act
    const answer = await ask('mystery-job');

    // Assert
    expect(answer).toMatchObject({ matchedBy: 'NAME', team: null, basis: 'UNKNOWN' });
    expect(answer.matches[0]).toMatchObject({ basis: 'UNKNOWN', team: null, createdByArn: null, evidence: [] });
    expect(answer.message).toBe('No owner is known for training-job mystery-job: it has no team tag, and no create event was seen.');
    expect(answer.matches[0].contacts.map((c) => c.principalArn)).toEqual([userArn(userA1)]);
  });

  it('offers a team named in the resource name only as a naming hint', async () => {
    // Act
    const answer = await ask('teamb-feature-store');

    // Assert
    expect(answer).toMatchObject({ team: 'TeamB', basis: 'NAMING' });
    expect(answer.matches[0].evidence).toEqual([{ kind: 'NAME_PATTERN', pattern: 'teamb', teamName: 'TeamB' }]);
    expect(answer.message).toBe(
      'notebook-instance TeamB-Feature-Store may belong to TeamB, but that is only a naming hint (its name contains "teamb"): it has no team tag, and no create event was seen.',
    );
  });

  it('still answers for a deleted resource and marks it deleted', async () => {
    // Act
    const answer = await ask('teamb-scratch');

    // Assert
    expect(answer).toMatchObject({ team: 'TeamB', basis: 'TAG' });
    expect(answer.message).toBe(
      'notebook-instance teamb-scratch (deleted 2026-11-03 17:00 UTC) was owned by TeamB: its team tag says so (since 2026-11-02 10:00 UTC, CreateNotebookInstance by role SageMakerStudioDeveloperTeamBRole).',
    );
  });

  it('answers NONE with a plain message for an unknown ARN, an unknown name and a malformed ARN', async () => {
    // Arrange
    const arn = sageMakerArn(R, A, 'training-job', 'never-ran');

    // Act
    const byArn = await ask(arn);
    const byName = await ask('never-ran');
    const malformed = await ask('arn:aws:sagemaker');

    // Assert
    expect(byArn).toEqual({
      query: arn, matchedBy: 'NONE', matches: [], team: null, basis: 'UNKNOWN',
      message: `No resource with ARN ${arn} is in the inventory: no CloudTrail event or tag listing seen so far names it.`,
    });
    expect(byName).toMatchObject({ matchedBy: 'NONE', matches: [], team: null, message: 'No resource named "never-ran" is in the inventory (names are matched whole, ignoring case).' });
    expect(malformed).toMatchObject({ matchedBy: 'NONE', matches: [], message: '"arn:aws:sagemaker" looks like an ARN but is not a well-formed one, so no resource matches it.' });
  });

  it('orders contacts by successful events, then by the latest one', async () => {
    // Act
    const top3 = await ask('contacts-probe');
    const top4 = await ask('contacts-probe', { contactsLimit: 4 });

    // Assert
    expect(top3.matches[0].contacts).toEqual([
      { principalArn: userArn(userA1), eventCount: 3, lastEventTime: t(6, 9, 3) },
      { principalArn: userArn(userB1), eventCount: 2, lastEventTime: t(6, 9, 11) },
      { principalArn: userArn(userA2), eventCount: 2, lastEventTime: t(6, 9, 6) },
    ]);
    expect(top4.matches[0].contacts.map((c) => c.principalArn)).toEqual([userArn(userA1), userArn(userB1), userArn(userA2), roleArn(teamARole)]);
  });

  it('uses the weakest basis among agreeing matches, and no team when not every match is shown', async () => {
    // Act
    const all = await ask('Nightly-Retrain');
    const first3 = await ask('nightly-retrain', { maxMatches: 3 });

    // Assert
    expect(all.matches).toHaveLength(10);
    expect(all.matches.filter((m) => m.basis === 'CREATOR_TAG').map((m) => m.resourceArn)).toEqual([sageMakerArn('ca-central-1', A, 'training-job', 'nightly-retrain')]);
    expect(all).toMatchObject({ team: 'TeamA', basis: 'CREATOR_TAG' });
    expect(all.message).toBe('10 resources are named "Nightly-Retrain"; all are owned by TeamA (weakest evidence: the creator\'s team tag at creation).');
    expect(first3.matches).toHaveLength(3);
    expect(first3).toMatchObject({ team: null, basis: 'UNKNOWN' });
    expect(first3.message).toBe('10 resources are named "nightly-retrain" (the first 3 are shown); among those shown the owners are TeamA: 3; ask with the full ARN for one answer.');
  });

  it('runs a small fixed number of queries however many resources match', async () => {
    // Arrange
    const spy = jest.spyOn(db.pool, 'query');
    const queriesFor = async (q: string) => {
      spy.mockClear();
      const answer = await ask(q);
      return { matches: answer.matches.length, queries: spy.mock.calls.length };
    };

    try {
      // Act
      const one = await queriesFor('churn-v7');
      const ten = await queriesFor('nightly-retrain');
      const none = await queriesFor('never-ran');

      // Assert
      expect(one).toEqual({ matches: 1, queries: 4 });
      expect(ten).toEqual({ matches: 10, queries: 4 });
      expect(none).toEqual({ matches: 0, queries: 1 });
    } finally {
      spy.mockRestore();
    }
  });
});
