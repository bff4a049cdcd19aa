import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { grantHistory, grantsForPrincipals, grantsForService, iamPrincipalsAt } from '../../src/iam/grants-read';
import { loadAuthorizationSnapshot } from '../../src/iam/store';
import { startIngestionRun } from '../../src/ingest/runs';
import { demoAuthorizationDetails, SAGEMAKER_STUDIO_DEVELOPER } from '../../src/demo/iam-story';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const TEAM_A_ROLE = `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamARole`;
const LEGACY_ROLE = `arn:aws:iam::${A}:role/legacy/ml-legacy-adhoc-training`;
const USER_A1 = `arn:aws:iam::${A}:user/user-a1`;
const T1 = new Date('2026-11-02T08:30:00Z');
const T2 = new Date('2026-11-04T08:30:00Z');

const page = (response: unknown) => [{ response, source: 'test', position: 'document' }];

describe('IAM snapshots into the audit store (real Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  const load = async (details: unknown, at: Date) =>
    loadAuthorizationSnapshot(db.pool, transformAuthorizationDetails(page(details)), {
      at, source: 'test', runId: await startIngestionRun(db.pool, 'iam-files', 'test'), teamTagKey: 'team',
    });
  const changeCount = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM iam_fact_changes')).rows[0].n;

  it('a snapshot gives each user and role the statements of its inline, attached, group and trust policies', async () => {
    // Act
    const counts = await load(demoAuthorizationDetails(), T1);

    // Assert
    expect(counts).toMatchObject({ users: 4, groups: 2, roles: 5, policies: 7, rejected: 0, snapshots: 1, duplicates: 0 });
    const teamA = await grantsForPrincipals(db.pool, [TEAM_A_ROLE], T1);
    const bySource = (kind: string, name: string | null) => teamA.filter((g) => g.source.kind === kind && g.source.policyName === name);
    expect(bySource('MANAGED', 'SageMakerReadOnlyAccess')).toHaveLength(5);
    expect(bySource('MANAGED', 'SageMakerSupportingServicesAccess')).toHaveLength(4);
    const developer = bySource('MANAGED', 'SageMakerStudioDeveloperAccess');
    expect(developer.map((g) => g.statement)).toEqual(SAGEMAKER_STUDIO_DEVELOPER.Statement);
    expect(developer[4]).toMatchObject({
      principalArn: TEAM_A_ROLE,
      principalType: 'ROLE',
      statementIndex: 4,
      sid: 'AmazonSageMakerCreate',
      effect: 'Allow',
      validFrom: T1,
      validTo: null,
      source: { kind: 'MANAGED', policyArn: `arn:aws:iam::${A}:policy/SageMakerStudioDeveloperAccess`, versionId: 'v1', attachedToArn: TEAM_A_ROLE, viaGroupArn: null },
    });
    expect(bySource('TRUST_POLICY', null).map((g) => g.statement)).toEqual([
      { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(counts.grants).toBe((await db.pool.query('SELECT 1 FROM policy_grants WHERE validity @> $1::timestamptz', [T1])).rowCount);

    // user-a1: its own attached policy, and the group's managed and inline policies
    const a1 = await grantsForPrincipals(db.pool, [USER_A1], T1);
    expect(a1.map((g) => `${g.source.kind} ${g.source.policyName} ${g.statementIndex}`)).toEqual([
      'GROUP_INLINE StudioDomainAccess 0',
      ...[0, 1, 2, 3, 4].map((i) => `GROUP_MANAGED SageMakerReadOnlyAccess ${i}`),
      'MANAGED SageMakerPresignedUrlPolicy 0',
    ]);
    expect(a1[0].source).toMatchObject({ viaGroupArn: `arn:aws:iam::${A}:group/studio-users`, attachedToArn: `arn:aws:iam::${A}:group/studio-users` });
  });

  it('answers "every Allow or Deny naming a service" through action_services, NotAction included', async () => {
    // Arrange: another account whose one user has a NotAction statement
    const other = '444455556666';
    await load({
      UserDetailList: [{
        UserName: 'auditor', UserId: 'AIDAOTHERACCOUNT0001', Arn: `arn:aws:iam::${other}:user/auditor`, Path: '/', CreateDate: '2026-01-01T00:00:00Z',
        UserPolicyList: [{ PolicyName: 'NothingButIam', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Deny', NotAction: 'iam:*', Resource: '*' } }) }],
      }],
    }, T1);

    // Act
    const sagemaker = await grantsForService(db.pool, 'SageMaker', T1, { kinds: ['INLINE', 'MANAGED', 'GROUP_INLINE', 'GROUP_MANAGED'] });
    const denies = await grantsForService(db.pool, 'sagemaker', T1, { effect: 'Deny' });

    // Assert: s3:* and iam:PassRole name no SageMaker action; a NotAction statement may match any
    expect(sagemaker.filter((g) => g.principalArn === LEGACY_ROLE).map((g) => g.sid)).toEqual(['TrainAnything']);
    expect(denies.map((g) => [g.principalArn, g.statement])).toEqual([
      [`arn:aws:iam::${other}:user/auditor`, { Effect: 'Deny', NotAction: 'iam:*', Resource: '*' }],
    ]);
    const { rows } = await db.pool.query("SELECT sid, action_services FROM policy_grants WHERE principal_arn = $1 AND sid IN ('TrainAnything', 'PassAnyRole', 'AnyBucket') ORDER BY sid", [LEGACY_ROLE]);
    expect(rows).toEqual([{ sid: 'AnyBucket', action_services: ['s3'] }, { sid: 'PassAnyRole', action_services: ['iam'] }, { sid: 'TrainAnything', action_services: ['sagemaker'] }]);
  });

  it('lists IAM principals as of a moment, with their tags, and makes them principals with their unique ids', async () => {
    // Act
    const principals = await iamPrincipalsAt(db.pool, T1, { accountId: A });

    // Assert
    expect(principals.map((p) => p.name)).toEqual([
      'SC-111122223333-ProductLaunchRole', 'SageMakerExecRole-ml-product-team', 'SageMakerStudioDeveloperTeamARole',
      'SageMakerStudioDeveloperTeamBRole', 'ml-legacy-adhoc-training', 'platform-admin', 'user-a1', 'user-a2', 'user-b1',
    ]);
    expect(principals.find((p) => p.arn === LEGACY_ROLE)).toMatchObject({ type: 'ROLE', path: '/legacy/', awsPrincipalId: 'AROA6ODU5QAHLEGACY001', tags: { team: 'TeamB' } });
    expect(await iamPrincipalsAt(db.pool, new Date('2026-11-01T00:00:00Z'), { accountId: A })).toEqual([]);
    const { rows } = await db.pool.query(
      `SELECT p.principal_type, p.aws_principal_id, t.name AS team FROM principals p LEFT JOIN teams t ON t.id = p.team_id WHERE p.arn = $1`,
      [USER_A1],
    );
    expect(rows).toEqual([{ principal_type: 'IAM_USER', aws_principal_id: 'AIDA6ODU5QAHEXAMPLEA1', team: 'TeamA' }]);
  });

  it('the same snapshot again stores nothing new', async () => {
    // Arrange
    const before = await changeCount();
    const tagRows = (await db.pool.query('SELECT 1 FROM resource_tag_changes')).rowCount;

    // Act
    const again = await load(demoAuthorizationDetails(), T1);

    // Assert
    expect(again).toMatchObject({ snapshots: 0, duplicates: 1, users: 4, roles: 5 });
    expect(await changeCount()).toBe(before);
    expect((await db.pool.query('SELECT 1 FROM resource_tag_changes')).rowCount).toBe(tagRows);
  });

  it('a later snapshot that no longer lists a role, a membership or a tag ends them there', async () => {
    // Arrange: the legacy role is deleted, user-b1 leaves the group and loses its team tag
    const details = demoAuthorizationDetails() as { RoleDetailList: { RoleName: string }[]; UserDetailList: { UserName: string; GroupList: string[]; Tags: { Key: string }[] }[] };
    details.RoleDetailList = details.RoleDetailList.filter((r) => r.RoleName !== 'ml-legacy-adhoc-training');
    const b1 = details.UserDetailList.find((u) => u.UserName === 'user-b1')!;
    b1.GroupList = [];
    b1.Tags = b1.Tags.filter((t) => t.Key !== 'team');

    // Act
    await load(details, T2);

    // Assert
    expect(await grantsForPrincipals(db.pool, [LEGACY_ROLE], T2)).toEqual([]);
    const history = await grantHistory(db.pool, LEGACY_ROLE);
    expect(history.every((g) => g.validFrom.getTime() === T1.getTime() && g.validTo?.getTime() === T2.getTime())).toBe(true);
    const b1Now = await grantsForPrincipals(db.pool, [`arn:aws:iam::${A}:user/user-b1`], T2);
    expect(b1Now.map((g) => g.source.kind)).toEqual(['MANAGED']);
    const [b1Then] = await iamPrincipalsAt(db.pool, T1, { arns: [`arn:aws:iam::${A}:user/user-b1`] });
    const [b1Later] = await iamPrincipalsAt(db.pool, T2, { arns: [`arn:aws:iam::${A}:user/user-b1`] });
    expect(b1Then.tags).toEqual({ team: 'TeamB', studiouserid: 'user-b1' });
    expect(b1Later.tags).toEqual({ studiouserid: 'user-b1' });
    // a grant that did not change between the snapshots is one period, not two
    const teamA = await grantHistory(db.pool, TEAM_A_ROLE);
    expect(teamA.every((g) => g.validTo === null)).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the change log', async () => {
    await expect(db.pool.query("UPDATE iam_fact_changes SET op = 'RETRACT'")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM iam_fact_changes')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE iam_fact_changes')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM iam_snapshots')).rejects.toThrow(/append-only/);
  });
});
