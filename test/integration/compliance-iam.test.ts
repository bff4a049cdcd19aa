import { Client } from 'pg';
import { simulateAccess } from '../../src/access/access-service';
import { evaluateEventIds, evaluateIamSnapshots, evaluateWindow, type EvaluationOptions } from '../../src/compliance/evaluate';
import { reopenViolation, suppressViolation } from '../../src/compliance/lifecycle';
import { Actor, cloudTrailRecord, CloudTrailRecord, createTrainingJob } from '../../src/demo/cloudtrail-records';
import {
  DEMO_IAM_SNAPSHOT_TIME,
  DEMO_PREVENTIVE_CONTROL_TIME,
  demoAuthorizationDetails,
  NOTEBOOK_PRODUCT_POLICY_ARN,
  NOTEBOOK_PRODUCT_POLICY_V1,
  NOTEBOOK_PRODUCT_POLICY_V2,
} from '../../src/demo/iam-story';
import type { SourceItem } from '../../src/domain/cloudtrail/source-item';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { transformAuthorizationDetails } from '../../src/iam/authorization-details';
import { loadAuthorizationSnapshot } from '../../src/iam/store';
import { ingestCloudTrailItems } from '../../src/ingest/cloudtrail-ingest';
import { evaluateAfterStore } from '../../src/ingest/ingest-files';
import { startIngestionRun } from '../../src/ingest/runs';
import { startApi } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const role = (name: string, path = '/') => `arn:aws:iam::${A}:role${path}${name}`;
const user = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const EXEC_ROLE = role('SageMakerExecRole-ml-product-team');
const ANY_TRAINING_JOB = `arn:aws:sagemaker:*:${A}:training-job/*`;
const ALL_TIME = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };
const admin: Actor = { accountId: A, name: 'platform-admin', kind: 'IAMUser' };
const catalogLaunch: Actor = { accountId: A, name: `SC-${A}-ProductLaunchRole`, kind: 'AssumedRole', sessionName: 'servicecatalog' };
const at = (iso: string) => new Date(iso);

const iam = (actor: Actor, time: Date, eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = null) =>
  cloudTrailRecord({ actor, time, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, requestParameters, responseElements, userAgent: 'cloudformation.amazonaws.com' });
const newDefault = (time: Date, versionId: string, document: unknown) =>
  iam(catalogLaunch, time, 'CreatePolicyVersion', { policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, policyDocument: JSON.stringify(document), setAsDefault: true },
    { policyVersion: { versionId, isDefaultVersion: true, createDate: time.toISOString() } });

// the story: seed 03's Deny rolled out (v2), the product policy also given to the studio users' group,
// then a v3 that is v1's text again (the Deny dropped), then v4 that puts it back
const ROLLOUT = newDefault(DEMO_PREVENTIVE_CONTROL_TIME, 'v2', NOTEBOOK_PRODUCT_POLICY_V2);
const TO_GROUP = iam(admin, at('2026-11-03T14:30:00Z'), 'AttachGroupPolicy', { groupName: 'studio-users', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN });
const DROP = newDefault(at('2026-11-04T09:00:00Z'), 'v3', NOTEBOOK_PRODUCT_POLICY_V1);
const RESTORE = newDefault(at('2026-11-05T09:00:00Z'), 'v4', NOTEBOOK_PRODUCT_POLICY_V2);
const TRAINING = createTrainingJob({ actor: { accountId: A, name: 'ml-legacy-adhoc-training', kind: 'AssumedRole' }, time: at('2026-11-04T12:00:00Z'), region: 'us-east-1', jobName: 'adhoc-1', team: 'TeamB', vpc: false });
const SNAPSHOT_ID = `iam-snapshot:${A}:${DEMO_IAM_SNAPSHOT_TIME.toISOString()}`;

async function* items(records: CloudTrailRecord[]): AsyncGenerator<SourceItem> {
  for (const [i, r] of records.entries()) yield { kind: 'record', record: { source: 'test.jsonl', position: `line ${i + 1}`, value: r, text: JSON.stringify(r) } };
}

const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
const TRAINING_RULE = 'iam-training-without-vpc-allowed';

/** The IAM rules' violations with their status, oldest rule/event first. */
const iamViolations = async (db: TestDatabase, ruleId?: string) =>
  (await db.pool.query(
    `SELECT id::text, rule_id, event_id, resource_arn, principal_arn, team, severity, status, resolved_at, resolved_by_event_id, message, evidence
       FROM violations WHERE rule_id LIKE 'iam-%' AND ($1::text IS NULL OR rule_id = $1) ORDER BY rule_id, event_id, resource_arn`,
    [ruleId ?? null],
  )).rows;
/** A violation's status changes, oldest first. */
const historyOf = async (db: TestDatabase, id: string) =>
  (await db.pool.query('SELECT from_status, to_status, changed_by, event_id, reason FROM violation_status_changes WHERE violation_id = $1 ORDER BY id', [id])).rows;
const ingestInto = (db: TestDatabase, records: CloudTrailRecord[]) =>
  ingestCloudTrailItems(db.pool, items(records), { runId: null, teamTagKey: 'team', batchSize: 2, afterStore: evaluateAfterStore(db.pool, evaluation) });
/** Stores a listing of the account taken at `at` and judges it, as `govgraph ingest iam` does. */
async function snapshotInto(db: TestDatabase, details: Record<string, unknown>, at: Date) {
  const runId = await startIngestionRun(db.pool, 'iam-files', `snapshot ${at.toISOString()}`);
  await loadAuthorizationSnapshot(db.pool, transformAuthorizationDetails([{ response: details, source: 'test', position: 'document' }]), { at, source: 'test', runId, teamTagKey: 'team' });
  await evaluateIamSnapshots(db.pool, [{ accountId: A, takenAt: at }], evaluation);
}
const statusOf = (v: { status: string; resolved_at: Date | null; resolved_by_event_id: string | null }) => [v.status, v.resolved_at, v.resolved_by_event_id];

describe('IAM rules over snapshots and CloudTrail IAM changes (real Postgres)', () => {
  let db: TestDatabase;
  const violations = (ruleId?: string) => iamViolations(db, ruleId);
  const ingest = (records: CloudTrailRecord[]) => ingestInto(db, records);

  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: the demo account's IAM as of day 1, judged when stored; then the changes, judged as they are ingested
    await snapshotInto(db, demoAuthorizationDetails(), DEMO_IAM_SNAPSHOT_TIME);
    await ingest([ROLLOUT, TO_GROUP]);
    await ingest([DROP, TRAINING]);
    await ingest([RESTORE]);
  }, 120_000);
  afterAll(() => db.drop());

  it('finds, at the snapshot, every user and role that could start a training job without a VPC before the control was rolled out', async () => {
    // Act
    const rows = (await violations('iam-training-without-vpc-allowed')).filter((v) => v.event_id === SNAPSHOT_ID);

    // Assert: the legacy role, the notebook role (product policy v1) and the ABAC team roles (tagging with their own team)
    expect(rows.map((v) => [v.resource_arn, v.principal_arn, v.team, v.severity])).toEqual([
      [role('SageMakerExecRole-ml-product-team'), EXEC_ROLE, 'TeamA', 'HIGH'],
      [role('SageMakerStudioDeveloperTeamARole'), role('SageMakerStudioDeveloperTeamARole'), 'TeamA', 'HIGH'],
      [role('SageMakerStudioDeveloperTeamBRole'), role('SageMakerStudioDeveloperTeamBRole'), 'TeamB', 'HIGH'],
      [role('ml-legacy-adhoc-training', '/legacy/'), role('ml-legacy-adhoc-training', '/legacy/'), 'TeamB', 'HIGH'],
    ]);
    const teamA = rows.find((v) => v.resource_arn === role('SageMakerStudioDeveloperTeamARole'))!;
    expect(teamA.evidence).toMatchObject({
      requestTags: { team: 'TeamA' },
      attempts: [{ requestTags: {}, decision: 'IMPLICIT_DENY' }, { requestTags: { team: 'TeamA' }, decision: 'ALLOWED' }],
      decidingStatements: [expect.objectContaining({ sid: 'AmazonSageMakerCreate', policyName: 'SageMakerStudioDeveloperAccess', kind: 'MANAGED' })],
      allowedBefore: null,
    });
  });

  it('rolling out the Deny, and attaching the policy that carries it, open nothing and weaken nothing', async () => {
    // Act
    const rows = (await violations()).filter((v) => v.event_id === ROLLOUT.eventID || v.event_id === TO_GROUP.eventID);

    // Assert
    expect(rows).toEqual([]);
  });

  it('a new default version without the VPC Deny: CRITICAL guard-rail violation on the policy, and exactly the principals it reaches can train without a VPC', async () => {
    // Act
    const rows = (await violations()).filter((v) => v.event_id === DROP.eventID);

    // Assert
    const weakened = rows.filter((v) => v.rule_id === 'iam-guardrail-weakened');
    expect(weakened.map((v) => [v.resource_arn, v.severity, v.principal_arn, v.team])).toEqual([[NOTEBOOK_PRODUCT_POLICY_ARN, 'CRITICAL', role(`SC-${A}-ProductLaunchRole`), 'platform']]);
    expect(weakened[0].evidence).toMatchObject({
      reach: { before: 4, after: 4 },
      weakened: [expect.objectContaining({
        policy: expect.objectContaining({ policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionBefore: 'v2', versionAfter: 'v3' }),
        statement: { sid: 'DenyTrainingWithoutVpc', index: 4, effect: 'Deny' },
        guardedKeys: [{ key: 'sagemaker:VpcSubnets', area: 'VPC' }],
        change: 'REMOVED',
      })],
    });
    // the notebook role and the three members of studio-users; not the legacy or team roles, which the policy does not reach
    const opened = rows.filter((v) => v.rule_id === 'iam-training-without-vpc-allowed');
    expect(opened.map((v) => [v.principal_arn, v.team])).toEqual([
      [EXEC_ROLE, 'TeamA'], [user('user-a1'), 'TeamA'], [user('user-a2'), 'TeamA'], [user('user-b1'), 'TeamB'],
    ]);
    for (const v of opened) {
      expect(v.evidence).toMatchObject({
        allowedBefore: false,
        decision: 'ALLOWED',
        decidingStatements: [expect.objectContaining({ sid: 'SageMakerJobs', policyArn: NOTEBOOK_PRODUCT_POLICY_ARN, versionId: 'v3' })],
      });
    }
  });

  it('agrees with the access service: the opened principal is ALLOWED at the change and was denied by the Deny just before', async () => {
    // Act
    const ask = (when: Date) => simulateAccess(db.pool, { principalArn: user('user-b1'), action: 'sagemaker:CreateTrainingJob', resourceArn: ANY_TRAINING_JOB, at: when });
    const [after, before] = await Promise.all([ask(new Date(DROP.eventTime)), ask(new Date(new Date(DROP.eventTime).getTime() - 1000))]);
    const [violation] = (await violations('iam-training-without-vpc-allowed')).filter((v) => v.event_id === DROP.eventID && v.principal_arn === user('user-b1'));

    // Assert
    expect(after.decision.decision).toBe('ALLOWED');
    expect(after.decision.decidingStatements.map((s) => [s.source.policyArn, s.source.viaGroupArn, s.statement.sid])).toEqual(
      violation.evidence.decidingStatements.map((s: { policyArn: string; viaGroupArn: string; sid: string }) => [s.policyArn, s.viaGroupArn, s.sid]),
    );
    expect(before.decision).toMatchObject({ decision: 'EXPLICIT_DENY', decidingStatements: [expect.objectContaining({ statement: expect.objectContaining({ sid: 'DenyTrainingWithoutVpc' }) })] });
  });

  it('putting the Deny back opens no one and weakens nothing', async () => {
    // Act
    const rows = (await violations()).filter((v) => v.event_id === RESTORE.eventID);

    // Assert
    expect(rows).toEqual([]);
  });

  it('reads IAM in a fixed number of statements per batch, whatever the number of IAM changes, and not at all for other events', async () => {
    // Arrange
    const statements = async (eventIds: string[]) => {
      const spy = jest.spyOn(Client.prototype, 'query');
      try {
        await evaluateEventIds(db.pool, eventIds, evaluation);
        return spy.mock.calls.map((c) => String(typeof c[0] === 'string' ? c[0] : (c[0] as { text: string }).text)).filter((q) => /iam_fact_periods|policy_grants|iam_snapshots/.test(q)).length;
      } finally {
        spy.mockRestore();
      }
    };

    // Act
    const one = await statements([DROP.eventID]);
    const three = await statements([ROLLOUT.eventID, DROP.eventID, RESTORE.eventID]);
    const mixed = await statements([ROLLOUT.eventID, TO_GROUP.eventID, DROP.eventID, RESTORE.eventID, TRAINING.eventID]);
    const none = await statements([TRAINING.eventID]);

    // Assert: three managed-policy changes cost what one does; any mix at most nine statements (six to
    // judge the changes, three to see whether the account's open violations still stand)
    expect(one).toBeGreaterThan(0);
    expect(three).toBe(one);
    expect(mixed).toBeLessThanOrEqual(9);
    expect(none).toBe(0);
  });

  it('evaluating again gives the same violations, never duplicates', async () => {
    // Arrange
    const before = await violations();

    // Act
    const first = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    const second = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    await evaluateIamSnapshots(db.pool, [{ accountId: A, takenAt: DEMO_IAM_SNAPSHOT_TIME }], evaluation);

    // Assert: nothing withdrawn, nothing resolved again, no status change recorded twice
    expect(first.withdrawn).toBe(0);
    expect(first.resolved).toBe(0);
    expect(second).toEqual(first);
    expect(before).toHaveLength(4 + 1 + 4);
    expect(await violations()).toEqual(before);
    const { rows: [{ n }] } = await db.pool.query("SELECT count(*)::int AS n FROM violation_status_changes");
    expect(n).toBe(5);
  });

  it("the Deny rolled out resolves the notebook role's violation from the snapshot, by that CreatePolicyVersion; the roles it does not reach stay OPEN", async () => {
    // Act
    const rows = (await violations(TRAINING_RULE)).filter((v) => v.event_id === SNAPSHOT_ID);

    // Assert
    expect(rows.map((v) => [v.principal_arn, ...statusOf(v)])).toEqual([
      [EXEC_ROLE, 'RESOLVED', DEMO_PREVENTIVE_CONTROL_TIME, ROLLOUT.eventID],
      [role('SageMakerStudioDeveloperTeamARole'), 'OPEN', null, null],
      [role('SageMakerStudioDeveloperTeamBRole'), 'OPEN', null, null],
      [role('ml-legacy-adhoc-training', '/legacy/'), 'OPEN', null, null],
    ]);
    expect(await historyOf(db, rows[0].id)).toEqual([{
      from_status: 'OPEN', to_status: 'RESOLVED', changed_by: 'govgraph', event_id: ROLLOUT.eventID,
      reason: `${EXEC_ROLE} can no longer start a training job without a VPC after CreatePolicyVersion at ${DEMO_PREVENTIVE_CONTROL_TIME.toISOString()}`,
    }]);
  });

  it('putting the Deny back resolves the four the Deny-less version opened, by that event', async () => {
    // Act
    const rows = (await violations(TRAINING_RULE)).filter((v) => v.event_id === DROP.eventID);

    // Assert
    expect(rows.map((v) => [v.principal_arn, ...statusOf(v)])).toEqual(
      [EXEC_ROLE, user('user-a1'), user('user-a2'), user('user-b1')].map((arn) => [arn, 'RESOLVED', new Date(RESTORE.eventTime), RESTORE.eventID]),
    );
  });

  it('shows the status, the resolving event and the history through GraphQL', async () => {
    // Arrange
    const api = await startApi(db);
    try {
      // Act
      const { violations: page } = await api.data(`{
        violations(filter: { ruleId: "${TRAINING_RULE}" }, first: 50) {
          totalCount
          edges { node { principalArn eventId status resolvedAt resolvedByEventId history { fromStatus toStatus changedBy eventId } } }
        }
      }`);

      // Assert
      const nodes = page.edges.map((e: any) => e.node);
      expect(page.totalCount).toBe(8);
      const node = (eventId: string, arn: string) => nodes.find((n: any) => n.eventId === eventId && n.principalArn === arn);
      expect(node(SNAPSHOT_ID, EXEC_ROLE)).toEqual({
        principalArn: EXEC_ROLE, eventId: SNAPSHOT_ID, status: 'RESOLVED', resolvedAt: DEMO_PREVENTIVE_CONTROL_TIME.toISOString(), resolvedByEventId: ROLLOUT.eventID,
        history: [{ fromStatus: 'OPEN', toStatus: 'RESOLVED', changedBy: 'govgraph', eventId: ROLLOUT.eventID }],
      });
      expect(node(SNAPSHOT_ID, role('ml-legacy-adhoc-training', '/legacy/'))).toMatchObject({ status: 'OPEN', resolvedAt: null, resolvedByEventId: null, history: [] });
      expect(node(DROP.eventID, user('user-b1'))).toMatchObject({ status: 'RESOLVED', resolvedByEventId: RESTORE.eventID });
    } finally {
      await api.stop();
    }
  });

  describe('in another order of arrival', () => {
    let late: TestDatabase;
    let moved: { before: unknown[]; after: unknown[] };
    const execAtSnapshot = async () => (await iamViolations(late, TRAINING_RULE)).find((v) => v.event_id === SNAPSHOT_ID && v.principal_arn === EXEC_ROLE);
    beforeAll(async () => {
      late = await createTestDatabase();
      // Arrange: the Deny put back arrives first, then its first rollout, then the rest (the Deny-less version last)
      await snapshotInto(late, demoAuthorizationDetails(), DEMO_IAM_SNAPSHOT_TIME);
      await ingestInto(late, [RESTORE]);
      const before = statusOf((await execAtSnapshot())!);
      await ingestInto(late, [ROLLOUT]);
      moved = { before, after: statusOf((await execAtSnapshot())!) };
      await ingestInto(late, [TO_GROUP]);
      await ingestInto(late, [DROP, TRAINING]);
    }, 120_000);
    afterAll(() => late.drop());

    it('an older change stored after a newer one takes the resolution over: the earliest change that removed the permission resolves', async () => {
      // Act
      const v = (await execAtSnapshot())!;

      // Assert
      expect(moved.before).toEqual(['RESOLVED', new Date(RESTORE.eventTime), RESTORE.eventID]);
      expect(moved.after).toEqual(['RESOLVED', DEMO_PREVENTIVE_CONTROL_TIME, ROLLOUT.eventID]);
      expect((await historyOf(late, v.id)).map((h) => [h.from_status, h.to_status, h.event_id])).toEqual([
        ['OPEN', 'RESOLVED', RESTORE.eventID],
        ['RESOLVED', 'RESOLVED', ROLLOUT.eventID],
      ]);
    });

    it('ends with the statuses of in-order arrival, a violation found after the change that ends it resolved at once; evaluating again changes nothing', async () => {
      // Act
      const key = (rows: Awaited<ReturnType<typeof iamViolations>>) => rows.map((v) => [v.rule_id, v.event_id, v.resource_arn, ...statusOf(v)]);
      const arrived = key(await iamViolations(late));
      await evaluateWindow(late.pool, ALL_TIME, evaluation);

      // Assert: the Deny-less version's four, found after the Deny was put back, were resolved by it as soon as found
      expect(arrived.filter(([rule, event]) => rule === TRAINING_RULE && event === DROP.eventID).map((v) => v.slice(3))).toEqual(
        Array(4).fill(['RESOLVED', new Date(RESTORE.eventTime), RESTORE.eventID]),
      );
      expect(arrived).toEqual(key(await violations()));
      expect(key(await iamViolations(late))).toEqual(arrived);
    });
  });
});

describe('iam-training-without-vpc-allowed violations end when the permission does (real Postgres)', () => {
  let db: TestDatabase;
  const T1 = at('2026-11-04T10:00:00Z');
  const T2 = at('2026-11-04T11:00:00Z');
  const T3 = at('2026-11-04T12:00:00Z');
  const T4 = at('2026-11-05T08:30:00Z');
  const TEAM_A = role('SageMakerStudioDeveloperTeamARole');
  const TEAM_B = role('SageMakerStudioDeveloperTeamBRole');
  const LEGACY = role('ml-legacy-adhoc-training', '/legacy/');
  const DEVELOPER_ACCESS = `arn:aws:iam::${A}:policy/SageMakerStudioDeveloperAccess`;
  const DETACH_A = iam(admin, T1, 'DetachRolePolicy', { roleName: 'SageMakerStudioDeveloperTeamARole', policyArn: DEVELOPER_ACCESS });
  const DETACH_B = iam(admin, T1, 'DetachRolePolicy', { roleName: 'SageMakerStudioDeveloperTeamBRole', policyArn: DEVELOPER_ACCESS });
  const DELETE_LEGACY = iam(admin, T2, 'DeleteRole', { roleName: 'ml-legacy-adhoc-training' });
  const ATTACH_A = iam(admin, T3, 'AttachRolePolicy', { roleName: 'SageMakerStudioDeveloperTeamARole', policyArn: DEVELOPER_ACCESS });
  const SNAPSHOT_2 = `iam-snapshot:${A}:${T4.toISOString()}`;

  /** The listing after those changes: the product policy's default v2 (the Deny), TeamB without the developer policy, no legacy role. */
  function secondListing(): Record<string, unknown> {
    const d = demoAuthorizationDetails() as Record<string, any>;
    const product = d.Policies.find((p: { Arn: string }) => p.Arn === NOTEBOOK_PRODUCT_POLICY_ARN);
    product.DefaultVersionId = 'v2';
    product.PolicyVersionList = [
      { Document: NOTEBOOK_PRODUCT_POLICY_V1, VersionId: 'v1', IsDefaultVersion: false, CreateDate: '2026-10-01T12:05:00+00:00' },
      { Document: NOTEBOOK_PRODUCT_POLICY_V2, VersionId: 'v2', IsDefaultVersion: true, CreateDate: '2026-11-05T08:00:00+00:00' },
    ];
    const teamB = d.RoleDetailList.find((r: { RoleName: string }) => r.RoleName === 'SageMakerStudioDeveloperTeamBRole');
    teamB.AttachedManagedPolicies = teamB.AttachedManagedPolicies.filter((a: { PolicyArn: string }) => a.PolicyArn !== DEVELOPER_ACCESS);
    d.RoleDetailList = d.RoleDetailList.filter((r: { RoleName: string }) => r.RoleName !== 'ml-legacy-adhoc-training');
    return d;
  }

  const training = async () => Object.fromEntries((await iamViolations(db, TRAINING_RULE)).map((v) => [`${v.event_id} ${v.principal_arn}`, v]));

  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: the demo account as of day 1 (four principals can train without a VPC); TeamB's accepted for now
    await snapshotInto(db, demoAuthorizationDetails(), DEMO_IAM_SNAPSHOT_TIME);
    const teamB = (await training())[`${SNAPSHOT_ID} ${TEAM_B}`];
    await suppressViolation(db.pool, { id: teamB.id, reason: 'TeamB moves to the VPC this sprint', by: 'security-lead' });
    // the developer policy detached from both team roles, the legacy role deleted, TeamA's given back; then a listing with the Deny in force
    await ingestInto(db, [DETACH_A, DETACH_B]);
    await ingestInto(db, [DELETE_LEGACY]);
    // someone disputes the legacy role's resolution
    await reopenViolation(db.pool, { id: (await training())[`${SNAPSHOT_ID} ${LEGACY}`].id, reason: 'a role of that name is back, made by hand', by: 'security-lead' });
    await ingestInto(db, [ATTACH_A]);
    await snapshotInto(db, secondListing(), T4);
  }, 120_000);
  afterAll(() => db.drop());

  it('detaching the allowing policy resolves by the detach; a SUPPRESSED one stays suppressed', async () => {
    // Act
    const v = await training();

    // Assert
    expect(statusOf(v[`${SNAPSHOT_ID} ${TEAM_A}`])).toEqual(['RESOLVED', T1, DETACH_A.eventID]);
    expect(statusOf(v[`${SNAPSHOT_ID} ${TEAM_B}`])).toEqual(['SUPPRESSED', null, null]);
    expect((await historyOf(db, v[`${SNAPSHOT_ID} ${TEAM_B}`].id)).map((h) => h.to_status)).toEqual(['SUPPRESSED']);
  });

  it('deleting the principal resolves by the DeleteRole; reopened by a person, it is not resolved again by later IAM changes', async () => {
    // Act
    const v = await training();

    // Assert
    expect(await historyOf(db, v[`${SNAPSHOT_ID} ${LEGACY}`].id)).toEqual([
      {
        from_status: 'OPEN', to_status: 'RESOLVED', changed_by: 'govgraph', event_id: DELETE_LEGACY.eventID,
        reason: `${LEGACY} no longer exists after DeleteRole at ${T2.toISOString()}`,
      },
      { from_status: 'RESOLVED', to_status: 'OPEN', changed_by: 'security-lead', event_id: null, reason: 'a role of that name is back, made by hand' },
    ]);
    expect(statusOf(v[`${SNAPSHOT_ID} ${LEGACY}`])).toEqual(['OPEN', null, null]);
  });

  it('the permission given back is a new OPEN violation, the old one stays resolved', async () => {
    // Act
    const v = await training();

    // Assert
    expect(statusOf(v[`${ATTACH_A.eventID} ${TEAM_A}`])).toEqual(['OPEN', null, null]);
    expect(statusOf(v[`${SNAPSHOT_ID} ${TEAM_A}`])).toEqual(['RESOLVED', T1, DETACH_A.eventID]);
  });

  it('a snapshot that shows the Deny in force resolves by the snapshot', async () => {
    // Act
    const v = await training();

    // Assert
    expect(statusOf(v[`${SNAPSHOT_ID} ${EXEC_ROLE}`])).toEqual(['RESOLVED', T4, SNAPSHOT_2]);
    expect(Object.keys(v).filter((k) => k.startsWith(SNAPSHOT_2))).toEqual([]);
  });
});
