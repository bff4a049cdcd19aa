import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
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
const TEAM_A_ROLE = `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamARole`;
const TEAM_B_ROLE = `arn:aws:iam::${A}:role/SageMakerStudioDeveloperTeamBRole`;
const EXEC_SESSION = `arn:aws:sts::${A}:assumed-role/SageMakerExecRole-ml-product-team/SageMaker`;
const NEW_EXPERIMENT = buildSageMakerArn(DEMO_REGION, A, 'experiment', 'teama-new-experiment');
/** The Decision's own fields, as `--json` prints them. */
const DECISION = `decision deniedBy missingContextKeys explanation resourceAccount resourceAccountSource at principalArn sessionArn action resourceArn
  resourceTags { key value } context { key values }
  decidingStatements { source { kind policyArn policyName versionId viaGroup attachedTo } sid effect statementIndex statement
    conditions { operator key policyValues resolvedValues requestValues matched } }`;
const SIMULATE_GRAPHQL = `query($p: String!, $a: String!, $r: String, $at: DateTime, $c: [ContextEntryInput!], $rp: JSON, $sp: JSON, $scps: [[JSON!]!]) {
  simulate(principalArn: $p, action: $a, resourceArn: $r, at: $at, context: $c, resourcePolicy: $rp, sessionPolicy: $sp, serviceControlPolicies: $scps) { ${DECISION} } }`;

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
      const DECISION = `decision deniedBy missingContextKeys explanation resourceAccount resourceAccountSource at principalArn sessionArn action resourceArn
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

  /**
   * CLI parity with GraphQL `simulate`: the same documents given as files, request tags and context
   * files. The oracle for each decision is the GraphQL answer for the same input (one code path), and
   * the decision itself the AWS rule cited beside the case.
   */
  describe('simulate and who-can with policy files, request tags and context files', () => {
    let dir: string;
    let api: RunningApi;
    /** writes a JSON (or raw text) file in the test's directory; returns its path */
    const file = async (name: string, content: unknown) => {
      const p = path.join(dir, name);
      await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
      return p;
    };
    const json = async (...args: string[]) => {
      const r = await run('simulate', '--json', ...args);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      return JSON.parse(r.stdout);
    };
    const graphql = async (variables: Record<string, unknown>) => (await api.data(SIMULATE_GRAPHQL, variables)).simulate;

    const ALLOW_DELETE_TO_TEAM_B = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'ShareWithTeamB', Effect: 'Allow', Principal: { AWS: TEAM_B_ROLE }, Action: 'sagemaker:DeleteExperiment', Resource: EXPERIMENT }],
    };
    const DESCRIBE_ONLY = { Version: '2012-10-17', Statement: [{ Sid: 'DescribeOnly', Effect: 'Allow', Action: 'sagemaker:Describe*', Resource: '*' }] };
    const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Sid: 'FullAWSAccess', Effect: 'Allow', Action: '*', Resource: '*' }] };
    const S3_ONLY = { Version: '2012-10-17', Statement: [{ Sid: 'AllowS3', Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    const SAGEMAKER_ONLY = { Version: '2012-10-17', Statement: [{ Sid: 'AllowSageMaker', Effect: 'Allow', Action: 'sagemaker:*', Resource: '*' }] };
    // a User-Agent as SDKs send it: one value with a comma in it
    const USER_AGENT = 'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux, cfg/retry-mode#legacy';
    const ONLY_FROM_BOTO3 = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'OnlyFromBoto3', Effect: 'Allow', Action: 'sagemaker:*', Resource: '*', Condition: { StringEquals: { 'aws:UserAgent': USER_AGENT } } }],
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'govgraph-cli-access-'));
      api = await startApi(db);
    });
    afterAll(async () => {
      await api?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('--resource-policy FILE: a bucket-style policy sharing the experiment with TeamB allows what its identity policies do not, as GraphQL decides with the same document', async () => {
      // Policy evaluation for requests within a single account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
      // "If either the identity-based policy or the resource-based policy within the same account allows the request and the other doesn't, the request is still allowed."
      // Arrange
      const policy = await file('share-with-team-b.json', ALLOW_DELETE_TO_TEAM_B);

      // Act
      const without = await json(TEAM_B_ROLE, 'sagemaker:DeleteExperiment', EXPERIMENT, '--at', AFTER_CONTROL);
      const cli = await json(TEAM_B_ROLE, 'sagemaker:DeleteExperiment', EXPERIMENT, '--at', AFTER_CONTROL, '--resource-policy', policy);
      const viaApi = await graphql({ p: TEAM_B_ROLE, a: 'sagemaker:DeleteExperiment', r: EXPERIMENT, at: AFTER_CONTROL, rp: ALLOW_DELETE_TO_TEAM_B });

      // Assert
      expect(without.decision).toBe('IMPLICIT_DENY');
      expect(cli).toEqual(viaApi);
      expect(cli).toMatchObject({ decision: 'ALLOWED', decidingStatements: [{ sid: 'ShareWithTeamB', source: { kind: 'RESOURCE_POLICY' } }] });
    });

    it('--session-policy FILE narrows a session to what the session policy allows too, as GraphQL decides', async () => {
      // Permissions for AssumeRole… (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html):
      // "The resulting session's permissions are the intersection of the role's identity-based policy and the session policies."
      // Arrange
      const policy = await file('describe-only.json', DESCRIBE_ONLY);

      // Act
      const without = await json(EXEC_SESSION, 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL);
      const cli = await json(EXEC_SESSION, 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL, '--session-policy', policy);
      const viaApi = await graphql({ p: EXEC_SESSION, a: 'sagemaker:CreateTrainingJob', at: BEFORE_CONTROL, sp: DESCRIBE_ONLY });

      // Assert
      expect(without.decision).toBe('ALLOWED');
      expect(cli).toEqual(viaApi);
      expect(cli).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'SESSION_POLICY' });
    });

    it('--scp LEVEL:FILE…: a second level without an Allow denies by SCP; files with the same label are one level; as GraphQL decides', async () => {
      // SCP evaluation, "How SCPs work with Allow" (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html):
      // to allow a permission for an account there must be an explicit Allow at every level from the root through each OU to the account;
      // if any level has no Allow for it, access is denied.
      // Arrange
      const [full, s3, sagemaker] = await Promise.all([file('full-aws-access.json', FULL_AWS_ACCESS), file('s3-only.json', S3_ONLY), file('sagemaker-only.json', SAGEMAKER_ONLY)]);
      const ask = [EXEC_ROLE, 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL];

      // Act
      const rootOnly = await json(...ask, '--scp', `root:${full}`);
      const denied = await json(...ask, '--scp', `root:${full}`, '--scp', `ou-ml:${s3}`);
      const deniedApi = await graphql({ p: EXEC_ROLE, a: 'sagemaker:CreateTrainingJob', at: BEFORE_CONTROL, scps: [[FULL_AWS_ACCESS], [S3_ONLY]] });
      // a bare file is at root; the second ou-ml file gives that level its Allow
      const allowed = await json(...ask, '--scp', full, '--scp', `ou-ml:${s3}`, '--scp', `ou-ml:${sagemaker}`);
      const allowedApi = await graphql({ p: EXEC_ROLE, a: 'sagemaker:CreateTrainingJob', at: BEFORE_CONTROL, scps: [[FULL_AWS_ACCESS], [S3_ONLY, SAGEMAKER_ONLY]] });

      // Assert
      expect(rootOnly.decision).toBe('ALLOWED');
      expect(denied).toEqual(deniedApi);
      expect(denied).toMatchObject({ decision: 'IMPLICIT_DENY', deniedBy: 'SCP' });
      expect(allowed).toEqual(allowedApi);
      expect(allowed.decision).toBe('ALLOWED');
    });

    it('--request-tag team=TeamA sets aws:RequestTag/team and aws:TagKeys, satisfying the ABAC create statement for TeamA only', async () => {
      // AWS global condition context keys, aws:RequestTag/tag-key and aws:TagKeys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
      // the tag key-value pairs passed in the request, and the tag keys in the request (multivalued:
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
      // SageMakerStudioDeveloperAccess's AmazonSageMakerCreate needs ForAnyValue:StringEquals aws:TagKeys [team]
      // and StringEqualsIfExists aws:RequestTag/team = ${aws:PrincipalTag/team}.
      // Arrange
      const ask = [TEAM_A_ROLE, 'sagemaker:CreateExperiment', NEW_EXPERIMENT, '--at', AFTER_CONTROL];

      // Act
      const untagged = await json(...ask);
      const teamA = await json(...ask, '--request-tag', 'team=TeamA');
      const teamB = await json(...ask, '--request-tag', 'team=TeamB');
      const viaApi = await graphql({
        p: TEAM_A_ROLE,
        a: 'sagemaker:CreateExperiment',
        r: NEW_EXPERIMENT,
        at: AFTER_CONTROL,
        c: [
          { key: 'aws:RequestTag/team', values: ['TeamA'] },
          { key: 'aws:TagKeys', values: ['team'] },
        ],
      });

      // Assert
      expect(untagged.decision).toBe('IMPLICIT_DENY');
      expect(teamA).toMatchObject({ decision: 'ALLOWED', decidingStatements: [{ sid: 'AmazonSageMakerCreate' }] });
      expect(teamA.context).toEqual(expect.arrayContaining([{ key: 'aws:RequestTag/team', values: ['TeamA'] }, { key: 'aws:TagKeys', values: ['team'] }]));
      expect(teamA).toEqual(viaApi);
      expect(teamB.decision).toBe('IMPLICIT_DENY');
    });

    it('--context-file keeps a comma inside a value; `\\,` in --context says the same; an unescaped comma still splits values', async () => {
      // Single-valued vs. multivalued context keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
      // aws:UserAgent is single-valued, so the request carries the User-Agent as one value, commas and all;
      // the session policy's StringEquals compares it whole.
      // Arrange
      const policy = await file('only-from-boto3.json', ONLY_FROM_BOTO3);
      const contextFile = await file('context.json', { 'aws:UserAgent': USER_AGENT });
      const graphqlStyle = await file('context-graphql.json', [{ key: 'aws:UserAgent', values: [USER_AGENT] }]);
      const ask = [EXEC_SESSION, 'sagemaker:CreateTrainingJob', '--at', BEFORE_CONTROL, '--session-policy', policy];

      // Act
      const fromFile = await json(...ask, '--context-file', contextFile);
      const fromGraphqlStyle = await json(...ask, '--context-file', graphqlStyle);
      const escaped = await json(...ask, '--context', `aws:UserAgent=${USER_AGENT.replace(/,/g, '\\,')}`);
      const split = await json(...ask, '--context', `aws:UserAgent=${USER_AGENT}`);
      const viaApi = await graphql({ p: EXEC_SESSION, a: 'sagemaker:CreateTrainingJob', at: BEFORE_CONTROL, sp: ONLY_FROM_BOTO3, c: [{ key: 'aws:UserAgent', values: [USER_AGENT] }] });

      // Assert
      expect(fromFile).toEqual(viaApi);
      expect(fromFile.decision).toBe('ALLOWED');
      expect(fromFile.context).toContainEqual({ key: 'aws:UserAgent', values: [USER_AGENT] });
      expect(fromGraphqlStyle).toEqual(fromFile);
      expect(escaped).toEqual(fromFile);
      // without the escape the comma splits, as before: two values, no longer the User-Agent
      expect(split.context).toContainEqual({ key: 'aws:UserAgent', values: USER_AGENT.split(',') });
    });

    it('who-can --context-file: the subnets from a file satisfy the VPC guard rail, so the exec role is allowed again', async () => {
      // Arrange
      const contextFile = await file('vpc.json', { 'sagemaker:VpcSubnets': ['subnet-0a1', 'subnet-0b2'] });

      // Act
      const r = await run('who-can', 'sagemaker:CreateTrainingJob', '--at', AFTER_CONTROL, '--context-file', contextFile);

      // Assert
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').map((l) => l.split('  ')[0])).toEqual([EXEC_ROLE, LEGACY_ROLE]);
    });

    describe('a bad file or flag exits 1 with one line naming it and the problem', () => {
      const cases: [string, (d: string) => Promise<string[]>, string | RegExp][] = [
        ['a missing resource policy', async (d) => ['--resource-policy', path.join(d, 'nope.json')], `--resource-policy DIR/nope.json: no such file`],
        ['a resource policy that is not JSON', async (d) => ['--resource-policy', await writeIn(d, 'bad.json', '{"Version": "2012-10-17",')], /^--resource-policy DIR\/bad\.json: not JSON \(.+\)$/],
        ['a resource policy that is not a policy', async (d) => ['--resource-policy', await writeIn(d, 'notpolicy.json', '{"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}')], '--resource-policy DIR/notpolicy.json: Effect must be "Allow" or "Deny", not "Permit" in statement at index 0'],
        ['a directory as session policy', async (d) => ['--session-policy', d], '--session-policy DIR: is a directory, not a file'],
        ['a session policy with no Statement', async (d) => ['--session-policy', await writeIn(d, 'empty.json', '{}')], '--session-policy DIR/empty.json: policy document has no Statement'],
        ['a missing SCP at a level', async (d) => ['--scp', `ou-ml:${path.join(d, 'gone.json')}`], '--scp DIR/gone.json: no such file'],
        ['an SCP that is a JSON list', async (d) => ['--scp', `root:${await writeIn(d, 'list.json', '[]')}`], '--scp DIR/list.json: policy document must be a JSON object'],
        ['a missing context file', async (d) => ['--context-file', path.join(d, 'ctx.json')], '--context-file DIR/ctx.json: no such file'],
        ['a context file that is not JSON', async (d) => ['--context-file', await writeIn(d, 'ctx.txt', 'aws:UserAgent=x')], /^--context-file DIR\/ctx\.txt: not JSON \(.+\)$/],
        ['a context file with an object value', async (d) => ['--context-file', await writeIn(d, 'ctx-obj.json', '{"aws:UserAgent": {"a": 1}}')], '--context-file DIR/ctx-obj.json: the value of aws:UserAgent must be a string, number or boolean, or a list of them'],
        ['a request tag without =', async () => ['--request-tag', 'team'], '--request-tag "team" must be key=value, e.g. team=TeamA'],
        ['a request tag given twice', async () => ['--request-tag', 'team=TeamA', '--request-tag', 'team=TeamB'], '--request-tag team is given twice; a request carries one value per tag key'],
      ];
      const writeIn = async (d: string, name: string, text: string) => {
        const p = path.join(d, name);
        await writeFile(p, text);
        return p;
      };

      it.each(cases)('%s', async (_, args, message) => {
        // Arrange
        const d = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
        await mkdir(d);

        // Act
        const r = await run('simulate', EXEC_ROLE, 'sagemaker:CreateTrainingJob', ...(await args(d)));

        // Assert
        expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
        expect(r.stderr.endsWith('\n') && r.stderr.split('\n').length).toBe(2);
        const line = r.stderr.replace(/^govgraph: /, '').trimEnd().split(d).join('DIR');
        if (typeof message === 'string') expect(line).toBe(message);
        else expect(line).toMatch(message);
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
