import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { evaluateWindow, EvaluationOptions } from '../../src/compliance/evaluate';
import { parseRulesConfig } from '../../src/compliance/rules-config';
import { demoDir } from '../../src/demo/demo-files';
import { ALL_RULES } from '../../src/domain/rules/registry';
import { DEFAULT_RULE_CONFIG } from '../../src/domain/rules/types';
import { ingestCloudTrailPaths, ingestTagPaths } from '../../src/ingest/ingest-files';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const A = '111122223333';
const sm = (type: string, name: string) => `arn:aws:sagemaker:us-east-1:${A}:${type}/${name}`;
const ALL_TIME = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };

describe('compliance rules over the demo story', () => {
  let db: TestDatabase;
  const evaluation: EvaluationOptions = { rules: [...ALL_RULES], config: DEFAULT_RULE_CONFIG, teamTagKey: 'team' };
  const violations = async () =>
    (await db.pool.query('SELECT id::text, rule_id, event_id, resource_arn, principal_arn, team, severity, status, resolved_by_event_id, evidence FROM violations ORDER BY rule_id, event_id, resource_arn')).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: the demo story, evaluated as it is ingested
    await ingestCloudTrailPaths(db.pool, [path.join(demoDir(), 'cloudtrail')], { teamTagKey: 'team', evaluation });
    await ingestTagPaths(db.pool, [path.join(demoDir(), 'tags')], { teamTagKey: 'team', complete: true, at: new Date('2026-11-03T23:00:00Z') });
  });
  afterAll(() => db.drop());

  it("finds each seed control the demo breaches, as the right rule, on the right resource and team", async () => {
    // Act
    const rows = await violations();
    const has = (ruleId: string, resourceArn: string, extra: Record<string, unknown> = {}) =>
      expect(rows).toContainEqual(expect.objectContaining({ rule_id: ruleId, resource_arn: resourceArn, ...extra }));

    // Assert: detective control — a training job without a VPC (TeamA's churn-v7), but not churn-v8
    has('sagemaker-training-job-no-vpc', sm('training-job', 'churn-v7'), { team: 'TeamA', status: 'OPEN' });
    expect(rows.filter((r) => r.rule_id === 'sagemaker-training-job-no-vpc').map((r) => r.resource_arn)).toEqual([sm('training-job', 'churn-v7')]);
    // a notebook with direct internet access: TeamB's hand-made one (absent = Enabled), not the Service Catalog one
    has('sagemaker-notebook-direct-internet', sm('notebook-instance', 'teamb-scratch'), { team: 'TeamB' });
    expect(rows.some((r) => r.resource_arn === sm('notebook-instance', 'teama-ds-notebook') && r.rule_id === 'sagemaker-notebook-direct-internet')).toBe(false);
    // a Studio profile without studiouserid
    has('studio-user-profile-missing-studiouserid', sm('user-profile', 'd-6v3jqkqwprfq/contractor-x'));
    // user-a2 asked for user-a1's Studio URL
    // (denied by the studiouserid condition: an attempt, MEDIUM; user-b1 opening the untagged profile succeeded: HIGH)
    has('studio-presigned-url-other-user', sm('user-profile', 'd-6v3jqkqwprfq/user-a1'), { principal_arn: `arn:aws:iam::${A}:user/user-a2`, severity: 'MEDIUM' });
    has('studio-presigned-url-other-user', sm('user-profile', 'd-6v3jqkqwprfq/contractor-x'), { principal_arn: `arn:aws:iam::${A}:user/user-b1`, severity: 'HIGH' });
    // TeamB touched TeamA's experiment (denied)
    has('access-cross-team-attempt', sm('experiment', 'usera1teamaexperiment1'), { principal_arn: `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole`, team: 'TeamB' });
    // the Studio domain left on public internet
    has('sagemaker-domain-public-internet', sm('domain', 'd-6v3jqkqwprfq'));
    // the preventive control's denied CreateTrainingJob created nothing: no configuration finding on it
    expect(rows.some((r) => r.resource_arn.endsWith('sagemaker-tensorflow-2026-11-03-14-00-00-880') && r.rule_id.startsWith('sagemaker-'))).toBe(false);
  });

  it('resolves the violations of a deleted resource with the deleting event', async () => {
    // Act
    const scratch = (await violations()).filter((r) => r.resource_arn === sm('notebook-instance', 'teamb-scratch'));
    const { rows: [deleted] } = await db.pool.query('SELECT deleted_event_id FROM resources WHERE arn = $1', [sm('notebook-instance', 'teamb-scratch')]);

    // Assert
    expect(scratch.length).toBeGreaterThan(0);
    for (const v of scratch) expect(v).toMatchObject({ status: 'RESOLVED', resolved_by_event_id: deleted.deleted_event_id });
  });

  it('gives the same violations when evaluated again, never duplicates', async () => {
    // Arrange
    const before = await violations();

    // Act
    const first = await evaluateWindow(db.pool, ALL_TIME, evaluation);
    const second = await evaluateWindow(db.pool, ALL_TIME, evaluation);

    // Assert
    expect(first.withdrawn).toBe(0);
    expect(second).toEqual(first);
    const after = await violations();
    expect(after.map(({ id, rule_id, resource_arn, status }) => ({ id, rule_id, resource_arn, status }))).toEqual(
      before.map(({ id, rule_id, resource_arn, status }) => ({ id, rule_id, resource_arn, status })),
    );
  });

  it('withdraws what a disabled rule reported, and reports it again when re-enabled', async () => {
    // Arrange
    const disabled: EvaluationOptions = { ...evaluation, config: { ...DEFAULT_RULE_CONFIG, disabledRules: ['sagemaker-training-job-no-vpc'] } };

    // Act
    const off = await evaluateWindow(db.pool, ALL_TIME, disabled);
    const { rows: whileOff } = await db.pool.query("SELECT status FROM violations WHERE rule_id = 'sagemaker-training-job-no-vpc'");
    await evaluateWindow(db.pool, ALL_TIME, evaluation);
    const { rows: onAgain } = await db.pool.query("SELECT status FROM violations WHERE rule_id = 'sagemaker-training-job-no-vpc'");
    const { rows: history } = await db.pool.query(
      "SELECT c.to_status, c.reason FROM violation_status_changes c JOIN violations v ON v.id = c.violation_id WHERE v.rule_id = 'sagemaker-training-job-no-vpc'",
    );

    // Assert
    expect(off.withdrawn).toBe(1);
    expect(whileOff).toEqual([{ status: 'RESOLVED' }]);
    expect(onAgain).toEqual([{ status: 'OPEN' }]);
    expect(history).toEqual([{ to_status: 'RESOLVED', reason: 'no longer reported by the rules after re-evaluation' }]);
  });

  it('suppresses by pattern from the rule configuration, until its expiry', async () => {
    // Arrange
    const dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-rules-'));
    const file = path.join(dir, 'rules.yaml');
    const text = [
      'suppressions:',
      '  - rule: sagemaker-training-job-no-network-isolation',
      `    resource: "arn:aws:sagemaker:*:${A}:training-job/churn-*"`,
      '    reason: churn models are trained on public data',
      '    until: 2100-01-01',
    ].join('\n');
    await writeFile(file, text);
    const parsed = parseRulesConfig(text, file, { knownRuleIds: ALL_RULES.map((r) => r.id), teamTagKey: 'team' });
    const fresh = await createTestDatabase();
    try {
      // Act
      await ingestCloudTrailPaths(fresh.pool, [path.join(demoDir(), 'cloudtrail')], { teamTagKey: 'team', evaluation: { ...evaluation, ...parsed } });
      const { rows } = await fresh.pool.query(
        "SELECT resource_arn, status, suppressed_reason FROM violations WHERE rule_id = 'sagemaker-training-job-no-network-isolation' ORDER BY resource_arn",
      );

      // Assert
      const byArn = Object.fromEntries(rows.map((r) => [r.resource_arn.split('/').pop(), r]));
      expect(byArn['churn-v7']).toMatchObject({ status: 'SUPPRESSED', suppressed_reason: 'churn models are trained on public data' });
      expect(byArn['fraud-detect-1']).toMatchObject({ status: 'OPEN', suppressed_reason: null });
    } finally {
      await fresh.drop();
    }
  });

  it('names the line and the problem in a bad rule configuration', () => {
    // Arrange
    const text = ['disabledRules:', '  - sagemaker-training-job-no-vpcc', 'instanceTypeAllowList:', '  TeamA: [ml.m5.xlarge, m5.large]', 'deployers: nope'].join('\n');

    // Act / Assert
    expect(() => parseRulesConfig(text, 'rules.yaml', { knownRuleIds: ALL_RULES.map((r) => r.id), teamTagKey: 'team' })).toThrow(
      /rules\.yaml:4: instanceTypeAllowList\.TeamA\.1: an instance type looks like ml\.m5\.xlarge[\s\S]*rules\.yaml:5: deployers/,
    );
    expect(() => parseRulesConfig('disabledRules: [sagemaker-training-job-no-vpcc]', 'r.yaml', { knownRuleIds: ALL_RULES.map((r) => r.id), teamTagKey: 'team' })).toThrow(
      /r\.yaml:1: disabledRules: unknown rule "sagemaker-training-job-no-vpcc"/,
    );
  });
});
