import path from 'node:path';
import { demoDir } from '../../src/demo/demo-files';
import { DEMO_IAM_SNAPSHOT_TIME, DEMO_PREVENTIVE_CONTROL_TIME, NOTEBOOK_PRODUCT_POLICY_ARN } from '../../src/demo/iam-story';
import { grantHistory, grantsForPrincipals, grantsForService, iamPrincipalsAt } from '../../src/iam/grants-read';
import { ingestIamPaths } from '../../src/ingest/iam-ingest';
import { ingestCloudTrailPaths } from '../../src/ingest/ingest-files';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const EXEC_ROLE = `arn:aws:iam::${A}:role/SageMakerExecRole-ml-product-team`;
const LEGACY_ROLE = `arn:aws:iam::${A}:role/legacy/ml-legacy-adhoc-training`;
const before = new Date(DEMO_PREVENTIVE_CONTROL_TIME.getTime() - 60_000);
const after = new Date(DEMO_PREVENTIVE_CONTROL_TIME.getTime() + 60_000);

describe("the demo's IAM story (demo/iam and the CreatePolicyVersion in demo/cloudtrail)", () => {
  let db: TestDatabase;
  let counts: Awaited<ReturnType<typeof ingestIamPaths>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    counts = await ingestIamPaths(db.pool, [path.join(demoDir(), 'iam')], { teamTagKey: 'team', at: DEMO_IAM_SNAPSHOT_TIME });
    await ingestCloudTrailPaths(db.pool, [path.join(demoDir(), 'cloudtrail')], { teamTagKey: 'team' });
  });
  afterAll(() => db.drop());

  it('ingests the snapshot the AWS CLI would have saved, every entry readable', () => {
    expect(counts).toMatchObject({ users: 4, groups: 2, roles: 5, policies: 7, rejected: 0, snapshots: 1 });
  });

  it('CreateRole events and the snapshot agree: one period per fact, from the role\'s creation', async () => {
    const { rows } = await db.pool.query(
      `SELECT fact_kind, lower(validity) AS valid_from, upper(validity) AS valid_to FROM iam_fact_periods
        WHERE fact_key = 'role/SageMakerStudioDeveloperTeamARole' ORDER BY fact_kind`,
    );
    const created = new Date('2026-11-02T08:00:00Z');
    expect(rows).toEqual([
      { fact_kind: 'ENTITY', valid_from: created, valid_to: null },
      { fact_kind: 'TRUST_POLICY', valid_from: created, valid_to: null },
    ]);
  });

  it('the notebook execution role has no Deny as of before the preventive control, and the Deny without a VPC after it', async () => {
    const denies = async (at: Date) => (await grantsForPrincipals(db.pool, [EXEC_ROLE], at, { effect: 'Deny' })).map((g) => [g.source.policyArn, g.source.versionId, g.statement]);
    expect(await denies(before)).toEqual([]);
    expect(await denies(after)).toEqual([
      [NOTEBOOK_PRODUCT_POLICY_ARN, 'v2', { Sid: 'DenyTrainingWithoutVpc', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } }],
    ]);
    // the Allow of v1 and v2 is one statement in two versions: v1 until the rollout, v2 from it
    const jobs = (await grantHistory(db.pool, EXEC_ROLE)).filter((g) => g.sid === 'SageMakerJobs');
    expect(jobs.map((g) => [g.source.versionId, g.validFrom, g.validTo])).toEqual([
      ['v1', DEMO_IAM_SNAPSHOT_TIME, DEMO_PREVENTIVE_CONTROL_TIME],
      ['v2', DEMO_PREVENTIVE_CONTROL_TIME, null],
    ]);
  });

  it('the legacy ad-hoc role keeps its Allow of CreateTrainingJob and never gets the Deny', async () => {
    const sagemaker = await grantsForService(db.pool, 'sagemaker', after);
    const legacy = sagemaker.filter((g) => g.principalArn === LEGACY_ROLE);
    expect(legacy.map((g) => [g.effect, g.sid])).toEqual([['Allow', 'TrainAnything']]);
    expect(sagemaker.filter((g) => g.effect === 'Deny').map((g) => g.principalArn)).toEqual([EXEC_ROLE]);
  });

  it('knows the team roles and users with their team tags, as of the story', async () => {
    const principals = await iamPrincipalsAt(db.pool, after, { accountId: A });
    const team = Object.fromEntries(principals.map((p) => [p.name, p.tags.team ?? null]));
    expect(team).toMatchObject({
      SageMakerStudioDeveloperTeamARole: 'TeamA', SageMakerStudioDeveloperTeamBRole: 'TeamB', 'SageMakerExecRole-ml-product-team': 'TeamA',
      'user-a1': 'TeamA', 'user-a2': 'TeamA', 'user-b1': 'TeamB', 'ml-legacy-adhoc-training': 'TeamB',
    });
    expect(principals.find((p) => p.name === 'user-a1')?.tags.studiouserid).toBe('user-a1');
  });
});
