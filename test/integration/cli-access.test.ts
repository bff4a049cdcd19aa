import path from 'node:path';
import { buildSageMakerArn } from '../../src/domain/aws/arn';
import { DEMO_IAM_SNAPSHOT_TIME } from '../../src/demo/iam-story';
import { DEMO_ACCOUNT, DEMO_REGION } from '../../src/demo/story';
import { RunningApi, startApi } from '../support/api';
import { govgraph } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/**
 * `govgraph simulate`, `who-can` and `grants` as a platform engineer runs them, on the demo story
 * loaded the way a user loads saved AWS files: `ingest iam`, `ingest cloudtrail` (with the preventive
 * control's CreatePolicyVersion at 13:50 on 2026-11-03) and `ingest tags`.
 */

const A = DEMO_ACCOUNT;
const DEMO = path.resolve(__dirname, '../../demo');
const EXEC_ROLE = `arn:aws:iam::${A}:role/SageMakerExecRole-ml-product-team`;
const LEGACY_ROLE = `arn:aws:iam::${A}:role/legacy/ml-legacy-adhoc-training`;
const TEAM_B_SESSION = `arn:aws:sts::${A}:assumed-role/SageMakerStudioDeveloperTeamBRole/SageMaker`;
const EXPERIMENT = buildSageMakerArn(DEMO_REGION, A, 'experiment', 'USERA1TEAMAEXPERIMENT1');
const BEFORE_CONTROL = '2026-11-03T13:00:00Z';
const AFTER_CONTROL = '2026-11-03T14:00:00Z';

describe('govgraph simulate / who-can / grants on the demo story', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const run = (...args: string[]) => govgraph(args, env);

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    // Arrange: the demo's saved files, through the CLI
    for (const args of [
      ['ingest', 'iam', '--at', DEMO_IAM_SNAPSHOT_TIME.toISOString(), path.join(DEMO, 'iam')],
      ['ingest', 'cloudtrail', path.join(DEMO, 'cloudtrail')],
      ['ingest', 'tags', '--complete', path.join(DEMO, 'tags')],
    ]) {
      const r = await run(...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });
  afterAll(() => db.drop());

  describe('simulate', () => {
    it("answers IMPLICIT_DENY for TeamB's session deleting TeamA's experiment, with the ABAC statement and the tags it compared", async () => {
      // Act
      const r = await run('simulate', TEAM_B_SESSION, 'sagemaker:DeleteExperiment', EXPERIMENT, '--at', AFTER_CONTROL);

      // Assert: a denial is an answer, not a failure
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 6)).toEqual([
        'decision   IMPLICIT_DENY',
        'denied by  IDENTITY',
        `principal  arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole (session ${TEAM_B_SESSION})`,
        'action     sagemaker:DeleteExperiment',
        `resource   ${EXPERIMENT} (tags team=TeamA)`,
        'at         2026-11-03T14:00:00.000Z',
      ]);
      expect(r.stdout).toContain(
        [
          'deciding statements:',
          `  Allow AmazonSageMakerUpdateDeleteExecutePolicy (#5) in MANAGED SageMakerStudioDeveloperAccess v1 (arn:aws:iam::${A}:policy/SageMakerStudioDeveloperAccess)`,
          '    StringEquals aws:PrincipalTag/team: policy "${sagemaker:ResourceTag/team}", substituted "TeamA"; request "TeamB" → fails',
          'missing context keys: none',
          'explanation:',
        ].join('\n'),
      );
      expect(r.stdout).toMatch(/\n {2}No identity-based policy allows sagemaker:DeleteExperiment on .*experiment\/usera1teamaexperiment1\.\n/);
    });

    it('allows the exec role a training job without a VPC at 13:00 and denies it at 14:00, after the preventive control', async () => {
      // Act
      const before = await run('simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL);
      const after = await run('simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL);
      const withVpc = await run('simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL, '--context', 'sagemaker:VpcSubnets=subnet-0a1,subnet-0b2');

      // Assert
      expect([before.code, after.code, withVpc.code]).toEqual([0, 0, 0]);
      expect(before.stdout).toMatch(/^decision {3}ALLOWED\ndenied by {2}-\n/);
      expect(before.stdout).toContain('  Allow SageMakerJobs (#0) in MANAGED SageMakerNotebookProductPolicy v1 ');
      expect(after.stdout).toMatch(/^decision {3}EXPLICIT_DENY\ndenied by {2}IDENTITY\n/);
      expect(after.stdout).toContain(
        [
          '  Deny DenyTrainingWithoutVpc (#4) in MANAGED SageMakerNotebookProductPolicy v2 (arn:aws:iam::111122223333:policy/SageMakerNotebookProductPolicy)',
          '    Null sagemaker:VpcSubnets: policy "true", substituted "true"; request (absent) → holds',
          'missing context keys: sagemaker:VpcSubnets',
        ].join('\n'),
      );
      // the subnets given with --context satisfy the guard rail
      expect(withVpc.stdout).toMatch(/^decision {3}ALLOWED\n/);
      expect(withVpc.stdout).toContain('SageMakerNotebookProductPolicy v2');
    });

    it('--json prints the Decision exactly as GraphQL simulate gives it', async () => {
      // Arrange
      const DECISION = `decision deniedBy missingContextKeys explanation at principalArn sessionArn action resourceArn
        resourceTags { key value } context { key values }
        decidingStatements { source { kind policyArn policyName versionId viaGroup attachedTo } sid effect statementIndex statement
          conditions { operator key policyValues resolvedValues requestValues matched } }`;
      const api: RunningApi = await startApi(db);
      try {
        const graphql = (
          await api.data(`query($p: String!, $a: String!, $r: String, $at: DateTime) { simulate(principalArn: $p, action: $a, resourceArn: $r, at: $at) { ${DECISION} } }`, {
            p: TEAM_B_SESSION,
            a: 'sagemaker:DeleteExperiment',
            r: EXPERIMENT,
            at: AFTER_CONTROL,
          })
        ).simulate;

        // Act
        const r = await run('simulate', '--json', TEAM_B_SESSION, 'sagemaker:DeleteExperiment', EXPERIMENT, '--at', AFTER_CONTROL);

        // Assert
        expect(r.code).toBe(0);
        expect(r.stdout.trim().split('\n')).toHaveLength(1);
        const cli = JSON.parse(r.stdout);
        expect(cli).toEqual(graphql);
        expect(cli).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'IDENTITY', decidingStatements: [{ sid: 'AmazonSageMakerUpdateDeleteExecutePolicy', effect: 'ALLOW' }] });
      } finally {
        await api.stop();
      }
    });

    it.each([
      [['simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJobs'], 'govgraph: unknown action sagemaker:CreateTrainingJobs: no such action in the service catalog\n'],
      [['simulate', EXEC_ROLE, 'sagemaker:Create*'], 'govgraph: action "sagemaker:Create*" must be one action written service:Action, e.g. sagemaker:CreateTrainingJob (no wildcards)\n'],
      [['simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--context', 's3:prefix=data/'], 'govgraph: s3:prefix is not a condition key of sagemaker:CreateTrainingJob\n'],
      [['simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--context', 'sagemaker:VpcSubnets'], 'govgraph: --context "sagemaker:VpcSubnets" must be key=value[,value…], e.g. sagemaker:VpcSubnets=subnet-0abc\n'],
      [['simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--at', 'yesterday'], 'govgraph: --at "yesterday" is not an ISO 8601 date or time\n'],
      [['simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', 'training-job/x'], 'govgraph: resourceArn "training-job/x" is not an ARN (arn:partition:service:region:account:resource), nor *\n'],
      [['simulate', `arn:aws:iam::${A}:role/NoSuchRole`, 'sagemaker:CreateTrainingJob'], `govgraph: govgraph has no IAM data for arn:aws:iam::${A}:role/NoSuchRole; ingest an IAM snapshot of its account (govgraph ingest iam)\n`],
      [['who-can', 'sagemaker:CreateTrainingJobs'], 'govgraph: unknown action sagemaker:CreateTrainingJobs: no such action in the service catalog\n'],
      [['grants', EXEC_ROLE, '--at', '2026-10-01T00:00:00Z'], expect.stringMatching(/^govgraph: arn:aws:iam::111122223333:role\/SageMakerExecRole-ml-product-team did not exist at 2026-10-01T00:00:00\.000Z as far as govgraph knows \(it existed from .*\)\n$/)],
    ])('%j exits 1 with one line saying what is wrong', async (args, message) => {
      // Act
      const r = await run(...(args as string[]));

      // Assert
      expect(r).toEqual({ code: 1, stdout: '', stderr: message });
    });
  });

  describe('who-can', () => {
    it('after the preventive control, only the legacy role may start a training job without a VPC; before it, the exec role too', async () => {
      // Act
      const after = await run('who-can', 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL);
      const before = await run('who-can', 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL);

      // Assert
      expect(after).toEqual({ code: 0, stderr: '', stdout: `${LEGACY_ROLE}  TrainAnything (#0) in INLINE AdHocTraining\n` });
      expect(before.stdout.trim().split('\n')).toEqual([
        `${EXEC_ROLE}  SageMakerJobs (#0) in MANAGED SageMakerNotebookProductPolicy v1`,
        `${LEGACY_ROLE}  TrainAnything (#0) in INLINE AdHocTraining`,
      ]);
    });

    it('--json prints one array of {principalArn, decision}; another account has no one', async () => {
      // Act
      const r = await run('who-can', '--json', 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL);
      const elsewhere = await run('who-can', 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL, '--account', '999988887777');

      // Assert
      expect(r.code).toBe(0);
      const grantees = JSON.parse(r.stdout);
      expect(grantees).toEqual([
        {
          principalArn: LEGACY_ROLE,
          decision: expect.objectContaining({ decision: 'ALLOWED', deniedBy: null, at: '2026-11-03T14:00:00.000Z', decidingStatements: [expect.objectContaining({ sid: 'TrainAnything', effect: 'ALLOW' })] }),
        },
      ]);
      expect(elsewhere).toEqual({
        code: 0,
        stdout: '',
        stderr: 'govgraph: no IAM user or role is allowed sagemaker:CreateTrainingJob on * at 2026-11-03T14:00:00.000Z\n',
      });
    });
  });

  describe('grants', () => {
    it("lists the exec role's grants valid then: the notebook product policy's v1 before the control, v2 with its Deny after", async () => {
      // Act
      const before = await run('grants', EXEC_ROLE, '--at', BEFORE_CONTROL);
      const after = await run('grants', EXEC_ROLE, '--at', AFTER_CONTROL);

      // Assert
      expect([before.code, after.code]).toEqual([0, 0]);
      const deny = (out: string) => out.split('\n').filter((l) => l.startsWith('Deny  MANAGED SageMakerNotebookProductPolicy'));
      expect(deny(before.stdout)).toEqual([]);
      expect(deny(after.stdout)).toEqual([
        expect.stringMatching(/^Deny {2}MANAGED SageMakerNotebookProductPolicy v2 {2}DenyTrainingWithoutVpc \(#4\) {2}Action sagemaker:CreateTrainingJob\S* {2}Resource \* {2}Condition \{"Null":\{"sagemaker:VpcSubnets":"true"\}\} {2}since 2026-11-03T13:50:00\.000Z$/),
      ]);
      expect(after.stdout).toMatch(/^Allow {2}MANAGED SageMakerNotebookProductPolicy v2 {2}SageMakerJobs \(#0\) {2}Action .*sagemaker:CreateTrainingJob/m);
      expect(before.stdout).toMatch(/^Allow {2}MANAGED SageMakerNotebookProductPolicy v1 {2}SageMakerJobs \(#0\) /m);
    });

    it('--json prints one array with every grant the store holds for the role at that moment', async () => {
      // Arrange: the oracle is the store itself
      const { rows } = await db.pool.query<{ sid: string | null; kind: string; version_id: string | null }>(
        `SELECT sid, kind, version_id FROM policy_grants WHERE principal_arn = $1 AND validity @> $2::timestamptz`,
        [EXEC_ROLE, AFTER_CONTROL],
      );

      // Act
      const r = await run('grants', '--json', EXEC_ROLE, '--at', AFTER_CONTROL);

      // Assert
      expect(r.code).toBe(0);
      const grants: { sid: string | null; effect: string; source: { kind: string; versionId: string | null }; principalArn: string }[] = JSON.parse(r.stdout);
      expect(grants.length).toBeGreaterThan(0);
      const key = (g: { sid: string | null; kind: string; version: string | null }) => `${g.kind} ${g.sid} ${g.version}`;
      expect(grants.map((g) => key({ sid: g.sid, kind: g.source.kind, version: g.source.versionId })).sort()).toEqual(rows.map((g) => key({ sid: g.sid, kind: g.kind, version: g.version_id })).sort());
      expect(new Set(grants.map((g) => g.principalArn))).toEqual(new Set([EXEC_ROLE]));
      expect(grants.find((g) => g.sid === 'DenyTrainingWithoutVpc')).toMatchObject({ effect: 'DENY', source: { kind: 'MANAGED', versionId: 'v2' } });
    });
  });
});
