import { Actor, cloudTrailRecord, CloudTrailRecord } from '../../src/demo/cloudtrail-records';
import { demoAuthorizationDetails, NOTEBOOK_PRODUCT_POLICY_ARN, NOTEBOOK_PRODUCT_POLICY_V1, NOTEBOOK_PRODUCT_POLICY_V2, policyArn } from '../../src/demo/iam-story';
import type { SourceItem } from '../../src/domain/cloudtrail/source-item';
import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { grantsForPrincipals } from '../../src/iam/grants-read';
import { loadAuthorizationSnapshot } from '../../src/iam/store';
import { ingestCloudTrailItems } from '../../src/ingest/cloudtrail-ingest';
import { startIngestionRun } from '../../src/ingest/runs';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const EXEC_ROLE = `arn:aws:iam::${A}:role/SageMakerExecRole-ml-product-team`;
const USER_B1 = `arn:aws:iam::${A}:user/user-b1`;
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const T0 = new Date('2026-11-02T07:00:00Z'); // before the first snapshot
const T1 = new Date('2026-11-02T08:30:00Z'); // snapshot 1
const T2 = new Date('2026-11-03T13:50:00Z'); // the changes
const T3 = new Date('2026-11-04T08:30:00Z'); // snapshot 2
const T4 = new Date('2026-11-05T09:00:00Z'); // after the last snapshot
const second = (d: Date, s: number) => new Date(d.getTime() + s * 1000);

const iam = (time: Date, eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null) =>
  cloudTrailRecord({ actor: admin, time, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, requestParameters, responseElements });

/** The three changes of the story, as CloudTrail records them, and two the snapshots never saw. */
const EVENTS: CloudTrailRecord[] = [
  iam(T2, 'CreatePolicyVersion', { policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, policyDocument: JSON.stringify(NOTEBOOK_PRODUCT_POLICY_V2), setAsDefault: true }, { policyVersion: { versionId: 'v2', isDefaultVersion: true, createDate: 'Nov 3, 2026, 1:50:00 PM' } }),
  iam(second(T2, 1), 'AttachRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyArn: policyArn('SageMakerReadOnlyAccess') }),
  iam(second(T2, 2), 'AddUserToGroup', { groupName: 'platform-admins', userName: 'user-b1' }),
  // attached before the first snapshot and gone by then: valid only until that snapshot
  iam(T0, 'AttachUserPolicy', { userName: 'user-b1', policyArn: policyArn('SageMakerStudioDeveloperAccess') }),
  // after the last snapshot
  iam(T4, 'DetachRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyArn: policyArn('SageMakerReadOnlyAccess') }),
];

type Details = ReturnType<typeof demoAuthorizationDetails> & Record<string, any>;
/** The second snapshot: the listing after the changes. */
function afterChanges(): Details {
  const d = demoAuthorizationDetails() as Details;
  const product = d.Policies.find((p: { Arn: string }) => p.Arn === NOTEBOOK_PRODUCT_POLICY_ARN);
  product.DefaultVersionId = 'v2';
  product.PolicyVersionList = [
    { Document: NOTEBOOK_PRODUCT_POLICY_V1, VersionId: 'v1', IsDefaultVersion: false, CreateDate: '2026-10-01T12:05:00+00:00' },
    { Document: NOTEBOOK_PRODUCT_POLICY_V2, VersionId: 'v2', IsDefaultVersion: true, CreateDate: '2026-11-03T13:50:00+00:00' },
  ];
  d.RoleDetailList.find((r: { RoleName: string }) => r.RoleName === 'SageMakerExecRole-ml-product-team').AttachedManagedPolicies.push({ PolicyName: 'SageMakerReadOnlyAccess', PolicyArn: policyArn('SageMakerReadOnlyAccess') });
  d.UserDetailList.find((u: { UserName: string }) => u.UserName === 'user-b1').GroupList.push('platform-admins');
  return d;
}

async function* items(records: CloudTrailRecord[]): AsyncGenerator<SourceItem> {
  for (const [i, r] of records.entries()) {
    yield { kind: 'record', record: { source: 'test.jsonl', position: `line ${i + 1}`, value: r, text: JSON.stringify(r) } };
  }
}

type Step = { snapshot: 1 | 2 } | { events: CloudTrailRecord[] };

async function play(db: TestDatabase, steps: Step[]) {
  for (const step of steps) {
    if ('events' in step) {
      await ingestCloudTrailItems(db.pool, items(step.events), { runId: null, teamTagKey: 'team', batchSize: 2 });
    } else {
      const details = step.snapshot === 1 ? demoAuthorizationDetails() : afterChanges();
      const runId = await startIngestionRun(db.pool, 'iam-files', `snapshot ${step.snapshot}`);
      await loadAuthorizationSnapshot(db.pool, transformAuthorizationDetails([{ response: details, source: 'test', position: 'document' }]), {
        at: step.snapshot === 1 ? T1 : T3, source: 'test', runId, teamTagKey: 'team',
      });
    }
  }
}

/** Every grant as a comparable line: principal, source, statement, validity. */
async function grantLines(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ line: string }>(
    `SELECT concat_ws(' ', principal_arn, kind, policy_arn, policy_name, version_id, via_group_arn, statement_index, statement::text, validity::text) AS line
       FROM policy_grants ORDER BY 1`,
  );
  const { rows: periods } = await db.pool.query<{ line: string }>(
    `SELECT concat_ws(' ', account_id, fact_kind, fact_key, payload::text, validity::text) AS line FROM iam_fact_periods ORDER BY 1`,
  );
  return [...rows.map((r) => r.line), ...periods.map((r) => `period ${r.line}`)];
}

describe('IAM changes from CloudTrail between snapshots (real Postgres)', () => {
  let inOrder: TestDatabase;
  let reversed: TestDatabase;
  let eventsFirst: TestDatabase;
  beforeAll(async () => {
    [inOrder, reversed, eventsFirst] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    await play(inOrder, [{ snapshot: 1 }, { events: EVENTS }, { snapshot: 2 }]);
    await play(reversed, [{ snapshot: 2 }, { events: [...EVENTS].reverse() }, { snapshot: 1 }]);
    await play(eventsFirst, [{ events: [...EVENTS].reverse() }, { snapshot: 2 }, { snapshot: 1 }]);
  }, 60_000);
  afterAll(async () => Promise.all([inOrder.drop(), reversed.drop(), eventsFirst.drop()]));

  const sidsAt = async (db: TestDatabase, arn: string, at: Date, policy: string) =>
    (await grantsForPrincipals(db.pool, [arn], at)).filter((g) => g.source.policyName === policy).map((g) => `${g.source.versionId} ${g.sid}`);

  it('CreatePolicyVersion (setAsDefault) brings the Deny from its eventTime; as of before it, there is none', async () => {
    expect(await sidsAt(inOrder, EXEC_ROLE, second(T2, -1), 'SageMakerNotebookProductPolicy')).toEqual(['v1 SageMakerJobs', 'v1 ArtifactsBucket', 'v1 PassOwnRoleToSageMaker', 'v1 Logs']);
    const after = (await grantsForPrincipals(inOrder.pool, [EXEC_ROLE], T2)).filter((g) => g.effect === 'Deny');
    expect(after).toEqual([
      expect.objectContaining({
        sid: 'DenyTrainingWithoutVpc', statementIndex: 4, validFrom: T2, validTo: null,
        statement: { Sid: 'DenyTrainingWithoutVpc', Effect: 'Deny', Action: 'sagemaker:CreateTrainingJob', Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } },
        source: expect.objectContaining({ kind: 'MANAGED', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionId: 'v2' }),
      }),
    ]);
  });

  it('AttachRolePolicy gives grants from its eventTime until the DetachRolePolicy after the last snapshot', async () => {
    expect(await sidsAt(inOrder, EXEC_ROLE, T2, 'SageMakerReadOnlyAccess')).toEqual([]);
    const attached = (await grantsForPrincipals(inOrder.pool, [EXEC_ROLE], T3)).filter((g) => g.source.policyName === 'SageMakerReadOnlyAccess');
    expect(attached).toHaveLength(5);
    expect(attached.every((g) => g.validFrom.getTime() === second(T2, 1).getTime() && g.validTo?.getTime() === T4.getTime())).toBe(true);
  });

  it('AddUserToGroup gives the group policies from its eventTime', async () => {
    expect(await sidsAt(inOrder, USER_B1, second(T2, 1), 'PlatformAdministration')).toEqual([]);
    const viaGroup = (await grantsForPrincipals(inOrder.pool, [USER_B1], second(T2, 2))).filter((g) => g.source.kind === 'GROUP_MANAGED' && g.source.policyName === 'PlatformAdministration');
    expect(viaGroup.map((g) => [g.sid, g.source.viaGroupArn, g.validFrom])).toEqual([
      ['ManageIam', `arn:aws:iam::${A}:group/platform-admins`, second(T2, 2)],
      ['ReadSageMaker', `arn:aws:iam::${A}:group/platform-admins`, second(T2, 2)],
    ]);
  });

  it('an attachment before the first snapshot that it does not list holds only until that snapshot', async () => {
    // AttachUserPolicy at T0 needs user-b1 to exist then: it did not (created 08:07 per the snapshot), so nothing at T0…
    expect(await grantsForPrincipals(inOrder.pool, [USER_B1], T0)).toEqual([]);
    // …and the snapshot at T1, which does not list the attachment, ends it
    expect(await sidsAt(inOrder, USER_B1, T1, 'SageMakerStudioDeveloperAccess')).toEqual([]);
    const { rows } = await inOrder.pool.query(
      `SELECT validity::text FROM iam_fact_periods WHERE fact_kind = 'ATTACHMENT' AND fact_key = $1`,
      [`user/user-b1|${policyArn('SageMakerStudioDeveloperAccess')}`],
    );
    expect(rows).toEqual([{ validity: `["${T0.toISOString().replace('T', ' ').replace('.000Z', '+00')}","${T1.toISOString().replace('T', ' ').replace('.000Z', '+00')}")` }]);
  });

  it('the same events and snapshots in any order give identical grants', async () => {
    const expected = await grantLines(inOrder);
    expect(expected.length).toBeGreaterThan(50);
    expect(await grantLines(reversed)).toEqual(expected);
    expect(await grantLines(eventsFirst)).toEqual(expected);
  });

  it('the same events again store nothing new (exactly once by eventID)', async () => {
    // Arrange
    const count = async () => (await inOrder.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM iam_fact_changes')).rows[0].n;
    const before = await count();
    const grants = await grantLines(inOrder);

    // Act
    const replay = await ingestCloudTrailItems(inOrder.pool, items(EVENTS), { runId: null, teamTagKey: 'team' });

    // Assert
    expect(replay).toMatchObject({ stored: 0, duplicates: EVENTS.length });
    expect(await count()).toBe(before);
    expect(await grantLines(inOrder)).toEqual(grants);
  });

  it('an unparsable policy document in an event is kept aside with its reason; the batch goes on', async () => {
    // Arrange
    const broken = iam(T4, 'PutRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyName: 'Scratch', policyDocument: '{"Version":"2012-10-17","Statement":[' });
    const fine = iam(second(T4, 5), 'PutRolePolicy', { roleName: 'SageMakerExecRole-ml-product-team', policyName: 'Scratch2', policyDocument: JSON.stringify({ Statement: { Effect: 'Allow', Action: 'sagemaker:ListTags', Resource: '*' } }) });

    // Act
    const counts = await ingestCloudTrailItems(inOrder.pool, items([broken, fine]), { runId: null, teamTagKey: 'team' });

    // Assert
    expect(counts).toMatchObject({ stored: 2, rejected: 0 });
    const { rows } = await inOrder.pool.query('SELECT reason FROM rejected_records');
    expect(rows).toEqual([{ reason: expect.stringMatching(/^IAM change not applied: PutRolePolicy policy Scratch of role SageMakerExecRole-ml-product-team is not JSON/) }]);
    expect(await sidsAt(inOrder, EXEC_ROLE, T4, 'Scratch')).toEqual([]);
    expect((await grantsForPrincipals(inOrder.pool, [EXEC_ROLE], second(T4, 5))).filter((g) => g.source.policyName === 'Scratch2').map((g) => g.statement)).toEqual([
      { Effect: 'Allow', Action: 'sagemaker:ListTags', Resource: '*' },
    ]);
  });
});

describe('users and roles created through CloudTrail are principals before they ever act (real Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('CreateRole and CreateUser make principals with their unique ids and the team their create tagged them with', async () => {
    // Arrange: a role tagged for TeamB and an untagged user, created by an administrator, neither acting
    const roleArn = `arn:aws:iam::${A}:role/teams/SageMakerStudioDeveloperTeamBRole`;
    const events = [
      iam(T2, 'CreateRole', {
        roleName: 'SageMakerStudioDeveloperTeamBRole', path: '/teams/',
        assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
        tags: [{ key: 'team', value: 'TeamB' }],
      }, { role: { path: '/teams/', roleName: 'SageMakerStudioDeveloperTeamBRole', roleId: 'AROAEXAMPLETEAMB00001', arn: roleArn, createDate: 'Nov 3, 2026, 1:50:00 PM' } }),
      iam(second(T2, 5), 'CreateUser', { userName: 'user-b9' }, { user: { path: '/', userName: 'user-b9', userId: 'AIDAEXAMPLEUSERB9001', arn: `arn:aws:iam::${A}:user/user-b9`, createDate: 'Nov 3, 2026, 1:50:05 PM' } }),
    ];

    // Act
    await play(db, [{ events }]);

    // Assert
    const { rows } = await db.pool.query(
      `SELECT p.arn, p.principal_type, p.account_id, p.name, p.aws_principal_id, p.first_seen, t.name AS team
         FROM principals p LEFT JOIN teams t ON t.id = p.team_id
        WHERE p.arn <> $1 ORDER BY p.arn`,
      [`arn:aws:iam::${A}:user/${admin.name}`],
    );
    expect(rows).toEqual([
      { arn: roleArn, principal_type: 'ROLE', account_id: A, name: 'SageMakerStudioDeveloperTeamBRole', aws_principal_id: 'AROAEXAMPLETEAMB00001', first_seen: T2, team: 'TeamB' },
      { arn: `arn:aws:iam::${A}:user/user-b9`, principal_type: 'IAM_USER', account_id: A, name: 'user-b9', aws_principal_id: 'AIDAEXAMPLEUSERB9001', first_seen: second(T2, 5), team: null },
    ]);
  });
});
