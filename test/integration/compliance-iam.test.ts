import { Client } from 'pg';
import { simulateAccess } from '../../src/access/access-service';
import { evaluateEventIds, evaluateIamSnapshots, evaluateWindow, type EvaluationOptions } from '../../src/compliance/evaluate';
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

describe('IAM rules over snapshots and CloudTrail IAM changes (real Postgres)', () => {
  let db: TestDatabase;
  const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
  const violations = async (ruleId?: string) =>
    (await db.pool.query(
      `SELECT id::text, rule_id, event_id, resource_arn, principal_arn, team, severity, status, message, evidence
         FROM violations WHERE rule_id LIKE 'iam-%' AND ($1::text IS NULL OR rule_id = $1) ORDER BY rule_id, event_id, resource_arn`,
      [ruleId ?? null],
    )).rows;
  const ingest = (records: CloudTrailRecord[]) => ingestCloudTrailItems(db.pool, items(records), { runId: null, teamTagKey: 'team', batchSize: 2, afterStore: evaluateAfterStore(db.pool, evaluation) });

  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: the demo account's IAM as of day 1, judged when stored; then the changes, judged as they are ingested
    const runId = await startIngestionRun(db.pool, 'iam-files', 'demo snapshot');
    await loadAuthorizationSnapshot(db.pool, transformAuthorizationDetails([{ response: demoAuthorizationDetails(), source: 'test', position: 'document' }]), {
      at: DEMO_IAM_SNAPSHOT_TIME, source: 'test', runId, teamTagKey: 'team',
    });
    await evaluateIamSnapshots(db.pool, [{ accountId: A, takenAt: DEMO_IAM_SNAPSHOT_TIME }], evaluation);
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

    // Assert: three managed-policy changes cost what one does; any mix at most six statements
    expect(one).toBeGreaterThan(0);
    expect(three).toBe(one);
    expect(mixed).toBeLessThanOrEqual(6);
    expect(none).toBe(0);
  });

  it('evaluating again gives the same violations, never duplicates', async () => {
    // Arrange
    const before = await violations();

    // Act
    const first = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    const second = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    await evaluateIamSnapshots(db.pool, [{ accountId: A, takenAt: DEMO_IAM_SNAPSHOT_TIME }], evaluation);

    // Assert
    expect(first.withdrawn).toBe(0);
    expect(second).toEqual(first);
    expect(before).toHaveLength(4 + 1 + 4);
    expect(await violations()).toEqual(before);
  });
});
